/**
 * Kernel types are plugins, as generator types are: each validates its own
 * config section (`execution.<type>`, e.g. `execution.jupyter`) with its own
 * schema and builds a Kernel from it and the settings every kernel shares
 * (the modes, isolation, limits). No kernel sees the whole configuration.
 */
import type { z } from 'zod';
import type { Config, ExecutionModeConfig } from '../../config/schema.ts';
import { silentLogger, type Logger } from '../../logging/logger.ts';
import { executionLimits, type ExecutionLimits } from './execution-limits.ts';
import type { Kernel } from './kernel.ts';

/** What every kernel type is built with besides its own section. */
export interface KernelContext {
  /** execution.modes: one kernel serves every mode; each job names its own. */
  modes: Readonly<Record<string, ExecutionModeConfig>>;
  /** execution.isolation: `sandbox` (the OS sandbox, fail closed) or `none` (explicitly unsandboxed). */
  isolation: 'sandbox' | 'none';
  /** The configured limits (`limits:`) with the fixed ones. */
  limits: ExecutionLimits;
  /** Keep interpreters warm ahead of jobs where the type can (the local kernel's fork servers). */
  warm: boolean;
  logger: Logger;
}

/** What the caller decides, not the configuration. */
export interface KernelChoice {
  /** Local only: fork executions from a preloaded Python instead of starting one each time. */
  warm?: boolean;
  logger?: Logger;
}

export type KernelType = (section: unknown, context: KernelContext) => Promise<Kernel>;

export function defineKernelType<S extends z.ZodType>(
  schema: S,
  build: (section: z.output<S>, context: KernelContext) => Kernel | Promise<Kernel>,
): KernelType {
  return async (section, context) => build(schema.parse(section), context);
}

/** The shared settings, taken from the configuration by the factory (and by tests that build one kernel type). */
export function kernelContext(config: Config, choice: KernelChoice = {}): KernelContext {
  return {
    modes: config.execution.modes,
    isolation: config.execution.isolation,
    limits: executionLimits(config.limits),
    warm: choice.warm ?? false,
    logger: choice.logger ?? silentLogger,
  };
}
