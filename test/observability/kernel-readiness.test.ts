/**
 * The kernels' warm pools and readiness as operators see them: a real local
 * kernel (fork servers in the OS sandbox) and a real Jupyter Server's kernel
 * pool, each behind an executor's observability endpoints, scraped by a real
 * Prometheus. /readyz reports a kernel still warming up, a dead fork server
 * (and has it replaced), a Jupyter server that stopped answering; the warm
 * pool gauge and miss count follow through Prometheus's query API.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecuteJob } from '../../protocol/internal.ts';
import { createJupyterKernel } from '../../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import type { Kernel } from '../../adapters/kernels/kernel.ts';
import { createLocalKernel } from '../../adapters/kernels/local/index.ts';
import { Observability } from '../../observability/index.ts';
import { eventually } from '../support/eventually.ts';
import { requireTestPython, testKernelOptions } from '../kernels/local-python.ts';
import { startTestJupyterServer, type TestJupyterServer } from '../support/jupyter-server.ts';
import { forkServers } from '../support/processes.ts';
import { Prometheus } from '../support/prometheus.ts';
import { tempDir } from '../support/temp.ts';
import { executeJob } from '../support/fixtures.ts';

requireTestPython();

interface Readiness {
  status: number;
  body: { ready: boolean; checks: string[]; failures: Array<{ check: string; reason: string }> };
}

async function readyz(observability: Observability): Promise<Readiness> {
  const response = await fetch(`${observability.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/** An executor's endpoints (nothing else in the process), on a free loopback port. */
async function executorEndpoints(): Promise<Observability> {
  const observability = new Observability('executor', null, { host: '127.0.0.1', port: 0 });
  await observability.start();
  return observability;
}

