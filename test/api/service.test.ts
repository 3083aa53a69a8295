/** The programmatic API: a service from a config, handles, typed failures, the read model. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  createService,
  parseConfig,
  RejectedError,
  RuntimeFailedError,
  ValidationError,
} from '../../index.ts';
import { executionViewSchema } from '../../protocol/execution-view.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { executionRecordSchema } from '../../protocol/record.ts';
import { untilState } from '../support/execution-events.ts';
import { servicePerFile } from '../support/service-per-file.ts';

const api = servicePerFile('pyexec-api-', { python_executor: { max_execution_retries: 1 } });
const { epics } = api.setup;

describe('programmatic API', () => {
  it('refuses a request without task_objective, naming the field', async () => {
    const attempt = api.service.client.submit({ user_query: 'plot it' } as never);
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(attempt).rejects.toThrow(/request\.task_objective/);
  });

  it('refuses unknown request fields and a bad folder name precisely', async () => {
    await expect(api.service.client.submit({ task_objective: 'x', colour: 'red' } as never)).rejects.toThrow(/colour/);
    await expect(api.service.client.submit({ task_objective: 'x', execution_folder_name: '../../etc' })).rejects.toThrow(
      /request\.execution_folder_name: .*\.\./,
    );
  });

  it('streams state events and resolves the result', async () => {
    const handle = await api.service.client.submit({ task_objective: 'mean', behavior: 'success' });
    const states: string[] = [];
    handle.events.subscribe((event) => event.kind === 'state' && states.push(event.state));
    const summary = await handle.result;
    expect(summary.results).toMatchObject({ count: 100 });
    expect(states).toEqual(['generating', 'analyzing', 'executing', 'done']);
  });

  it('rejects the result with a typed, non-retryable error when the approver rejects', async () => {
    const handle = await api.service.client.submit({ task_objective: 'write', behavior: 'epics_write' });
    await untilState(handle, 'awaitingApproval');
    await handle.reject('not now', { approver: 'operator' });
    const error = await handle.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    // Its code in the error catalogue (protocol/errors.ts), for programs that branch on codes.
    expect((error as RejectedError).code).toBe('rejected');
    expect((error as RejectedError).retryable).toBe(false);
    expect((error as RejectedError).summary.outcome).toBe('rejected');
    expect(epics.writes()).toEqual([]);
  });

  it('cancels a pending execution', async () => {
    const handle = await api.service.client.submit({ task_objective: 'write', behavior: 'epics_write' });
    await untilState(handle, 'awaitingApproval');
    await handle.cancel('operator changed their mind');
    await expect(handle.result).rejects.toBeInstanceOf(CancelledError);
    expect(epics.writes()).toEqual([]);
  });

  it('types a runtime failure as retryable, with the error chain', async () => {
    const handle = await api.service.client.submit({ task_objective: 'fails', behavior: 'runtime_error' });
    const error = await handle.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeFailedError);
    expect((error as RuntimeFailedError).retryable).toBe(true);
    expect((error as RuntimeFailedError).summary.error_chain[0]).toMatchObject({ stage: 'execution', type: 'IndexError' });
  });
});

describe('a request the service cannot accept', () => {
  it('rejects the handle with the reason instead of waiting forever', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const blockedRoot = join(api.folder, 'blocked');
    mkdirSync(blockedRoot);
    // The executions root is a file: no folder can be made under it (root ignores permission bits).
    writeFileSync(join(blockedRoot, 'executions'), 'not a folder');
    const config = parseConfig({ service: { executions_root: join(blockedRoot, 'executions') } });
    const blocked = await createService(config, { warmKernel: false });
    try {
      const handle = await blocked.client.submit({ task_objective: 'x', behavior: 'success' });
      await expect(handle.settled).rejects.toBeInstanceOf(ValidationError);
      await expect(handle.result).rejects.toThrow(/request refused/);
    } finally {
      await blocked.stop();
    }
  });
});

async function storedRecord(id: string) {
  const entry = await api.service.transport.kv.get(kvKeys.execution(id));
  if (!entry) throw new Error(`no record for ${id}`);
  return { record: executionRecordSchema.parse(entry.value), revision: entry.revision };
}

/**
 * The read model: the KV record carries a validated public view beside the
 * snapshot, the client reads only that view, and a record written before
 * views existed (the store outlives upgrades) reads the same.
 */
describe('the public view of an execution', () => {
  it('is in the KV record: the pending approval with its code hash, findings, PVs and deadline, then the summary', async () => {
    const handle = await api.service.client.submit({ task_objective: 'set the quadrupole', behavior: 'epics_write' });
    await untilState(handle, 'awaitingApproval');
    const { record } = await storedRecord(handle.id);
    const waiting = executionViewSchema.parse(record.view);
    expect(waiting).toMatchObject({ execution_id: handle.id, state: 'awaitingApproval', outcome: null, summary: null });
    expect(waiting.approval?.code_sha256).toBe(waiting.code_sha256);
    expect(Date.parse(waiting.approval?.deadline ?? '')).toBeGreaterThan(Date.now());
    expect(waiting.analysis?.control_system.writes.length).toBeGreaterThan(0);
    expect(waiting.analysis?.findings.length).toBeGreaterThan(0);
    expect(await api.service.client.get(handle.id)).toEqual(waiting);

    await handle.approve({ approver: 'operator', reason: 'checked' });
    const summary = await handle.settled;
    const ended = await api.service.client.get(handle.id);
    expect(ended).toMatchObject({ state: 'done', outcome: 'succeeded', decision: { approver: 'operator', verdict: 'approve', reason: 'checked' } });
    expect(ended?.summary).toEqual(summary);
  });

  it('is derived from the snapshot of a record written before views existed, the same as the one written', async () => {
    const handle = await api.service.client.submit({ task_objective: 'mean', behavior: 'success' });
    await handle.settled;
    const { record, revision } = await storedRecord(handle.id);
    const { view: written, ...before } = record;
    await api.service.transport.kv.update(kvKeys.execution(handle.id), before, revision);
    expect((await storedRecord(handle.id)).record.view).toBeUndefined();
    expect(await api.service.client.get(handle.id)).toEqual(written);
    expect((await api.service.client.list()).find((view) => view.execution_id === handle.id)).toEqual(written);
  });
});
