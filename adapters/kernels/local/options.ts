/** Settings of the local kernel, taken from the one configuration. */
import type { Config } from '../../../config/schema.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import type { NetworkPolicy } from '../../sandbox/index.ts';

export interface LocalModeOptions {
  allows_writes: boolean;
  /** Extra variables on top of the scrubbed allow-list (e.g. EPICS_CA_ADDR_LIST, PYTHONPATH). */
  environment: Record<string, string>;
  /** TCP endpoints the code may reach (sandboxed only): none, or host:port entries. */
  network: NetworkPolicy;
}

export interface LocalKernelOptions {
  /** config.execution.local.python_env_path: an interpreter or a virtualenv folder; null finds one. */
  pythonEnvPath: string | null;
  /** Fork a fresh child per execution from a long-lived, preloaded Python per mode. */
  warm: boolean;
  /** execution.isolation: `sandbox` (the OS sandbox, fail closed) or `none` (explicitly unsandboxed). */
  isolation: 'sandbox' | 'none';
  modes: Record<string, LocalModeOptions>;
  /** Bytes of stdout and of stderr kept per execution. */
  outputCapBytes: number;
  memoryMb: number;
  cpuSeconds: number;
  /** Processes an execution may start (Python-level process creation; a fork bomb stops here). */
  maxProcesses: number;
  /** Largest file an execution may write (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /** Between SIGTERM and SIGKILL when a timeout or a cancellation stops the code. */
  killGraceMs: number;
  logger: Logger;
}

export const defaultMaxProcesses = 64;
export const defaultKillGraceMs = 1000;
export const defaultMaxFileBytes = 1024 * 1024 * 1024;

export function localKernelOptions(config: Config, overrides: Partial<LocalKernelOptions> = {}): LocalKernelOptions {
  const modes = Object.fromEntries(
    Object.entries(config.execution.modes).map(([name, mode]) => [
      name,
      { allows_writes: mode.allows_writes, environment: { ...mode.environment }, network: mode.network },
    ]),
  );
  return {
    pythonEnvPath: config.execution.local.python_env_path,
    warm: false,
    isolation: config.execution.isolation,
    modes,
    outputCapBytes: config.limits.output_cap_bytes,
    memoryMb: config.limits.memory_mb,
    cpuSeconds: config.limits.cpu_seconds,
    maxProcesses: defaultMaxProcesses,
    maxFileBytes: defaultMaxFileBytes,
    killGraceMs: defaultKillGraceMs,
    logger: silentLogger,
    ...overrides,
  };
}
