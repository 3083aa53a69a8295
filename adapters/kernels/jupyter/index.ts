/**
 * The Jupyter executor (`execution_method: jupyter`, alias `container`): each
 * execution runs on a fresh kernel of its mode's kernelspec, taken from a warm
 * pool and shut down afterwards (pool.ts). Kernels must load pyexec's
 * extension (kernelspecs.ts writes the kernelspecs; server.ts starts a server
 * with them) and see the execution folders at the same path.
 */
import type { ExecutionModeConfig, JupyterKernelSection } from '../../../config/schema.ts';
import type { ExecuteJob, ExecuteResult } from '../../../protocol/internal.ts';
import type { Kernel, WarmPool } from '../kernel.ts';
import type { KernelContext } from '../registry.ts';
import { serverAnswers, serverSettings } from './live-kernel.ts';
import { KernelPool } from './pool.ts';
import { runJob, type JobLimits } from './run-job.ts';

export { startJupyterServer, type JupyterServerOptions, type RunningJupyterServer } from './server.ts';
export { writeKernelspecs } from './kernelspecs.ts';

export interface JupyterKernel extends Kernel {
  /** Resolves once every mode's pool holds its warm kernels and retired kernels are shut down (optional: pools also fill on demand). */
  warmUp(): Promise<void>;
  /** Every kernelspec's pool together. */
  warmPool(): WarmPool;
  /** The server answers now and every pool can hand out a kernel (pool.ts checkReady). */
  ready(): Promise<void>;
}

export function createJupyterKernel(jupyter: JupyterKernelSection, context: KernelContext): JupyterKernel {
  if (jupyter.url === null) {
    throw new Error('execution.jupyter.url: must be set to use the Jupyter executor (start one with `pyexec jupyter`)');
  }
  const settings = serverSettings(jupyter.url, jupyter.token);
  const logger = context.logger.child({ executor: 'jupyter' });
  const pools = new Map<string, KernelPool>();
  for (const mode of Object.values(context.modes)) {
    if (pools.has(mode.kernel_name)) continue;
    pools.set(
      mode.kernel_name,
      new KernelPool({
        settings,
        kernelName: mode.kernel_name,
        size: jupyter.pool_size,
        idleMs: jupyter.pool_idle_seconds * 1000,
        startTimeoutMs: jupyter.start_timeout_seconds * 1000,
        requireSandbox: context.isolation === 'sandbox',
        logger,
      }),
    );
  }
  const limits: JobLimits = { ...context.limits, interruptGraceMs: jupyter.interrupt_grace_seconds * 1000 };
  const name = 'jupyter';

  return {
    name,
    async warmUp() {
      await Promise.all([...pools.values()].map((pool) => pool.fill()));
    },
    warmPool() {
      let ready = 0;
      let misses = 0;
      for (const pool of pools.values()) {
        ready += pool.readyCount;
        misses += pool.misses;
      }
      return { ready, misses };
    },
    async ready() {
      await Promise.all([serverAnswers(settings), ...[...pools.values()].map((pool) => pool.checkReady())]);
    },
    async execute(job: ExecuteJob, signal?: AbortSignal): Promise<ExecuteResult> {
      const mode = modeOf(context.modes, job);
      const pool = pools.get(mode.kernel_name) as KernelPool;
      const kernel = await pool.take();
      logger.debug({ execution_id: job.execution_id, kernel_id: kernel.id }, 'running on a fresh kernel');
      try {
        return await runJob(kernel, job, limits, `${name}:${mode.kernel_name}`, signal, logger);
      } finally {
        await pool.retire(kernel);
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
}

/**
 * The job's mode, which must agree with the job on writes: a read-only job on
 * a write-access kernel would run without the runtime guard.
 */
function modeOf(modes: KernelContext['modes'], job: ExecuteJob): ExecutionModeConfig {
  const mode = modes[job.mode];
  if (mode === undefined) {
    throw new Error(`execution mode "${job.mode}" is not configured (execution.modes has ${Object.keys(modes).join(', ')})`);
  }
  if (mode.allows_writes !== job.allows_writes) {
    throw new Error(
      `job ${job.command_id}: allows_writes=${job.allows_writes} does not match mode "${job.mode}" (allows_writes=${mode.allows_writes}); refusing to run`,
    );
  }
  return mode;
}
