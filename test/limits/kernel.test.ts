/**
 * The kernel side of channel limits, job by job through the kernel the
 * service uses (createKernel: the local kernel in the OS sandbox, wrapped with
 * the limits), with the real pyepics and the CA test server: a limits file
 * edited or broken between jobs, synchronous-group puts, libca called
 * directly, and a kernel told limits are required that finds none.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '../../adapters/kernels/index.ts';
import type { ExecuteJob, ExecuteResult } from '../../protocol/internal.ts';
import { executeJob } from '../support/fixtures.ts';
import { parseConfig } from '../../config/index.ts';
import { CaServer } from '../support/ca-server.ts';
import { debianPython } from '../support/ca/pyepics.ts';
import { tempDir } from '../support/temp.ts';
import { peerLimits, writeLimitsFile } from './limits-fixture.ts';

const root = tempDir('pyexec-limits-kernel-');
let server: CaServer;
let kernel: Kernel | null = null;
let jobs = 0;

beforeAll(async () => {
  server = await CaServer.start({
    pvs: {
      'LTS:H1:CurrentAO': { value: 0 },
      'SR:MAG:QD4:CURRENT:SP': { value: 100 },
      'SR:MAG:RO:CURRENT:SP': { value: 100, readOnly: true },
      'SR:ABS:SP': { value: 100, clampAbove: 103 },
    },
  });
});
afterEach(async () => {
  await kernel?.close();
  kernel = null;
});
afterAll(async () => {
  await server.close();
  root.remove();
});

async function startKernel(limitsFile: string | null, environment: Record<string, string> = {}): Promise<Kernel> {
  const mode = { kernel_name: 'python3', environment: { ...server.environment, ...environment }, network: [server.address] };
  const config = parseConfig({
    execution: { local: { python_env_path: debianPython }, modes: { read_only: { ...mode, allows_writes: false }, write_access: { ...mode, allows_writes: true } } },
    control_system: { writes_enabled: true, limits: { file: limitsFile } },
  });
  kernel = await createKernel(config, { warm: false });
  return kernel;
}

function writeJob(code: string): ExecuteJob {
  jobs += 1;
  const folder = join(root.path, `job-${jobs}`);
  mkdirSync(folder);
  return executeJob(code, folder, {
    command_id: `limits:${jobs}`,
    execution_id: `limits-job-${String(jobs).padStart(4, '0')}`,
    mode: 'write_access',
    allows_writes: true,
  });
}

const put = (value: number) => `from epics import caput\nresults = {"status": caput("LTS:H1:CurrentAO", ${value})}\n`;
const writesOf = (result: ExecuteResult) => (result.channel_limits?.writes ?? []).map((w) => [w.pv, w.value, w.outcome, w.limit]);

describe('channel limits in the kernel, job by job', () => {
  it('applies an edited limits file to the next job with its new version, and refuses every write while the file is invalid', async () => {
    const file = writeLimitsFile(root.path, peerLimits, 'edited.json');
    const running = await startKernel(file);

    const first = await running.execute(writeJob(put(2.5)));
    expect(first.status).toBe('succeeded');
    expect(writesOf(first)).toEqual([['LTS:H1:CurrentAO', 2.5, 'written', null]]);

    writeLimitsFile(root.path, { ...peerLimits, 'LTS:H1:CurrentAO': { min_value: -2, max_value: 2 } }, 'edited.json');
    const second = await running.execute(writeJob(put(2.5)));
    expect(second.error?.message).toBe('channel limits: write refused: 2.5 for "LTS:H1:CurrentAO" is above its maximum 2');
    expect(writesOf(second)).toEqual([['LTS:H1:CurrentAO', 2.5, 'refused', 'max_value']]);
    expect(second.channel_limits?.version).toMatch(/^[0-9a-f]{64}$/);
    expect(second.channel_limits?.version).not.toBe(first.channel_limits?.version);

    writeLimitsFile(root.path, '{"LTS:H1:CurrentAO": {"max_value": "two"}}', 'edited.json');
    const third = await running.execute(writeJob(put(1)));
    expect(third.channel_limits).toMatchObject({ version: null, unavailable: expect.stringContaining('channel "LTS:H1:CurrentAO", field max_value') });
    expect(writesOf(third)).toEqual([['LTS:H1:CurrentAO', 1, 'refused', 'unavailable']]);

    // caput does not wait for the server: its log of writes is awaited.
    await expect.poll(() => server.writesTo('LTS:H1:CurrentAO').map((write) => write.value)).toEqual([2.5]);
  });

  it('checks puts in a synchronous group, refuses libca called directly, and records a put the server refuses as failed', async () => {
    const running = await startKernel(writeLimitsFile(root.path, peerLimits, 'group.json'));
    const code = `
import epics
from epics import ca
chid = ca.create_channel("SR:MAG:QD4:CURRENT:SP")
ca.connect_channel(chid)
group = ca.sg_create()
outcomes = []
for value in (520, 102):
    try:
        ca.sg_put(group, chid, value)
        outcomes.append("put")
    except PermissionError as exc:
        outcomes.append(str(exc))
ca.sg_block(group)
data = (ca.dbr.Map[ca.dbr.DOUBLE] * 1)(103.0)
try:
    ca.libca.ca_array_put(ca.dbr.DOUBLE, 1, chid, data)
    outcomes.append("raw put")
except PermissionError as exc:
    outcomes.append(str(exc))
try:
    epics.caput("SR:MAG:RO:CURRENT:SP", 101)
except Exception as exc:
    outcomes.append(type(exc).__name__)
results = {"outcomes": outcomes}
`;
    const result = await running.execute(writeJob(code));
    expect(result.status).toBe('succeeded');
    expect(result.results).toEqual({
      outcomes: [
        'channel limits: write refused: 520 for "SR:MAG:QD4:CURRENT:SP" is above its maximum 500 (limits of "SR:MAG:*:CURRENT:SP")',
        'put',
        "channel limits: write refused: libca's ca_array_put was called directly: its value cannot be checked against the channel limits (use epics.caput or PV.put)",
        'CASeverityException',
      ],
    });
    expect(writesOf(result)).toEqual([
      ['SR:MAG:QD4:CURRENT:SP', 520, 'refused', 'max_value'],
      ['SR:MAG:QD4:CURRENT:SP', 102, 'written', null],
      ['', null, 'refused', 'raw_put'],
      ['SR:MAG:RO:CURRENT:SP', 101, 'failed', null],
    ]);
    await expect.poll(() => server.writesTo('SR:MAG:QD4:CURRENT:SP').map((write) => write.value)).toEqual([102]);
  });

  it('verifies a readback within an absolute tolerance', async () => {
    const limits = { 'SR:ABS:SP': { max_value: 200, verification: { level: 'readback', tolerance_absolute: 2 } } };
    const running = await startKernel(writeLimitsFile(root.path, limits, 'absolute.json'));
    const result = await running.execute(writeJob('from epics import caput\nresults = {"s": [caput("SR:ABS:SP", 104), caput("SR:ABS:SP", 110)]}\n'));
    expect(result.status).toBe('succeeded');
    expect(result.channel_limits?.writes.map((w) => [w.value, w.verification?.verified, w.verification?.readback, w.verification?.tolerance])).toEqual([
      [104, true, 103, 2],
      [110, false, 103, 2],
    ]);
  });

  it('refuses every write when the kernel is told limits are required and finds none', async () => {
    const running = await startKernel(null, { PYEXEC_CHANNEL_LIMITS: 'required' });
    const before = server.writes.length;
    const result = await running.execute(writeJob(put(1)));
    expect(result.status).toBe('runtime_error');
    expect(result.error?.message).toMatch(/^channel limits: write refused: the channel limits file cannot be used, so every write is refused: this attempt's limits \(.*01_channel_limits\.json\) are not in its folder$/);
    expect(server.writes.length).toBe(before);
  });
});
