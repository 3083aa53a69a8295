/** The Python the local-kernel tests use: Debian's, which has numpy, matplotlib and pandas. */
import { execFileSync } from 'node:child_process';
import { configSchema } from '../../config/schema.ts';
import { localKernelOptions, type LocalKernelOptions } from '../../adapters/kernels/local/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import type { ContractSettings } from './kernel-contract.ts';

export const testPython = '/usr/bin/python3';

/** Throws with what to install when the test Python lacks a module the tests need. */
export function requireTestPython(): void {
  try {
    execFileSync(testPython, ['-c', 'import numpy, matplotlib, pandas'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `${testPython} with numpy, matplotlib and pandas is needed: run scripts/setup.sh ` +
        `(apt-get install python3 python3-numpy python3-matplotlib python3-pandas)\n${String(error)}`,
    );
  }
}

export function testKernelOptions(settings: ContractSettings, overrides: Partial<LocalKernelOptions>): LocalKernelOptions {
  const config = configSchema.parse({
    execution: {
      local: { python_env_path: testPython },
      modes: {
        read_only: { kernel_name: 'python3', allows_writes: false, environment: settings.modes.read_only.environment },
        write_access: { kernel_name: 'python3', allows_writes: true, environment: settings.modes.write_access.environment },
      },
    },
    limits: { output_cap_bytes: settings.outputCapBytes, memory_mb: settings.memoryMb },
  });
  return localKernelOptions(config.execution.local, kernelContext(config), overrides);
}
