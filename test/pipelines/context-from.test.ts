/**
 * context_from at the service's intake, on the embedded default with real
 * Python: an earlier execution's results reach the next one's `context`, the
 * lineage is in the audit trail, the snapshot and the notebook header, and
 * every reference that cannot be used is refused on pyexec.errors and to the
 * client, naming the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, loadConfig, ValidationError, type PyexecService } from '../../index.ts';
import { protocolErrorSchema, type ProtocolError } from '../../protocol/public.ts';
import { subjects } from '../../protocol/subjects.ts';
import { writeConfigFile } from '../support/service-config.ts';
import { tempDir } from '../support/temp.ts';
import { untilState } from '../support/execution-events.ts';
import { writeCode } from '../support/fake-epics.ts';
import { auditRecordsOf } from '../support/audit-records.ts';

const folder = tempDir('pyexec-context-from-');
const setup = writeConfigFile(folder.path, { limits: { context_from_bytes: 2_000 } });
let service: PyexecService;
const refusals: ProtocolError[] = [];

beforeAll(async () => {
  service = await createService(loadConfig({ path: setup.configFile }), { warmKernel: false });
  service.transport.bus.subscribe(subjects.errors, (message) => {
    const parsed = protocolErrorSchema.safeParse(message.data);
    if (parsed.success) refusals.push(parsed.data);
  });
});
afterAll(async () => {
  await service.stop();
  folder.remove();
});

const run = (code: string, extra: object = {}) => service.client.submit({ task_objective: 'stage', approved_code: code, ...extra });

describe('context_from', () => {
  it("puts an earlier execution's results into context under its name and records the lineage", async () => {
    const first = await (await run('results = {"values": [1, 2, 3, 4]}')).result;
    const handle = await run('results = {"total": sum(context["load"]["values"]), "label": context["label"]}', {
      context: { label: 'sum' },
      context_from: [{ execution_id: first.execution_id, as: 'load' }],
    });
    const second = await handle.result;
    expect(second.results).toEqual({ total: 10, label: 'sum' });

    const audit = auditRecordsOf(second.folder);
    expect(audit.find((record) => record.event === 'request')?.context_from).toEqual([
      expect.objectContaining({ execution_id: first.execution_id, as: 'load', folder: first.folder, code_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    const view = await service.client.get(second.execution_id);
    expect(view?.request.context_from).toEqual([{ execution_id: first.execution_id, as: 'load' }]);
    expect(JSON.parse(readFileSync(join(second.folder, 'context.json'), 'utf8'))).toEqual({ label: 'sum', load: { values: [1, 2, 3, 4] } });
    const notebook = readFileSync(second.notebook_path ?? '', 'utf8');
    expect(notebook).toContain(`← results of execution ${first.execution_id}`);
  });

  it('refuses an unknown execution, naming the field, on pyexec.errors and to the client', async () => {
    const handle = await run('results = {}', { context_from: [{ execution_id: 'no-such-execution', as: 'x' }] });
    await expect(handle.settled).rejects.toBeInstanceOf(ValidationError);
    await expect(handle.result).rejects.toThrow(/context_from\.0\.execution_id: no execution no-such-execution/);
    expect(refusals.find((error) => error.execution_id === handle.id)?.error).toMatch(/request refused: context_from\.0\.execution_id/);
    expect(await service.client.get(handle.id)).toBeNull();
  });

  it('refuses an execution that has not finished', async () => {
    const pending = await run(writeCode);
    await untilState(pending, 'awaitingApproval');
    const handle = await run('results = {}', { context_from: [{ execution_id: pending.id, as: 'x' }] });
    await expect(handle.result).rejects.toThrow(/has not finished \(state awaitingApproval\)/);
    await pending.cancel();
  });

  it('refuses an execution that failed', async () => {
    const failed = await (await run('raise ValueError("broken stage")')).settled;
    expect(failed.outcome).toBe('failed');
    const handle = await run('results = {}', { context_from: [{ execution_id: failed.execution_id, as: 'x' }] });
    await expect(handle.result).rejects.toThrow(/ended failed: only a succeeded execution's results can be used/);
  });

  it('refuses results larger than limits.context_from_bytes', async () => {
    const big = await (await run('results = {"blob": "x" * 5000}')).result;
    const handle = await run('results = {}', { context_from: [{ execution_id: big.execution_id, as: 'x' }] });
    await expect(handle.result).rejects.toThrow(/are 5011 bytes, more than limits\.context_from_bytes \(2000\)/);
  });

  it('refuses a name that is already a key of context, and bad names before anything is sent', async () => {
    const first = await (await run('results = {"a": 1}')).result;
    const handle = await run('results = {}', { context: { x: 1 }, context_from: [{ execution_id: first.execution_id, as: 'x' }] });
    await expect(handle.result).rejects.toThrow(/context_from\.0\.as: "x" is already a key of context/);
    await expect(run('results = {}', { context_from: [{ execution_id: first.execution_id, as: 'not a name' }] })).rejects.toThrow(
      /request\.context_from\.0\.as: must be a Python identifier/,
    );
    const twice = [{ execution_id: first.execution_id, as: 'a' }, { execution_id: first.execution_id, as: 'a' }];
    await expect(run('results = {}', { context_from: twice })).rejects.toThrow(/request\.context_from: must give each execution a different `as`/);
  });
});
