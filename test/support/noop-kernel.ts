/** A kernel that runs nothing and succeeds at once: isolates the orchestration's own cost (benchmarks). */
import type { Kernel } from '../../adapters/kernels/kernel.ts';
import { executeResult } from './fixtures.ts';

export const noopKernel: Kernel = {
  name: 'noop',
  execute: async (job) => executeResult(job.command_id, { execution_id: job.execution_id, duration_ms: 0, executor: 'noop' }),
  close: async () => {},
};
