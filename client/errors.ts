/**
 * Typed failures of an execution, for programs that embed pyexec. Each says
 * whether trying again can help (`retryable`), carries the summary, and has
 * its code in the error catalogue (protocol/errors.ts).
 */
import { PyexecError, type ErrorCode } from '../protocol/errors.ts';
import type { ExecutionSummary } from '../protocol/public.ts';

export type FailureStage = 'generation' | 'analysis' | 'runtime' | 'timeout' | 'rejected' | 'cancelled' | 'expired' | 'unknown';

const codeOfStage: Record<FailureStage, ErrorCode> = {
  generation: 'generation_failed',
  analysis: 'analysis_failed',
  runtime: 'runtime_failed',
  timeout: 'timed_out',
  rejected: 'rejected',
  cancelled: 'cancelled',
  expired: 'expired',
  unknown: 'outcome_unknown',
};

export class ExecutionError extends PyexecError {
  constructor(
    readonly stage: FailureStage,
    readonly retryable: boolean,
    readonly summary: ExecutionSummary,
    message: string,
  ) {
    super(codeOfStage[stage], message);
    this.name = 'ExecutionError';
  }
}

export class GenerationFailedError extends ExecutionError {}
export class AnalysisFailedError extends ExecutionError {}
export class RuntimeFailedError extends ExecutionError {}
export class TimeoutError extends ExecutionError {}
export class RejectedError extends ExecutionError {}
export class CancelledError extends ExecutionError {}
export class ExpiredError extends ExecutionError {}
export class OutcomeUnknownError extends ExecutionError {}

/** Invalid input from a caller (request, decision): names the fields and what was expected. */
export class ValidationError extends PyexecError {
  constructor(readonly details: string) {
    super('invalid_input', `invalid input:\n${details}`);
    this.name = 'ValidationError';
  }
}

/** The error for a finished execution, or null when it succeeded. */
export function errorForSummary(summary: ExecutionSummary): ExecutionError | null {
  const last = summary.error_chain.at(-1);
  const detail = last ? `${last.type}: ${last.message}` : summary.outcome;
  const make = (Kind: typeof ExecutionError, stage: FailureStage, retryable: boolean, message: string) =>
    new Kind(stage, retryable, summary, `execution ${summary.execution_id} ${message}`);
  switch (summary.outcome) {
    case 'succeeded':
      return null;
    case 'rejected':
      return make(RejectedError, 'rejected', false, 'was rejected by the approver');
    case 'cancelled':
      return make(CancelledError, 'cancelled', false, 'was cancelled');
    case 'expired':
      return make(ExpiredError, 'expired', true, 'expired: no approval decision before the deadline');
    case 'unknown':
      return make(OutcomeUnknownError, 'unknown', false, 'has an unknown outcome: a write job was interrupted; check the hardware before retrying');
    case 'failed':
      if (last?.stage === 'analysis') return make(AnalysisFailedError, 'analysis', true, `failed analysis: ${detail}`);
      if (last?.stage === 'execution' && last.type === 'timeout') return make(TimeoutError, 'timeout', true, `timed out: ${detail}`);
      if (last?.stage === 'execution') return make(RuntimeFailedError, 'runtime', true, `failed at run time: ${detail}`);
      // No attempt recorded: the generator (or the infrastructure behind it) failed.
      return make(GenerationFailedError, 'generation', true, `failed to generate code: ${detail}`);
  }
}
