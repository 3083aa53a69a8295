/**
 * Stopping the job of an execution cancelled in `executing`.
 *
 * First the job is fenced: the supervisor creates the job's claim key
 * (`claim.<command_id>`) with a cancel marker. An executor that has not taken
 * the job yet finds the marker and never starts it (a write job's own claim
 * fails on it; a read-only job is checked for it). When the create fails, an
 * executor claimed the write job first: its code may be running. Then the
 * executors are told on pyexec.jobs.cancel.<execution_id>; the one running
 * the job aborts its kernel (interrupt, then every process of the execution
 * killed) and reports a `cancelled` result saying whether the code had
 * started. Executors register a job before they look for the marker, so a
 * job is either fenced out or reached by the message.
 */
import { CasConflictError } from '../bus/kv-store.ts';
import type { CancelRequest } from '../protocol/public.ts';
import type { JobCancel } from '../protocol/internal.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import { subjects } from '../protocol/subjects.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import { commandIdFor } from '../machines/execution-rules.ts';
import type { ExecutionContext } from '../machines/execution-types.ts';

/** What the statechart needs to know of a cancelled job (the CANCEL event's `writes` and `neverRuns`). */
export interface StoppedJob {
  writes: boolean;
  neverRuns: boolean;
}

/** The marker a cancel leaves in a job's claim key. */
export interface CancelMarker {
  cancelled: true;
  by: string;
  reason: string;
  at: string;
}

export function isCancelMarker(value: unknown): value is CancelMarker {
  return typeof value === 'object' && value !== null && (value as { cancelled?: unknown }).cancelled === true;
}

export async function stopJob(transport: Transport, config: Config, context: ExecutionContext, cancel: CancelRequest, at: string): Promise<StoppedJob> {
  const commandId = commandIdFor(context, 'executing');
  const mode = context.analysis?.execution_mode ?? 'read_only';
  // As the dispatcher decides for the job: a mode missing from config cannot write.
  const writes = config.execution.modes[mode]?.allows_writes ?? false;
  const marker: CancelMarker = { cancelled: true, by: cancel.by, reason: cancel.reason, at };
  let fenced = false;
  try {
    await transport.kv.create(kvKeys.jobClaim(commandId), marker);
    fenced = true;
  } catch (error) {
    // Claimed by an executor (or fenced by an earlier delivery of this cancel): it may be running.
    if (!(error instanceof CasConflictError)) throw error;
  }
  // Only write jobs are claimed: a fenced read-only job may still be running.
  const neverRuns = writes && fenced;
  if (!neverRuns) await notifyExecutors(transport, { command_id: commandId, execution_id: context.executionId, reason: cancel.reason, by: cancel.by });
  return { writes, neverRuns };
}

/** Tells whichever executor runs the job to stop it (again after a takeover or a reconnect: the message may be lost). */
export function notifyExecutors(transport: Transport, message: JobCancel): Promise<void> {
  return transport.bus.publish(subjects.jobCancel(message.execution_id), message);
}
