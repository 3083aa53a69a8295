/** The exit status says the outcome, so scripts can branch on it. */
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

export const exitCodeHelp = `
Exit status:
  0 succeeded   1 failed   2 bad input or configuration   3 rejected
  4 cancelled   5 expired (no decision before the deadline)
  6 unknown (a write job was interrupted: check the hardware)`;
