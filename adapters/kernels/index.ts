/**
 * Picks the kernel the configuration asks for (execution.execution_method).
 * One kernel serves every execution mode: each job names its mode.
 */
import type { Config } from '../../config/schema.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Kernel } from './kernel.ts';
import { createLocalKernel, localKernelOptions } from './local/index.ts';

export interface KernelChoice {
  /** Local only: fork executions from a preloaded Python instead of starting one each time. */
  warm?: boolean;
  logger?: Logger;
}

export async function createKernel(config: Config, choice: KernelChoice = {}): Promise<Kernel> {
  const logger = choice.logger ?? silentLogger;
  switch (config.execution.execution_method) {
    case 'local':
      return createLocalKernel(localKernelOptions(config, { warm: choice.warm ?? false, logger }));
    case 'jupyter':
      throw new Error('execution.execution_method: jupyter is not available in this build yet');
  }
}

export type { Kernel } from './kernel.ts';
export { KernelUnavailableError } from './kernel.ts';
