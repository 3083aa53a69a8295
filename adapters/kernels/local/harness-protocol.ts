/**
 * What Node and adapters/kernels/python/pyexec_harness.py say to each other:
 * a job spec (JSON) in, a report (JSON) out on a channel of its own. The
 * report comes from a process running untrusted code, so it is parsed with
 * zod like any other input.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ExecuteJob } from '../../../protocol/internal.ts';
import { pythonLimitFields, type ExecutionLimits, type PythonLimitFields } from '../execution-limits.ts';

export const harnessPath = fileURLToPath(new URL('../python/pyexec_harness.py', import.meta.url));

export interface HarnessSpec extends PythonLimitFields {
  code: string;
  /** Where the code runs; in the sandbox the harness replaces it with its slot's staging folder. */
  folder: string;
  /** Figure paths are reported below this folder (the execution folder, where they are copied back). */
  reported_folder: string;
  /** Sandboxed: context.json's text, written into the staging folder (null: none). */
  context: string | null;
  /** Sandboxed write jobs: the attempt's channel limits (adapters/limits/kernel-files.ts), for pyexec_limits (null: none). */
  channel_limits: string | null;
  /** Sandboxed cold runs: the slot (cgroup and folder names) the process takes; warm spares have theirs. */
  slot: string | null;
  allows_writes: boolean;
  attempt: number;
  environment: Record<string, string>;
}

export function harnessSpec(
  job: ExecuteJob,
  allowsWrites: boolean,
  environment: Record<string, string>,
  limits: ExecutionLimits,
): HarnessSpec {
  return {
    code: job.code,
    folder: job.folder,
    reported_folder: job.folder,
    context: null,
    channel_limits: null,
    slot: null,
    allows_writes: allowsWrites,
    attempt: job.attempt,
    ...pythonLimitFields(limits),
    environment,
  };
}

export const harnessErrorSchema = z.object({
  type: z.string(),
  message: z.string(),
  traceback: z.string(),
  traceback_lines: z.array(z.string()),
});
export type HarnessError = z.infer<typeof harnessErrorSchema>;

export const harnessReportSchema = z.object({
  status: z.enum(['succeeded', 'runtime_error']),
  results: z.record(z.string(), z.unknown()).nullable(),
  figures: z.array(z.string()),
  error: harnessErrorSchema.nullable(),
  duration_ms: z.number().nonnegative(),
});
export type HarnessReport = z.infer<typeof harnessReportSchema>;

/** Events of the fork server on its control channel, one JSON document per line. */
export const forkServerEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('ready'), pid: z.number().int(), preloaded: z.array(z.string()) }),
  z.object({
    event: z.literal('forked'),
    token: z.string(),
    pid: z.number().int().positive(),
    /** The spare's slot (cgroup and staging folder names); sandboxed servers only. */
    slot: z.string().regex(/^[A-Za-z0-9-]+$/).optional(),
  }),
  z.object({ event: z.literal('fork_failed'), token: z.string(), message: z.string() }),
  z.object({
    event: z.literal('exited'),
    token: z.string(),
    pid: z.number().int().positive(),
    exit_code: z.number().int().nullable(),
    signal: z.number().int().nullable(),
  }),
]);
export type ForkServerEvent = z.infer<typeof forkServerEventSchema>;
