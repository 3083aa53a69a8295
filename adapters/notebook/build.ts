/**
 * Builds the notebook of one stage of an execution (pure: no I/O). Every
 * notebook has a header cell (task, query, attempt, stage, analysis,
 * approval, earlier failures) and the code; an executed attempt carries the
 * kernel's real outputs in the code cell; a summary cell follows where there
 * is something to say (results, error, waiting approval, failed analysis).
 *
 * API:
 *   buildNotebook(input: NotebookInput): Notebook
 * Write it with writeAttemptNotebook / writeFinalNotebook
 * (adapters/store/execution-folder.ts).
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { AnalysisResult, ExecuteResult } from '../../protocol/internal.ts';
import type { ErrorChainEntry, Outcome } from '../../protocol/public.ts';
import { notebookName, type NotebookStage } from '../store/layout.ts';
import { urlPath } from './link.ts';
import { codeBlock, inlineCode, stripAnsi, table, truncate } from './markdown.ts';
import { normaliseOutput, toLines, type CodeCell, type MarkdownCell, type Notebook, type Output } from './nbformat.ts';

export type ApprovalState = 'not_required' | 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalStatus {
  state: ApprovalState;
  approvalId?: string;
  approver?: string;
  reason?: string;
  /** ISO time by which a human must decide (pending approvals). */
  deadline?: string;
}

export interface NotebookInput {
  stage: NotebookStage;
  executionId: string;
  attempt: number;
  taskObjective: string;
  userQuery: string;
  code: string;
  /** The execution folder: figure links are made relative to the notebook's place in it. */
  folder: string;
  analysis?: AnalysisResult | null;
  /** When absent, derived from the analysis (required or not). */
  approval?: ApprovalStatus | null;
  /** The executed attempt; its outputs go into the code cell. */
  result?: ExecuteResult | null;
  /** The execution's outcome (final notebook). */
  outcome?: Outcome | null;
  errorChain?: readonly ErrorChainEntry[];
  /** Earlier executions whose results are in `context` (pipelines): the lineage. */
  contextFrom?: readonly { execution_id: string; as: string }[];
  /** Jupyter kernel name recorded in the notebook (default python3). */
  kernelName?: string;
}

const stageTitles: Record<NotebookStage, string> = {
  generated: 'generated',
  awaiting_approval: 'awaiting approval',
  failed_analysis: 'failed analysis',
  failed_execution: 'failed execution',
  succeeded: 'succeeded',
  final: 'final',
};

/** Keeps summary cells readable; the full values are in results.json and the outputs. */
const maxSummaryChars = 20_000;

export function buildNotebook(input: NotebookInput): Notebook {
  const summary = summaryMarkdown(input);
  const cells: (MarkdownCell | CodeCell)[] = [markdownCell('header', headerMarkdown(input)), codeCell(input)];
  if (summary !== null) cells.push(markdownCell('summary', summary));
  const kernelName = input.kernelName ?? 'python3';
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: kernelName,
        display_name: kernelName === 'python3' ? 'Python 3' : `Python 3 (${kernelName})`,
        language: 'python',
      },
      language_info: { name: 'python' },
      pyexec: {
        execution_id: input.executionId,
        stage: input.stage,
        attempt: input.attempt,
        code_sha256: createHash('sha256').update(input.code).digest('hex'),
        execution_mode: input.analysis?.execution_mode ?? null,
        outcome: input.outcome ?? null,
      },
    },
    cells,
  };
}

function markdownCell(id: string, text: string): MarkdownCell {
  return { id, cell_type: 'markdown', metadata: {}, source: toLines(text) };
}

function codeCell(input: NotebookInput): CodeCell {
  return {
    id: 'code',
    cell_type: 'code',
    metadata: {},
    source: toLines(input.code),
    execution_count: input.result ? 1 : null,
    outputs: input.result ? cellOutputs(input.result) : [],
  };
}

