/**
 * The executor contract against the Jupyter kernel: a real Jupyter Server
 * started with the contract's modes (its kernelspecs carry their
 * environment), a pool of one warm kernel per mode.
 */
import { tmpdir } from 'node:os';
import { configSchema } from '../../config/schema.ts';
import { createJupyterKernel } from '../../adapters/kernels/jupyter/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import { startJupyterServer } from '../../adapters/kernels/jupyter/server.ts';
import type { Kernel } from '../../adapters/kernels/kernel.ts';
import { runKernelContract, type ContractSettings } from '../kernels/kernel-contract.ts';

async function makeJupyterKernel(settings: ContractSettings): Promise<Kernel> {
  const modes = {
    read_only: { kernel_name: 'pyexec-contract-read-only', ...settings.modes.read_only },
    write_access: { kernel_name: 'pyexec-contract-write', ...settings.modes.write_access },
  };
  // The contract's execution folders live in the temporary folder: serve it.
  const server = await startJupyterServer({ modes: configSchema.parse({ execution: { modes } }).execution.modes, rootDir: tmpdir() });
  const config = configSchema.parse({
    execution: { modes, jupyter: { url: server.url, token: server.token, pool_size: 1, interrupt_grace_seconds: 1 } },
    limits: { output_cap_bytes: settings.outputCapBytes, memory_mb: settings.memoryMb },
  });
  const kernel = createJupyterKernel(config.execution.jupyter, kernelContext(config));
  await kernel.warmUp();
  return {
    name: kernel.name,
    execute: (job, signal) => kernel.execute(job, signal),
    close: async () => {
      await kernel.close();
      await server.stop();
    },
  };
}

runKernelContract('jupyter', makeJupyterKernel);
