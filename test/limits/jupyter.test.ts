/**
 * Channel limits in a Jupyter kernel: the same guard (pyexec_limits, loaded
 * by pyexec_jupyter) checks the write before it reaches the CA test server,
 * through the kernel the service builds for execution_method jupyter. The
 * kernel runs in the OS sandbox, so its limits travel with the request (its
 * staging folder has no copy) and its record of writes comes back with the
 * staging folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '../../adapters/kernels/index.ts';
import { configSchema } from '../../config/schema.ts';
import { CaServer } from '../support/ca-server.ts';
import { startTestJupyterServer, type TestJupyterServer } from '../support/jupyter-server.ts';
import { job } from '../jupyter/helpers.ts';
import { writeLimitsFile } from './limits-fixture.ts';

let server: CaServer;
let jupyter: TestJupyterServer;
let kernel: Kernel;

beforeAll(async () => {
  server = await CaServer.start({ pvs: { 'LTS:H1:CurrentAO': { value: 0 } } });
  const mode = { kernel_name: 'pyexec-limits-test', environment: server.environment, network: [server.address] };
  const modes = configSchema.parse({
    execution: { modes: { read_only: { ...mode, kernel_name: 'pyexec-limits-test-ro', allows_writes: false }, write_access: { ...mode, allows_writes: true } } },
  }).execution.modes;
  jupyter = await startTestJupyterServer({ modes });
  const config = jupyter.config({ pool_size: 0 }, { control_system: { writes_enabled: true, limits: { file: writeLimitsFile(jupyter.root) } } });
  kernel = await createKernel({ ...config, execution: { ...config.execution, execution_method: 'jupyter' } });
}, 120_000);

afterAll(async () => {
  await kernel?.close();
  await jupyter?.stop();
  await server?.close();
});

describe('channel limits in a Jupyter kernel', () => {
  it('writes within the limits and refuses beyond them, before the network', async () => {
    const code = `
from epics import caput
results = {"outcomes": []}
for value in (2.5, 7):
    try:
        results["outcomes"].append(caput("LTS:H1:CurrentAO", value))
    except PermissionError as exc:
        results["outcomes"].append(str(exc))
`;
    const result = await kernel.execute(job(code, jupyter.folder('limits-1'), { mode: 'write_access', allows_writes: true }));
    expect(result.status).toBe('succeeded');
    expect(result.results).toEqual({ outcomes: [1, 'channel limits: write refused: 7 for "LTS:H1:CurrentAO" is above its maximum 5'] });
    expect(result.channel_limits?.writes.map((w) => [w.value, w.outcome, w.limit])).toEqual([
      [2.5, 'written', null],
      [7, 'refused', 'max_value'],
    ]);
    // caput does not wait for the server: its log of writes is awaited.
    await expect.poll(() => server.writesTo('LTS:H1:CurrentAO').map((write) => write.value)).toEqual([2.5]);
  });
});
