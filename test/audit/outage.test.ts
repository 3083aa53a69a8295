/**
 * An audit log or anchor store away for a moment: the append waits it out
 * and completes, and the records are in audit.jsonl once (the transition
 * goes on to its event and command instead of stopping short).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../../adapters/audit/audit-trail.ts';
import { createExecutionFolder } from '../../adapters/store/execution-folder.ts';
import type { AuditLog } from '../../bus/audit-log.ts';
import { KvUnavailableError, StoreUnavailableError } from '../../bus/kv-store.ts';
import { MemoryKvStore } from '../../bus/memory/kv-store.ts';
import type { AuditMessage } from '../../protocol/audit.ts';
import { tempDir } from '../support/temp.ts';

const root = tempDir('pyexec-audit-outage-');
afterAll(() => root.remove());

/** An audit log that is unavailable for its first `failures` appends. */
function flakyLog(failures: number): AuditLog & { kept: AuditMessage[] } {
  let left = failures;
  const kept: AuditMessage[] = [];
  return {
    kept,
    async append(executionId, records) {
      if (left-- > 0) throw new StoreUnavailableError(`audit append for ${executionId}`, new Error('timeout'));
      kept.push(...records);
    },
    async read() {
      return kept;
    },
  };
}

/** A KV store whose first `failures` writes find it unavailable. */
class FlakyKv extends MemoryKvStore {
  constructor(private failures: number) {
    super();
  }
  override async create(key: string, value: unknown): Promise<number> {
    if (this.failures-- > 0) throw new KvUnavailableError('create', key, new Error('no leader'));
    return super.create(key, value);
  }
}

describe('audit trail through an outage', () => {
  it('retries the audit log and the anchor, and writes each record to the file once', async () => {
    const executionId = 'a0d17000-0000-4000-8000-000000000001';
    const folder = await createExecutionFolder(root.path, executionId, { task_objective: 'outage', context: {} });
    const log = flakyLog(2);
    const retried: string[] = [];
    const trail = createAuditTrail({ kv: new FlakyKv(2), log, retrying: (error) => retried.push(error.message) });

    const records = await trail.appendAll(folder, executionId, [
      { event: 'transition', from: 'generating', to: 'analyzing', attempt: 1, outcome: null },
      { event: 'execution_start', attempt: 1 },
    ]);

    expect(records.map((record) => record.seq)).toEqual([1, 2]);
    expect(retried).toHaveLength(4); // two log appends, two anchor writes
    const lines = readFileSync(join(folder, 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3); // the folder's record 0, then each new record once
    expect(log.kept.map((record) => ('seq' in record ? record.seq : 0))).toEqual([0, 1, 2]);
    const verification = await trail.verify(folder, executionId);
    expect(verification.problems).toEqual([]);
    expect(verification.anchor?.seq).toBe(2);
  });
});
