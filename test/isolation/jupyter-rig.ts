/**
 * The attacker's bench of rig.ts with the Jupyter executor in place of the
 * local one: the same planted secrets and Channel Access servers, a real
 * Jupyter Server whose kernelspecs start every kernel in its mode's sandbox,
 * and the executor path (warm pool, one kernel per execution).
 */
import { join } from 'node:path';
import type { ExecuteJob } from '../../protocol/internal.ts';
import { configSchema } from '../../config/schema.ts';
import { createJupyterKernel } from '../../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import { startJupyterServer, type RunningJupyterServer } from '../../adapters/kernels/jupyter/server.ts';
import type { CaServer } from '../support/ca-server.ts';
import { job } from '../jupyter/helpers.ts';
import { mkdirSync } from 'node:fs';
import { startRig, type Rig } from './rig.ts';

export interface JupyterRig extends Rig {
  server: RunningJupyterServer;
}

const caEnvironment = (server: CaServer) => ({ EPICS_CA_NAME_SERVERS: `localhost:${server.port}`, EPICS_CA_AUTO_ADDR_LIST: 'NO', EPICS_CA_ADDR_LIST: '' });

export async function startJupyterRig(): Promise<JupyterRig> {
  // The local kernel of the base rig is never used (it starts nothing until an execution).
  const base = await startRig({ warm: false });
  await base.kernel.close();
  const modes = configSchema.parse({
    execution: {
      modes: {
        read_only: { kernel_name: 'isolation-readonly', allows_writes: false, environment: caEnvironment(base.gateway), network: [`localhost:${base.gateway.port}`] },
        write_access: { kernel_name: 'isolation-write', allows_writes: true, environment: caEnvironment(base.ioc), network: [`localhost:${base.ioc.port}`] },
      },
    },
  }).execution.modes;
  const executions = join(base.root, 'executions');
  const server = await startJupyterServer({ modes, rootDir: executions, isolation: 'sandbox' });
  const config = configSchema.parse({
    execution: { execution_method: 'jupyter', isolation: 'sandbox', modes, jupyter: { url: server.url, token: server.token, pool_size: 1 } },
    limits: { memory_mb: 2048 },
  });
  const kernel = createJupyterKernel(config.execution.jupyter, kernelContext(config));
  let jobs = 0;
  return {
    ...base,
    server,
    kernel,
    async run(code: string, overrides: Partial<ExecuteJob> = {}) {
      jobs += 1;
      const folder = join(executions, `jupyter-${jobs}`);
      mkdirSync(folder, { recursive: true });
      const execution = job(code, folder, { timeout_seconds: 60, ...overrides });
      return { job: execution, result: await kernel.execute(execution) };
    },
    async close() {
      await kernel.close();
      await server.stop();
      await base.close();
    },
  };
}
