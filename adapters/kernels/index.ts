/**
 * Picks the kernel the configuration asks for (execution.execution_method;
 * `container` is parsed as `jupyter`). One kernel serves every execution
 * mode: each job names its mode.
 */
import type { Config } from '../../config/schema.ts';
import { limitsRequired, withChannelLimits } from '../limits/limits-kernel.ts';
import { openLimitsSource } from '../limits/source.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { createJupyterKernel } from './jupyter/index.ts';
import type { Kernel } from './kernel.ts';
import { createLocalKernel, localKernelOptions } from './local/index.ts';

export interface KernelChoice {
  /** Local only: fork executions from a preloaded Python instead of starting one each time. */
  warm?: boolean;
  logger?: Logger;
}

export async function createKernel(config: Config, choice: KernelChoice = {}): Promise<Kernel> {
  const logger = choice.logger ?? silentLogger;
  // With a limits database, write jobs run with the channel limits guard (docs/limits.md).
  const limits = openLimitsSource(config, logger);
  if (!limits) return pickKernel(config, choice, logger);
  return withChannelLimits(pickKernel(limitsRequired(config), choice, logger), limits, logger);
}

function pickKernel(config: Config, choice: KernelChoice, logger: Logger): Kernel {
  switch (config.execution.execution_method) {
    case 'local':
      return createLocalKernel(localKernelOptions(config, { warm: choice.warm ?? false, logger }));
    case 'jupyter':
      return startJupyterPool(config, logger);
  }
}

/**
 * The Jupyter kernel with its pools filling in the background: the first
 * execution does not wait for every mode's kernels, and a server that is
 * down now is retried by each execution (KernelUnavailableError, backoff).
 */
function startJupyterPool(config: Config, logger: Logger): Kernel {
  const kernel = createJupyterKernel({ config, logger });
  void kernel.warmUp().catch((error: unknown) => logger.warn({ err: String(error) }, 'jupyter warm-up failed; kernels start on demand'));
  return kernel;
}

export type { Kernel } from './kernel.ts';
export { KernelUnavailableError } from './kernel.ts';
