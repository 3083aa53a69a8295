/**
 * The read model: the KV record carries a validated public view beside the
 * snapshot, the client reads only that view, and a record written before
 * views existed (the store outlives upgrades) reads the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type PyexecService } from '../../index.ts';
import { executionViewSchema } from '../../protocol/execution-view.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { executionRecordSchema } from '../../protocol/record.ts';
import { untilState } from '../support/execution-events.ts';
import { configOf, serviceSetup } from '../support/service-config.ts';
import { tempDir } from '../support/temp.ts';

const folder = tempDir('pyexec-read-model-');
const setup = serviceSetup(folder.path);
let service: PyexecService;

beforeAll(async () => {
  service = await createService(configOf(setup), { warmKernel: false });
});
afterAll(async () => {
  await service.stop();
  folder.remove();
});

async function storedRecord(id: string) {
  const entry = await service.transport.kv.get(kvKeys.execution(id));
  if (!entry) throw new Error(`no record for ${id}`);
  return { record: executionRecordSchema.parse(entry.value), revision: entry.revision };
}

describe('the public view of an execution', () => {
  it('is in the KV record: the pending approval with its code hash, findings, PVs and deadline, then the summary', async () => {
    const handle = await service.client.submit({ task_objective: 'set the quadrupole', behavior: 'epics_write' });
    await untilState(handle, 'awaitingApproval');
    const { record } = await storedRecord(handle.id);
    const waiting = executionViewSchema.parse(record.view);
    expect(waiting).toMatchObject({ execution_id: handle.id, state: 'awaitingApproval', outcome: null, summary: null });
    expect(waiting.approval?.code_sha256).toBe(waiting.code_sha256);
    expect(Date.parse(waiting.approval?.deadline ?? '')).toBeGreaterThan(Date.now());
    expect(waiting.analysis?.control_system.writes.length).toBeGreaterThan(0);
    expect(waiting.analysis?.findings.length).toBeGreaterThan(0);
    expect(await service.client.get(handle.id)).toEqual(waiting);

    await handle.approve({ approver: 'operator', reason: 'checked' });
    const summary = await handle.settled;
    const ended = await service.client.get(handle.id);
    expect(ended).toMatchObject({ state: 'done', outcome: 'succeeded', decision: { approver: 'operator', verdict: 'approve', reason: 'checked' } });
    expect(ended?.summary).toEqual(summary);
  });

  it('is derived from the snapshot of a record written before views existed, the same as the one written', async () => {
    const handle = await service.client.submit({ task_objective: 'mean', behavior: 'success' });
    await handle.settled;
    const { record, revision } = await storedRecord(handle.id);
    const { view: written, ...before } = record;
    await service.transport.kv.update(kvKeys.execution(handle.id), before, revision);
    expect((await storedRecord(handle.id)).record.view).toBeUndefined();
    expect(await service.client.get(handle.id)).toEqual(written);
    expect((await service.client.list()).find((view) => view.execution_id === handle.id)).toEqual(written);
  });
});
