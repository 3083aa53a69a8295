/**
 * What a person sees while an execution runs: one line per state change on
 * stderr (stdout stays for results and --json), the approval request with
 * the code and findings, and the final report.
 */
import type { ExecutionEvent, ExecutionSummary, Finding } from '../protocol/public.ts';
import type { ExecutionView } from '../protocol/execution-view.ts';
import { isQuiet } from './verbosity.ts';
import { channelWriteLines, limitCheckLines } from './limit-checks-view.ts';

/**
 * Colours only on a terminal, and never with NO_COLOR set (no-color.org): a
 * pipe or a log file gets plain text. Each stream asks for itself, so
 * `pyexec run > out.txt` writes no escape codes into the file.
 */
function painter(stream: NodeJS.WriteStream) {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  const paint = (code: number) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: paint(1), dim: paint(2), red: paint(31), green: paint(32), yellow: paint(33) };
}

const onStderr = painter(process.stderr);
const onStdout = painter(process.stdout);
/** For results on stdout. */
export const bold = onStdout.bold;

const stateIcons: Record<string, string> = {
  generating: '✎',
  analyzing: '🔍',
  awaitingApproval: '⏸',
  executing: '▶',
  retrying: '↻',
  done: '■',
};

export function showEvent(event: ExecutionEvent, started: number): void {
  if (isQuiet()) return;
  const { bold, dim, red } = onStderr;
  const elapsed = dim(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`);
  if (event.kind === 'state') {
    process.stderr.write(`${elapsed} ${stateIcons[event.state] ?? '·'} ${bold(event.state.padEnd(16))} ${event.detail}\n`);
  } else if (event.kind === 'decision_refused') {
    process.stderr.write(`${elapsed} ${red('✗')} decision refused (${event.approver}): ${event.reason}\n`);
  } else if (event.message) {
    process.stderr.write(`${elapsed}   ${dim(event.message)}\n`);
  }
}

function severityMark(finding: Finding): string {
  const { red, yellow, dim } = onStderr;
  if (finding.severity === 'blocking') return red('BLOCKING');
  if (finding.severity === 'warning') return yellow('warning ');
  return dim('info    ');
}

export function showApprovalRequest(view: ExecutionView): void {
  const { bold, dim } = onStderr;
  const analysis = view.analysis;
  const lines = (view.code ?? '').split('\n');
  const out = process.stderr;
  out.write(`\n${bold('Approval required')} — execution ${view.execution_id}\n`);
  out.write(`Task: ${view.request.task_objective}\n`);
  out.write(`Execution mode: ${bold(analysis?.execution_mode ?? '?')}\n`);
  for (const reason of analysis?.reasoning ?? []) out.write(`  • ${reason}\n`);
  out.write(`\n${dim('----- code -----')}\n`);
  lines.forEach((line, index) => out.write(`${dim(String(index + 1).padStart(4))}  ${line}\n`));
  out.write(`${dim('----------------')}\n`);
  const findings = analysis?.findings ?? [];
  if (findings.length) {
    out.write('Findings:\n');
    for (const finding of findings) out.write(`  ${severityMark(finding)} line ${finding.line}: ${finding.message} [${finding.rule}]\n`);
  }
  if (analysis?.limit_checks) for (const line of limitCheckLines(analysis.limit_checks, onStderr)) out.write(`${line}\n`);
  out.write(`Deadline: ${view.approval?.deadline ?? '?'}\n`);
}

export function showSummary(summary: ExecutionSummary): void {
  const { bold, green, red } = onStdout;
  const out = process.stdout;
  const outcome = summary.outcome === 'succeeded' ? green(summary.outcome) : red(summary.outcome);
  out.write(`\n${bold('Outcome:')} ${outcome}\n`);
  if (summary.results) out.write(`${bold('Results:')}\n${JSON.stringify(summary.results, null, 2)}\n`);
  if (summary.stdout.trim()) out.write(`${bold('Output:')}\n${summary.stdout.trimEnd()}\n`);
  for (const figure of summary.figures) out.write(`${bold('Figure:')} ${figure}\n`);
  if (summary.channel_limits) for (const line of channelWriteLines(summary.channel_limits, onStdout)) out.write(`${line}\n`);
  if (summary.outcome !== 'succeeded') {
    for (const entry of summary.error_chain) {
      out.write(`${bold('Error')} (${entry.stage}, attempt ${entry.attempt}) ${entry.type}: ${entry.message}\n`);
    }
  }
  if (summary.notebook_path) out.write(`${bold('Notebook:')} ${summary.notebook_path}\n`);
  out.write(`${bold('Folder:')} ${summary.folder}\n`);
}

/** The one JSON document of --json. */
export function summaryJson(summary: ExecutionSummary): string {
  return JSON.stringify(
    {
      execution_id: summary.execution_id,
      outcome: summary.outcome,
      results: summary.results,
      figures: summary.figures,
      notebook_path: summary.notebook_path,
      folder: summary.folder,
      execution_mode: summary.execution_mode,
      error_chain: summary.error_chain,
      ...(summary.channel_limits ? { channel_limits: summary.channel_limits } : {}),
    },
    null,
    2,
  );
}