/**
 * The kernel's own outputs when it reported them; otherwise (a plain
 * process) the captured streams and the error, rebuilt as outputs.
 */
export function cellOutputs(result: ExecuteResult): Output[] {
  if (result.outputs.length > 0) return result.outputs.map((raw, index) => normaliseOutput(raw, index));
  const outputs: Output[] = [];
  if (result.stdout !== '') outputs.push({ output_type: 'stream', name: 'stdout', text: toLines(result.stdout) });
  if (result.stderr !== '') outputs.push({ output_type: 'stream', name: 'stderr', text: toLines(result.stderr) });
  if (result.error) {
    outputs.push({
      output_type: 'error',
      ename: result.error.type,
      evalue: result.error.message,
      traceback: (result.error.traceback ?? '').split('\n').filter((line) => line !== ''),
    });
  }
  return outputs;
}

function headerMarkdown(input: NotebookInput): string {
  const rows: string[][] = [
    ['Task', input.taskObjective],
    ['User query', input.userQuery === '' ? '(none)' : input.userQuery],
    ['Execution', input.executionId],
    ['Attempt', String(input.attempt)],
    ['Stage', stageTitles[input.stage]],
  ];
  if (input.outcome) rows.push(['Outcome', input.outcome]);
  rows.push(['Approval', approvalText(approvalOf(input))]);
  if (input.result?.isolation) rows.push(['Isolation', isolationText(input.result.isolation)]);
  for (const ref of input.contextFrom ?? []) rows.push(['Context from', `${inlineCode(`context["${ref.as}"]`)} ← results of execution ${ref.execution_id}`]);
  const sections = [`# pyexec: ${stageTitles[input.stage]} (attempt ${input.attempt})`, table(['', ''], rows)];
  if (input.analysis) sections.push(analysisMarkdown(input.analysis));
  if (input.errorChain && input.errorChain.length > 0) sections.push(errorChainMarkdown(input.errorChain));
  return sections.join('\n\n');
}

/** An unsandboxed run says so where a reviewer reads first (docs/isolation.md). */
function isolationText(isolation: 'sandbox' | 'none'): string {
  return isolation === 'sandbox' ? 'OS sandbox' : `**none**: the code ran without the OS sandbox (${inlineCode('execution.isolation: none')})`;
}

function approvalOf(input: NotebookInput): ApprovalStatus | null {
  if (input.approval) return input.approval;
  if (!input.analysis) return null;
  return { state: input.analysis.requires_approval ? 'pending' : 'not_required' };
}

function approvalText(approval: ApprovalStatus | null): string {
  if (!approval) return 'not decided yet (no analysis)';
  let text = approval.state.replace('_', ' ');
  if (approval.approver) text += ` by ${approval.approver}`;
  if (approval.reason) text += ` (${approval.reason})`;
  const details: string[] = [];
  if (approval.approvalId) details.push(`approval id ${approval.approvalId}`);
  if (approval.deadline) details.push(`deadline ${approval.deadline}`);
  return details.length === 0 ? text : `${text}; ${details.join(', ')}`;
}

function analysisMarkdown(analysis: AnalysisResult): string {
  const verdict = [
    `passed: ${yesNo(analysis.passed)}`,
    `syntax valid: ${yesNo(analysis.syntax_valid)}`,
    `mode: ${inlineCode(analysis.execution_mode)}`,
    `approval required: ${yesNo(analysis.requires_approval)}`,
    `analyzer: ${inlineCode(analysis.analyzer)}`,
  ].join(' · ');
  const findings =
    analysis.findings.length === 0
      ? 'No findings.'
      : table(
          ['Severity', 'Rule', 'Line', 'Message', 'Code'],
          analysis.findings.map((f) => [f.severity, f.rule, `${f.line}:${f.column}`, f.message, f.excerpt]),
        );
  const sections = ['## Analysis', verdict, findings];
  const access = controlSystemText(analysis);
  if (access !== null) sections.push(access);
  if (analysis.reasoning.length > 0) sections.push(analysis.reasoning.map((line) => `- ${line}`).join('\n'));
  return sections.join('\n\n');
}