const hostPort = (observability: Observability): string => (observability.url ?? '').replace(/^http:\/\//, '');

function newJob(folder: string, code: string, mode = 'read_only'): ExecuteJob {
  mkdirSync(folder, { recursive: true });
  return executeJob(code, folder, { mode, allows_writes: mode !== 'read_only' });
}

describe('kernel warm pools and readiness, scraped by a real Prometheus', () => {
  const root = tempDir('pyexec-kernel-readiness-');
  // The sandbox's uid reads and writes the execution folders below it.
  chmodSync(root.path, 0o755);
  let jupyter: TestJupyterServer;
  let localEndpoints: Observability;
  let jupyterEndpoints: Observability;
  let prometheus: Prometheus;
  const kernels: Kernel[] = [];
  let folders = 0;
  const folder = (under = root.path) => join(under, `job-${++folders}`);
  const gauge = (name: string, kernel: string) => prometheus.value(`${name}{kernel="${kernel}",role="executor"}`);

  beforeAll(async () => {
    jupyter = await startTestJupyterServer();
    localEndpoints = await executorEndpoints();
    jupyterEndpoints = await executorEndpoints();
    prometheus = await Prometheus.start([hostPort(localEndpoints), hostPort(jupyterEndpoints)]);
  });

  afterAll(async () => {
    for (const kernel of kernels) await kernel.close();
    await prometheus?.dispose();
    await localEndpoints?.stop();
    await jupyterEndpoints?.stop();
    await jupyter?.stop();
    root.remove();
  });

  it('local warm kernel: unready while its fork servers start, a dead one reported and replaced, misses counted', async () => {
    const settings = { allows_writes: false, environment: {} };
    const options = testKernelOptions({ modes: { read_only: settings, write_access: { ...settings, allows_writes: true } }, outputCapBytes: 10_000, memoryMb: 2048 }, { warm: true });
    const kernel = localEndpoints.kernel(createLocalKernel(options));
    kernels.push(kernel);

    const starting = await readyz(localEndpoints);
    expect(starting.status).toBe(503);
    expect(starting.body.checks).toEqual(['kernel']);
    expect(starting.body.failures).toEqual([{ check: 'kernel', reason: expect.stringMatching(/no fork server running: mode read_only's is starting/) }]);
    await eventually(async () => (await readyz(localEndpoints)).status === 200 || undefined, '/readyz once both fork servers run', 90_000);

    expect((await kernel.execute(newJob(folder(), 'results = {"n": 1}'))).executor).toBe('local-warm');
    await eventually(async () => (await gauge('pyexec_warm_pool_size', 'local-warm')) === 2 || undefined, 'Prometheus to see two fork servers');
    expect(await gauge('pyexec_warm_pool_misses', 'local-warm')).toBe(0);

    for (const pid of forkServers()) process.kill(pid, 'SIGKILL');
    // Seen by a scrape (which starts nothing): the pool is empty until a job or a probe asks.
    await eventually(async () => (await gauge('pyexec_warm_pool_size', 'local-warm')) === 0 || undefined, 'Prometheus to see the fork servers gone');
    const result = await kernel.execute(newJob(folder(), 'results = {"n": 2}'));
    expect(result.status, result.error?.message).toBe('succeeded');
    expect(result.executor).toBe('local-warm');
    await eventually(async () => (await gauge('pyexec_warm_pool_misses', 'local-warm')) === 1 || undefined, 'Prometheus to count the miss');
    await eventually(async () => (await gauge('pyexec_warm_pool_size', 'local-warm')) === 1 || undefined, 'the job\'s mode to have its server back');

    const died = await readyz(localEndpoints);
    expect(died.status).toBe(503);
    expect(died.body.failures).toEqual([{ check: 'kernel', reason: expect.stringMatching(/mode write_access's died, a new one is starting/) }]);
    // The probe had the dead server replaced: no job of that mode was needed.
    await eventually(async () => (await readyz(localEndpoints)).status === 200 || undefined, '/readyz once the probe replaced the server', 90_000);
    await eventually(async () => (await gauge('pyexec_warm_pool_size', 'local-warm')) === 2 || undefined, 'Prometheus to see both servers again');
    expect(await gauge('pyexec_warm_pool_misses', 'local-warm')).toBe(1);
  }, 180_000);

  it('jupyter kernel: unready until its pool is warm, misses when jobs outrun the pool, unready when the server stops', async () => {
    // One warm kernel for each of the two modes' kernelspecs.
    const config = jupyter.config({ pool_size: 1 });
    const kernel = jupyterEndpoints.kernel(createJupyterKernel(config.execution.jupyter, kernelContext(config)));
    kernels.push(kernel);

    // Nobody filled the pool: the probe reports it (or, on a busy machine, that the server is still
    // listing its kernelspecs) and starts the kernels.
    const cold = await readyz(jupyterEndpoints);
    expect(cold.status).toBe(503);
    expect(cold.body.failures).toEqual([{ check: 'kernel', reason: expect.stringMatching(/no warm "python3-epics-\w+" kernel yet|the server did not list its kernelspecs within/) }]);
    await eventually(async () => (await readyz(jupyterEndpoints)).status === 200 || undefined, '/readyz once the pool is warm', 90_000);
    await eventually(async () => (await gauge('pyexec_warm_pool_size', 'jupyter')) === 2 || undefined, 'Prometheus to see the warm kernels');
    expect(await gauge('pyexec_warm_pool_misses', 'jupyter')).toBe(0);

    // Two read-only jobs at once on its pool of one: the second waits for a kernel start.
    const results = await Promise.all([0, 1].map((n) => kernel.execute(newJob(folder(jupyter.root), `results = {"n": ${n}}`))));
    expect(results.map((result) => result.status)).toEqual(['succeeded', 'succeeded']);
    await eventually(async () => (await gauge('pyexec_warm_pool_misses', 'jupyter')) === 1 || undefined, 'Prometheus to count the miss');
    await eventually(async () => (await gauge('pyexec_warm_pool_size', 'jupyter')) === 2 || undefined, 'the pool refilled');
    expect((await readyz(jupyterEndpoints)).status).toBe(200);

    await jupyter.server.stop();
    const down = await readyz(jupyterEndpoints);
    expect(down.status).toBe(503);
    expect(down.body.failures).toEqual([{ check: 'kernel', reason: expect.stringMatching(/the Jupyter server at .* does not answer/) }]);
  }, 240_000); // sandboxed kernels start in seconds each on a busy machine
});
