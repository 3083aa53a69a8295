/**
 * Channel limits at run time, through real executions: the service, the
 * local kernel on Debian's Python with the real pyepics, and the CA test
 * server standing for the hardware, which tells from outside the kernel what
 * reached the network. Channels and values come from the request's context,
 * so the analysis cannot know them: every check here is the kernel's.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, parseConfig, RuntimeFailedError, type PyexecService } from '../../index.ts';
import type { ChannelWrite } from '../../protocol/channel-limits.ts';
import { auditRecordSchema } from '../../protocol/audit.ts';
import { CaServer } from '../support/ca-server.ts';
import { debianPython } from '../support/ca/pyepics.ts';
import { tempDir } from '../support/temp.ts';
import { writeLimitsFile } from './limits-fixture.ts';
import { auditRecordsOf } from '../support/audit-records.ts';

const writesCode = `
from epics import caput
results = {"outcomes": []}
for pv, value in context.writes:
    try:
        results["outcomes"].append([pv, "written", caput(pv, value)])
    except PermissionError as exc:
        results["outcomes"].append([pv, "refused", str(exc)])
`;

const folder = tempDir('pyexec-limits-');
let server: CaServer;

async function startService(policy: 'deny_unlisted' | 'allow_unlisted', name: string): Promise<PyexecService> {
  const config = parseConfig({
    python_executor: { max_execution_retries: 1 },
    approval: { global_mode: 'disabled' },
    execution: {
      local: { python_env_path: debianPython },
      // In the OS sandbox, as deployed: the CA server is the one endpoint the kernel may reach.
      modes: {
        read_only: { kernel_name: 'python3', allows_writes: false, environment: server.environment, network: [server.address] },
        write_access: { kernel_name: 'python3', allows_writes: true, requires_approval: false, environment: server.environment, network: [server.address] },
      },
    },
    control_system: { writes_enabled: true, limits: { file: writeLimitsFile(folder.path), policy } },
    service: { executions_root: join(folder.path, name) },
  });
  return createService(config, { warmKernel: false });
}

/** The entries after the folder's creation, each checked against the protocol. */
function auditOf(executionFolder: string) {
  return auditRecordsOf(executionFolder)
    .slice(1)
    .map((record) => auditRecordSchema.parse(record));
}

function written(pv: string): unknown[] {
  return server.writesTo(pv).map((write) => write.value);
}

let service: PyexecService;

beforeAll(async () => {
  server = await CaServer.start({
    pvs: {
      'SR:MAG:QF1:CURRENT:SP': { value: 100 },
      'SR:MAG:QD4:CURRENT:SP': { value: 100, clampAbove: 103 },
      'SR:RF:FREQ': { value: 500 },
      'BR:UNLISTED:SP': { value: 1 },
      'LTS:H1:CurrentAO': { value: 0 },
    },
  });
  service = await startService('deny_unlisted', 'deny');
});

afterAll(async () => {
  await service.stop();
  await server.close();
  folder.remove();
});

