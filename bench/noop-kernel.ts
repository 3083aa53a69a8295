/** A kernel that runs nothing: isolates the orchestration's own cost in benchmarks. */
import type { ExecuteJob, ExecuteResult } from '../protocol/internal.ts';
import type { Kernel } from '../adapters/kernels/kernel.ts';

export const noopKernel: Kernel = {
  name: 'noop',
  async execute(job: ExecuteJob): Promise<ExecuteResult> {
    return {
      command_id: job.command_id,
      execution_id: job.execution_id,
      status: 'succeeded',
      results: { x: 1 },
      stdout: '',
      stderr: '',
      output_truncated: false,
      figures: [],
      outputs: [],
      duration_ms: 0,
      executor: 'noop',
    };
  },
  async close() {},
};
