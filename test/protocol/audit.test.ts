/**
 * Every audit record the service writes is an entry protocol/audit.ts
 * defines, field for field: the records of an execution approved and run
 * (a write) and of one cancelled while it waited for approval each parse,
 * without their chain fields, as a strict member of
 * `executionAuditEntrySchema` (a field the schema does not know fails);
 * record 0 as the genesis.
 */
import { describe, expect, it } from 'vitest';
import { auditGenesisSchema, executionAuditEntrySchema } from '../../protocol/audit.ts';
import { auditRecordsOf } from '../support/audit-records.ts';
import { untilState } from '../support/execution-events.ts';
import { servicePerFile } from '../support/service-per-file.ts';

const audited = servicePerFile('pyexec-audit-entries-');

function trailOf(executionFolder: string): { genesis: unknown; entries: Array<Record<string, unknown>> } {
  const [genesis, ...records] = auditRecordsOf(executionFolder);
  return { genesis, entries: records.map(({ seq: _seq, at: _at, prev: _prev, hash: _hash, ...entry }) => entry) };
}

describe('audit entries', () => {
  it('are the ones the protocol defines, in every record the service writes', async () => {
    const approved = await audited.service.client.submit({ task_objective: 'write', behavior: 'epics_write' });
    await untilState(approved, 'awaitingApproval');
    await approved.approve({ approver: 'operator', reason: 'checked' });
    const cancelled = await audited.service.client.submit({ task_objective: 'write', behavior: 'epics_write' });
    await untilState(cancelled, 'awaitingApproval');
    await cancelled.cancel('changed my mind');
    const summaries = await Promise.all([approved.settled, cancelled.settled]);
    expect(summaries.map((summary) => summary.outcome)).toEqual(['succeeded', 'cancelled']);

    const events = new Set<unknown>();
    for (const summary of summaries) {
      const { genesis, entries } = trailOf(summary.folder);
      expect(auditGenesisSchema.safeParse(genesis).success).toBe(true);
      for (const entry of entries) {
        expect(executionAuditEntrySchema.safeParse(entry).error?.issues, JSON.stringify(entry)).toBeUndefined();
        events.add(entry.event);
      }
    }
    expect([...events]).toEqual(
      expect.arrayContaining(['request', 'transition', 'decision_received', 'decision_counted', 'execution_start', 'execution_end', 'cancel_received']),
    );
  });
});
