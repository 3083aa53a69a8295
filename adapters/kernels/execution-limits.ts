/**
 * An execution's resource limits, the same for every kernel type, and their
 * fields as the kernels' Python side reads them: the local harness's job spec
 * (pyexec_job.enter_job) and the Jupyter extension's `begin` arguments
 * (pyexec_jupyter.begin) use the same names.
 */
import type { Config } from '../../config/schema.ts';

export interface ExecutionLimits {
  /** Bytes of stdout and of stderr kept per execution. */
  outputCapBytes: number;
  memoryMb: number;
  cpuSeconds: number;
  /** Processes an execution may start (a fork bomb stops here). */
  maxProcesses: number;
  /** Largest file an execution may write (RLIMIT_FSIZE). */
  maxFileBytes: number;
}

/** Not configurable: the same for every execution. */
export const defaultMaxProcesses = 64;
export const defaultMaxFileBytes = 1024 * 1024 * 1024;

/** The configured limits (`limits:`) with the fixed ones. */
export function executionLimits(limits: Config['limits']): ExecutionLimits {
  return {
    outputCapBytes: limits.output_cap_bytes,
    memoryMb: limits.memory_mb,
    cpuSeconds: limits.cpu_seconds,
    maxProcesses: defaultMaxProcesses,
    maxFileBytes: defaultMaxFileBytes,
  };
}

export interface PythonLimitFields {
  output_cap_bytes: number;
  memory_mb: number;
  cpu_seconds: number;
  max_processes: number;
  max_file_bytes: number;
}

export function pythonLimitFields(limits: ExecutionLimits): PythonLimitFields {
  return {
    output_cap_bytes: limits.outputCapBytes,
    memory_mb: limits.memoryMb,
    cpu_seconds: limits.cpuSeconds,
    max_processes: limits.maxProcesses,
    max_file_bytes: limits.maxFileBytes,
  };
}
