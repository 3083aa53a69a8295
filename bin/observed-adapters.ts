/**
 * The adapters a service process would build for itself, built here and
 * wrapped by the process's observability, for startService to use as given.
 */
import { generatorCache, type ServiceOptions } from '../actors/service.ts';
import { createAnalyzer } from '../adapters/analysis/index.ts';
import { createKernel } from '../adapters/kernels/index.ts';
import type { Kernel } from '../adapters/kernels/kernel.ts';
import type { Logger } from '../logging/logger.ts';
import type { Config } from '../config/schema.ts';
import type { Observability } from '../observability/index.ts';

export interface ObservedAdapters extends Pick<ServiceOptions, 'analyzer' | 'generators' | 'kernel'> {
  /** The kernel is the caller's to close: startService leaves a given kernel open. */
  kernel?: Kernel;
}

export async function observedAdapters(config: Config, logger: Logger, observability: Observability, withKernel: boolean): Promise<ObservedAdapters> {
  const generators = generatorCache(config, logger);
  return {
    analyzer: observability.analyzer(await createAnalyzer(config)),
    generators: async (name) => observability.generator(await generators(name)),
    kernel: withKernel ? observability.kernel(await createKernel(config, { warm: true, logger })) : undefined,
  };
}
