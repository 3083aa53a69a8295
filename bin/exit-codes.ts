/**
 * The exit status says the outcome, so scripts can branch on it: an
 * execution's outcome, or the code of an error (protocol/errors.ts).
 */
import type { ErrorCode } from '../protocol/errors.ts';
import type { Outcome } from '../protocol/public.ts';

export const exitCodes = {
  succeeded: 0,
  failed: 1,
  usage: 2,
  rejected: 3,
  cancelled: 4,
  expired: 5,
  unknown: 6,
} as const;

export function exitCodeFor(outcome: Outcome): number {
  return exitCodes[outcome];
}

/** Every code of the catalogue has its status here: a new code cannot be left out. */
const errorExitCodes: Record<ErrorCode, number> = {
  invalid_input: exitCodes.usage,
  invalid_config: exitCodes.usage,
  input_file: exitCodes.usage,
  usage: exitCodes.usage,
  execution_folder: exitCodes.usage,
  key_file: exitCodes.usage,
  not_permitted: exitCodes.usage,
  generation_failed: exitCodes.failed,
  analysis_failed: exitCodes.failed,
  runtime_failed: exitCodes.failed,
  timed_out: exitCodes.failed,
  rejected: exitCodes.rejected,
  cancelled: exitCodes.cancelled,
  expired: exitCodes.expired,
  outcome_unknown: exitCodes.unknown,
};

export function exitCodeForError(code: ErrorCode): number {
  return errorExitCodes[code];
}

export const exitCodeHelp = `
Exit status:
  0 succeeded   1 failed   2 bad input or configuration   3 rejected
  4 cancelled   5 expired (no decision before the deadline)
  6 unknown (a write job was interrupted: check the hardware)`;
