/**
 * Builds the kernel the configuration asks for: `execution.execution_method`
 * names a kernel type (`container` is parsed as `jupyter`), which is built
 * from its own section, `execution.<type>`. One kernel serves every execution
 * mode: each job names its mode. A type's module is imported only when it is
 * the one configured: the Jupyter kernel brings @jupyterlab/services, a third
 * of a second of start-up that a one-shot `pyexec run` on the local kernel
 * would pay for nothing.
 */
import type { Config } from '../../config/schema.ts';
import { limitsRequired, withChannelLimits } from '../limits/limits-kernel.ts';
import { openLimitsSource } from '../limits/source.ts';
import { silentLogger, type Logger } from '../../logging/logger.ts';
import type { Kernel } from './kernel.ts';
import { kernelContext, type KernelChoice, type KernelType } from './registry.ts';

type KernelTypeName = Config['execution']['execution_method'];

/** The kernel types, by the name `execution_method` uses; a new type is added here, with its section in config/schema.ts. */
export const builtinKernelTypes: Readonly<Record<KernelTypeName, KernelType>> = {
  local: async (section, context) => (await import('./local/kernel-type.ts')).localKernelType(section, context),
  jupyter: async (section, context) => (await import('./jupyter/kernel-type.ts')).jupyterKernelType(section, context),
};

export async function createKernel(config: Config, choice: KernelChoice = {}): Promise<Kernel> {
  const logger = choice.logger ?? silentLogger;
  // With a limits database, write jobs run with the channel limits guard (docs/limits.md).
  const limits = openLimitsSource(config, logger);
  if (!limits) return buildKernel(config, choice, logger);
  return withChannelLimits(await buildKernel(limitsRequired(config), choice, logger), limits, logger);
}

function buildKernel(config: Config, choice: KernelChoice, logger: Logger): Promise<Kernel> {
  const typeName = config.execution.execution_method;
  return builtinKernelTypes[typeName](config.execution[typeName], kernelContext(config, { ...choice, logger }));
}

export type { Kernel } from './kernel.ts';
export { KernelUnavailableError } from './kernel.ts';
export { defineKernelType, kernelContext, type KernelChoice, type KernelContext, type KernelType } from './registry.ts';
