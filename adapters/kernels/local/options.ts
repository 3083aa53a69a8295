/** Settings of the local kernel, from its section (execution.local) and the settings every kernel shares. */
import type { LocalKernelSection } from '../../../config/schema.ts';
import type { Logger } from '../../../logging/logger.ts';
import type { ExecutionLimits } from '../execution-limits.ts';
import type { KernelContext } from '../registry.ts';
import type { NetworkPolicy } from '../../sandbox/index.ts';

export interface LocalModeOptions {
  allows_writes: boolean;
  /** Extra variables on top of the scrubbed allow-list (e.g. EPICS_CA_ADDR_LIST, PYTHONPATH). */
  environment: Record<string, string>;
  /** TCP endpoints the code may reach (sandboxed only): none, or host:port entries. */
  network: NetworkPolicy;
}

export interface LocalKernelOptions extends ExecutionLimits {
  /** config.execution.local.python_env_path: an interpreter or a virtualenv folder; null finds one. */
  pythonEnvPath: string | null;
  /** Fork a fresh child per execution from a long-lived, preloaded Python per mode. */
  warm: boolean;
  /** execution.isolation: `sandbox` (the OS sandbox, fail closed) or `none` (explicitly unsandboxed). */
  isolation: 'sandbox' | 'none';
  modes: Record<string, LocalModeOptions>;
  /** Between SIGTERM and SIGKILL when a timeout or a cancellation stops the code. */
  killGraceMs: number;
  logger: Logger;
}

export const defaultKillGraceMs = 1000;

export function localKernelOptions(section: LocalKernelSection, context: KernelContext, overrides: Partial<LocalKernelOptions> = {}): LocalKernelOptions {
  const modes = Object.fromEntries(
    Object.entries(context.modes).map(([name, mode]) => [
      name,
      { allows_writes: mode.allows_writes, environment: { ...mode.environment }, network: mode.network },
    ]),
  );
  return {
    pythonEnvPath: section.python_env_path,
    warm: context.warm,
    isolation: context.isolation,
    modes,
    ...context.limits,
    killGraceMs: defaultKillGraceMs,
    logger: context.logger,
    ...overrides,
  };
}