describe('channel limits in the write-mode kernel (real pyepics, CA test server)', () => {
  it('checks every write before the network, verifies after it, and records both in the result and the audit', async () => {
    const writes = [
      ['SR:MAG:QF1:CURRENT:SP', 110], // in range, a step of 10 of at most 20; verified by callback (defaults)
      ['SR:MAG:QF1:CURRENT:SP', 5], // below min_value 10
      ['SR:MAG:QF1:CURRENT:SP', 150], // within 10..200, but a step of 40 from 110
      ['SR:MAG:QD4:CURRENT:SP', 520], // above max_value 500 of the SR:MAG:* family
      ['SR:MAG:QD4:CURRENT:SP', 104], // allowed; the server clamps it to 103: readback outside 0.2 %
      ['SR:RF:FREQ', 1], // not writable
      ['BR:UNLISTED:SP', 1], // unlisted, deny_unlisted
      ['LTS:H1:CurrentAO', 2.5], // in range, verification none
    ];
    const handle = await service.client.submit({ task_objective: 'set magnets', approved_code: writesCode, context: { writes } });
    const summary = await handle.result;
    expect(summary.execution_mode).toBe('write_access');
    expect(summary.channel_limits?.writes.map((write) => write.outcome)).toEqual(['written', 'refused', 'refused', 'refused', 'written', 'refused', 'refused', 'written']);

    const outcomes = (summary.results as { outcomes: [string, string, unknown][] }).outcomes;
    expect(outcomes.map(([pv, outcome]) => [pv, outcome])).toEqual([
      ['SR:MAG:QF1:CURRENT:SP', 'written'],
      ['SR:MAG:QF1:CURRENT:SP', 'refused'],
      ['SR:MAG:QF1:CURRENT:SP', 'refused'],
      ['SR:MAG:QD4:CURRENT:SP', 'refused'],
      ['SR:MAG:QD4:CURRENT:SP', 'written'],
      ['SR:RF:FREQ', 'refused'],
      ['BR:UNLISTED:SP', 'refused'],
      ['LTS:H1:CurrentAO', 'written'],
    ]);
    const messages = outcomes.filter(([, outcome]) => outcome === 'refused').map(([, , message]) => message);
    expect(messages).toEqual([
      'channel limits: write refused: 5 for "SR:MAG:QF1:CURRENT:SP" is below its minimum 10',
      'channel limits: write refused: 150 for "SR:MAG:QF1:CURRENT:SP" is a step of 40 from its current value 110.0, more than its max_step 20',
      'channel limits: write refused: 520 for "SR:MAG:QD4:CURRENT:SP" is above its maximum 500 (limits of "SR:MAG:*:CURRENT:SP")',
      'channel limits: write refused: "SR:RF:FREQ" is not writable in the limits database',
      'channel limits: write refused: "BR:UNLISTED:SP" is not in the limits database, and writes to unlisted channels are refused (deny_unlisted)',
    ]);

    // From outside the kernel: only the allowed writes reached the server. caput does not wait
    // for the server, which handles the writes in order on one circuit: the last is awaited first.
    await expect.poll(() => written('LTS:H1:CurrentAO')).toEqual([2.5]);
    expect(written('SR:MAG:QF1:CURRENT:SP')).toEqual([110]);
    expect(written('SR:MAG:QD4:CURRENT:SP')).toEqual([104]);
    expect(written('SR:RF:FREQ')).toEqual([]);
    expect(written('BR:UNLISTED:SP')).toEqual([]);
    expect(written('LTS:H1:CurrentAO')).toEqual([2.5]);
    expect(server.value('SR:MAG:QD4:CURRENT:SP')).toBe(103);

    const audit = auditOf(summary.folder);
    const end = audit.find((record) => record.event === 'execution_end');
    expect(end?.limits_version).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.find((record) => record.event === 'execution_start')?.limits_version).toBe(end?.limits_version);
    const refused = audit.filter((record) => record.event === 'channel_write_refused');
    expect(refused.map((record) => [record.pv, record.value, record.limit, record.limits_version])).toEqual([
      ['SR:MAG:QF1:CURRENT:SP', 5, 'min_value', end?.limits_version],
      ['SR:MAG:QF1:CURRENT:SP', 150, 'max_step', end?.limits_version],
      ['SR:MAG:QD4:CURRENT:SP', 520, 'max_value', end?.limits_version],
      ['SR:RF:FREQ', 1, 'writable', end?.limits_version],
      ['BR:UNLISTED:SP', 1, 'unlisted', end?.limits_version],
    ]);
    expect(refused[1]).toMatchObject({ current: 110 });
    const verified = audit
      .filter((record) => record.event === 'channel_write')
      .map((record) => [record.pv, (record.verification as ChannelWrite['verification'])?.level, (record.verification as ChannelWrite['verification'])?.verified]);
    expect(verified).toEqual([
      ['SR:MAG:QF1:CURRENT:SP', 'callback', true],
      ['SR:MAG:QD4:CURRENT:SP', 'readback', false],
      ['LTS:H1:CurrentAO', 'none', null],
    ]);
    const readback = audit.find((record) => record.event === 'channel_write' && record.pv === 'SR:MAG:QD4:CURRENT:SP');
    expect(readback?.verification).toMatchObject({ readback: 103, message: expect.stringContaining('outside of the written 104') });
  });

  it('fails the execution with the refusal, named for the operator, when the code does not catch it', async () => {
    const code = 'from epics import caput\ncaput(context.pv, context.value)\nresults = {"done": True}\n';
    const handle = await service.client.submit({ task_objective: 'too far', approved_code: code, context: { pv: 'LTS:H1:CurrentAO', value: 7 } });
    const error = await handle.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeFailedError);
    const failure = (error as RuntimeFailedError).summary.error_chain.at(-1);
    expect(failure).toMatchObject({ stage: 'execution', type: 'ChannelLimitsViolation' });
    expect(failure?.message).toBe('channel limits: write refused: 7 for "LTS:H1:CurrentAO" is above its maximum 5');
    expect(written('LTS:H1:CurrentAO')).toEqual([2.5]);
    const refused = auditOf((error as RuntimeFailedError).summary.folder).filter((record) => record.event === 'channel_write_refused');
    expect(refused.map((record) => [record.pv, record.value, record.limit])).toEqual([['LTS:H1:CurrentAO', 7, 'max_value']]);
  });

  it('writes an unlisted channel without limits under allow_unlisted', async () => {
    const allowing = await startService('allow_unlisted', 'allow');
    try {
      const handle = await allowing.client.submit({ task_objective: 'unlisted', approved_code: writesCode, context: { writes: [['BR:UNLISTED:SP', 2]] } });
      const summary = await handle.result;
      expect((summary.results as { outcomes: unknown[][] }).outcomes).toEqual([['BR:UNLISTED:SP', 'written', 1]]);
      await expect.poll(() => written('BR:UNLISTED:SP')).toEqual([2]);
      const record = auditOf(summary.folder).find((entry) => entry.event === 'channel_write');
      expect(record).toMatchObject({ pv: 'BR:UNLISTED:SP', message: 'written (unlisted channel, allowed without limits)', verification: { level: 'none' } });
    } finally {
      await allowing.stop();
    }
  });
});
