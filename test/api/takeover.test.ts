/**
 * Takeover driven by heartbeats: a supervisor reads the execution records
 * at start and when a peer's heartbeat has expired, not on every lease
 * round; an execution left by a stopped supervisor is finished by its peer,
 * which then forgets the peer. Two services share one in-process transport
 * (the NATS version of this, with kill -9, is test/distributed/supervisor-failover).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startService, type PyexecService } from '../../actors/service.ts';
import { silentLogger } from '../../logging/logger.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { createMemoryTransport } from '../../bus/memory/transport.ts';
import type { Transport } from '../../bus/transport.ts';
import { parseConfig } from '../../config/load.ts';
import { tempDir } from '../support/temp.ts';

const folder = tempDir('pyexec-takeover-');
const leaseMs = 600;
const config = parseConfig({
  execution: { local: { python_env_path: '/usr/bin/python3' } },
  service: { executions_root: join(folder.path, 'executions'), log_level: 'silent' },
});

/** The shared transport, counting the reads of every execution key (takeover scans). */
function countingTransport(): { transport: Transport; scans: () => number } {
  const transport = createMemoryTransport({ stateDir: null });
  let scans = 0;
  const keys = transport.kv.keys.bind(transport.kv);
  transport.kv.keys = async (prefix) => {
    if (prefix === kvKeys.executionPrefix) scans += 1;
    return keys(prefix);
  };
  return { transport, scans: () => scans };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const started: PyexecService[] = [];
afterAll(async () => {
  for (const service of started) await service.stop();
  folder.remove();
});

describe('takeover by heartbeat', () => {
  it('scans only at start and after a peer stops, finishes what the peer left, and forgets the peer', async () => {
    const { transport, scans } = countingTransport();
    // Supervisor A takes the request and stops while the job waits for an executor.
    const first = await startService(config, { transport, logger: silentLogger, supervisorId: 'a', leaseMs, actors: { executor: false } });
    const handle = await first.client.submit({ task_objective: 'takeover', approved_code: 'results = {"x": 1}\n' });
    await new Promise<void>((resolve) => handle.events.subscribe((event) => event.kind === 'state' && event.state === 'executing' && resolve()));
    await first.stop();

    const second = await startService(config, { transport, logger: silentLogger, supervisorId: 'b', leaseMs, warmKernel: false });
    started.push(second);
    expect(second.supervisor.hosted()).toEqual([]); // A's lease still runs: left to A at start

    const summary = await second.client.watch(handle.id).settled;
    expect(summary.outcome).toBe('succeeded');
    expect(summary.results).toEqual({ x: 1 });
    const record = await transport.kv.get(kvKeys.execution(handle.id));
    expect(record?.value).toMatchObject({ owner: 'b', state: 'done' });

    // A is forgotten once nothing of it is left; B's heartbeat stays.
    await expect.poll(() => transport.kv.get(kvKeys.supervisor('a')), { timeout: 5_000 }).toBeNull();
    expect(await transport.kv.get(kvKeys.supervisor('b'))).not.toBeNull();

    // With every peer alive, lease rounds (every 200 ms here) read no execution records.
    const scansBefore = scans();
    await sleep(1_500);
    expect(scans()).toBe(scansBefore);
    expect(scansBefore).toBeLessThanOrEqual(6); // A's and B's starts, and the rounds until A's lease ran out
  }, 30_000);
});
