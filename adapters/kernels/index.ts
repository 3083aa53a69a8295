/**
 * Picks the kernel the configuration asks for (execution.execution_method;
 * `container` is parsed as `jupyter`). One kernel serves every execution
 * mode: each job names its mode. Each kernel's module is imported only when
 * it is the one configured: the Jupyter kernel brings @jupyterlab/services,
 * a third of a second of start-up that a one-shot `pyexec run` on the local
 * kernel would pay for nothing.
 */
import type { Config } from '../../config/schema.ts';
import { limitsRequired, withChannelLimits } from '../limits/limits-kernel.ts';
import { openLimitsSource } from '../limits/source.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Kernel } from './kernel.ts';

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
  return withChannelLimits(await pickKernel(limitsRequired(config), choice, logger), limits, logger);
}

async function pickKernel(config: Config, choice: KernelChoice, logger: Logger): Promise<Kernel> {
  switch (config.execution.execution_method) {
    case 'local': {
      const { createLocalKernel, localKernelOptions } = await import('./local/index.ts');
      return createLocalKernel(localKernelOptions(config, { warm: choice.warm ?? false, logger }));
    }
    case 'jupyter':
      return startJupyterPool(config, logger);
  }
}

/**
 * The Jupyter kernel with its pools filling in the background: the first
 * execution does not wait for every mode's kernels, and a server that is
 * down now is retried by each execution (KernelUnavailableError, backoff).
 */
async function startJupyterPool(config: Config, logger: Logger): Promise<Kernel> {
  const { createJupyterKernel } = await import('./jupyter/index.ts');
  const kernel = createJupyterKernel({ config, logger });
  void kernel.warmUp().catch((error: unknown) => logger.warn({ err: String(error) }, 'jupyter warm-up failed; kernels start on demand'));
  return kernel;
}

export type { Kernel } from './kernel.ts';
export { KernelUnavailableError } from './kernel.ts';
