/**
 * What approving will do, said beside the buttons: the execution mode and
 * its kernel, each PV the code writes with the value when the code gives it
 * as a literal, the number of writes, and what happens after each button.
 * A write-mode approval must name the PVs it confirms; the server compares
 * them with the analysis, so a click or a forged POST that did not confirm
 * exactly these writes is refused.
 */
import type { PvAccess } from '../protocol/internal.ts';
import type { ExecutionView } from '../client/client.ts';
import type { Config } from '../config/schema.ts';

export interface ApprovalSummary {
  mode: string;
  kernel: string | null;
  allows_writes: boolean;
  write_count: number;
  /** What each PV written will be shown as in the confirmation (the PV, or where a computed one is written). */
  confirm_writes: string[];
  /** What happens after Approve, then after Reject. */
  next: string[];
}

/** A write as the confirmation names it: its PV, or the line that writes a PV computed at run time. */
export function writeLabel(write: PvAccess): string {
  return write.pv ?? `a PV computed at run time (line ${write.line})`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export function approvalSummary({ analysis }: ExecutionView, config: Config): ApprovalSummary | null {
  if (!analysis) return null;
  const mode = config.execution.modes[analysis.execution_mode];
  const writes = analysis.control_system.writes;
  // A mode this process does not know: judge by what the analysis found.
  const allowsWrites = mode?.allows_writes ?? writes.length > 0;
  const kernel = mode?.kernel_name ?? null;
  const where = `in ${analysis.execution_mode} mode${kernel ? ` (kernel ${kernel})` : ''}`;
  const approve = allowsWrites
    ? `Approve: the code runs once ${where}, with control-system writes allowed, and makes the ${plural(writes.length, 'write')} listed above. It is never run twice: if its executor is lost mid-run the execution ends "unknown" for a human to check.`
    : `Approve: the code runs ${where}; the control system can only be read, nothing is written.`;
  return {
    mode: analysis.execution_mode,
    kernel,
    allows_writes: allowsWrites,
    write_count: writes.length,
    confirm_writes: allowsWrites ? writes.map(writeLabel) : [],
    next: [
      approve,
      'Results, output, figures and the notebook then appear on this page, live.',
      'Reject: the execution ends "rejected" and nothing runs; the reason is kept in the audit trail.',
    ],
  };
}

/** Why an approval does not confirm the writes it would allow; null when it does (or nothing needs confirming). */
export function confirmationProblem(summary: ApprovalSummary | null, confirmed: string[] | undefined): string | null {
  if (!summary?.allows_writes) return null;
  const expected = [...summary.confirm_writes].sort();
  const given = [...(confirmed ?? [])].sort();
  if (expected.length === given.length && expected.every((label, index) => label === given[index])) return null;
  return `confirmed_writes: a write-mode approval must confirm exactly the PVs written (${expected.join(', ') || 'none'})`;
}