function controlSystemText(analysis: AnalysisResult): string | null {
  const describe = (accesses: AnalysisResult['control_system']['reads']) =>
    accesses.map((a) => `${inlineCode(a.pv ?? '(computed name)')} via ${inlineCode(a.function)} (line ${a.line})`).join(', ');
  const lines: string[] = [];
  if (analysis.control_system.writes.length > 0) lines.push(`- Control-system writes: ${describe(analysis.control_system.writes)}`);
  if (analysis.control_system.reads.length > 0) lines.push(`- Control-system reads: ${describe(analysis.control_system.reads)}`);
  return lines.length === 0 ? null : lines.join('\n');
}

function errorChainMarkdown(chain: readonly ErrorChainEntry[]): string {
  const rows = chain.map((entry) => [entry.stage, String(entry.attempt), entry.type, truncate(entry.message, 500)]);
  return `## Earlier failures\n\n${table(['Stage', 'Attempt', 'Type', 'Message'], rows)}`;
}

function summaryMarkdown(input: NotebookInput): string | null {
  if (input.result) return resultMarkdown(input.result, input);
  switch (input.stage) {
    case 'awaiting_approval': {
      const approval = approvalOf(input);
      return `## Waiting for approval\n\nThis code runs only after a human approves this exact code: ${approvalText(approval)}.`;
    }
    case 'failed_analysis':
      return `## Analysis failed\n\nThe code was not run; it goes back to the generator with the findings above.`;
    case 'final':
      return finalWithoutRunMarkdown(input);
    default:
      return null;
  }
}

function finalWithoutRunMarkdown(input: NotebookInput): string {
  const last = input.errorChain?.at(-1);
  const lines = [`## Outcome: ${input.outcome ?? 'unknown'}`, '', 'The code was not run to completion.'];
  if (last) lines.push('', `Last failure (${last.stage}, attempt ${last.attempt}): ${last.type}: ${last.message}`);
  return lines.join('\n');
}

function resultMarkdown(result: ExecuteResult, input: NotebookInput): string {
  const sections = [
    `## Execution: ${result.status.replace('_', ' ')}`,
    `Executor ${inlineCode(result.executor)} · ${Math.round(result.duration_ms)} ms` +
      (result.output_truncated ? ' · output truncated (cap reached)' : ''),
  ];
  if (result.error) {
    sections.push(`### Error\n\n${inlineCode(result.error.type)}: ${result.error.message}`);
    if (result.error.traceback) sections.push(codeBlock(truncate(stripAnsi(result.error.traceback), maxSummaryChars)));
  }
  if (result.results !== null) {
    sections.push(`### Results\n\n${codeBlock(truncate(JSON.stringify(result.results, null, 2), maxSummaryChars), 'json')}`);
  }
  const figures = figureMarkdown(result, input);
  if (figures !== null) sections.push(figures);
  return sections.join('\n\n');
}

/** Figures the outputs do not already show as images, linked relative to the notebook. */
function figureMarkdown(result: ExecuteResult, input: NotebookInput): string | null {
  if (result.figures.length === 0) return null;
  const shownInOutputs = cellOutputs(result).some(
    (output) => output.output_type === 'display_data' && 'image/png' in output.data,
  );
  const notebookDir = dirname(join(input.folder, notebookName(input.stage, input.attempt)));
  const links = result.figures.map((figure) => {
    const absolute = isAbsolute(figure) ? figure : join(input.folder, figure);
    const link = urlPath(relative(notebookDir, absolute));
    return shownInOutputs ? `- [${link}](${link})` : `![${link}](${link})`;
  });
  return `### Figures\n\n${links.join('\n')}`;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
