/**
 * Channel limits around any kernel (local or Jupyter): before a write job,
 * the limits as they are now go into the attempt's folder for the kernel's
 * guard (pyexec_limits.py) — the file reloaded if it changed, or marked
 * unavailable so every write is refused; after it, the kernel's record of
 * each write (refused, or written and verified) becomes the result's
 * `channel_limits`, with the version used. Read-only jobs pass through: they
 * cannot write at all.
 */
import { dirname } from 'node:path';
import type { ExecuteJob, ExecuteResult } from '../../protocol/internal.ts';
import type { Config } from '../../config/schema.ts';
import type { Kernel } from '../kernels/kernel.ts';
import type { Logger } from '../../logging/logger.ts';
import { runFileJob } from '../store/file-jobs.ts';
import { channelWritesPath, kernelLimitsDocument, kernelLimitsPath, readChannelWrites } from './kernel-files.ts';
import { databaseFields, type LimitsSource, type LimitsState } from './source.ts';

/** pyexec_limits.REQUIRED_VARIABLE */
const requiredVariable = 'PYEXEC_CHANNEL_LIMITS';

export function withChannelLimits(kernel: Kernel, source: LimitsSource, logger: Logger): Kernel {
  // One document per version: a 10,000-channel file is serialised once, not per job.
  let cached: { state: LimitsState; text: string } | null = null;
  const documentOf = (state: LimitsState): string => {
    if (cached?.state !== state) cached = { state, text: kernelLimitsDocument(state) };
    return cached.text;
  };
  return {
    name: kernel.name,
    async execute(job: ExecuteJob, signal?: AbortSignal): Promise<ExecuteResult> {
      if (!job.allows_writes) return kernel.execute(job, signal);
      const state = source.current();
      const limitsFile = kernelLimitsPath(job.folder, job.attempt);
      const writesFile = channelWritesPath(job.folder, job.attempt);
      // A record left by an earlier delivery of this attempt is not this run's.
      await runFileJob([
        { op: 'mkdir', path: dirname(limitsFile), recursive: true },
        { op: 'write', path: limitsFile, data: documentOf(state), exclusive: false },
        { op: 'remove', path: writesFile },
      ]);
      const result = await kernel.execute(job, signal);
      const writes = await readChannelWrites(writesFile, logger);
      return { ...result, channel_limits: { ...databaseFields(state), writes } };
    },
    close: () => kernel.close(),
    warmPool: kernel.warmPool?.bind(kernel),
    ready: kernel.ready?.bind(kernel),
  };
}

/**
 * With a limits file configured, the configuration with
 * PYEXEC_CHANNEL_LIMITS=required in every write mode's environment (after the
 * mode's own, so a mode cannot unset it): a kernel that does not find its
 * attempt's limits then refuses every write instead of taking the missing
 * file for "no limits configured". Local kernels get it from the executor,
 * Jupyter kernels from the kernelspecs `pyexec jupyter` writes.
 */
export function limitsRequired(config: Config): Config {
  if (config.control_system.limits.file === null) return config;
  const modes = Object.fromEntries(
    Object.entries(config.execution.modes).map(([name, mode]) => [
      name,
      mode.allows_writes ? { ...mode, environment: { ...mode.environment, [requiredVariable]: 'required' } } : mode,
    ]),
  );
  return { ...config, execution: { ...config.execution, modes } };
}
