/**
 * The answer of python_execute (and of execution_status once an execution has
 * ended): a short text an agent can act on, the results and everything else as
 * structured content, figures as image content, the notebook and the folder
 * as resource links. Anything but success is a tool error (isError), with the
 * findings, the error chain, or the mode the code would need.
 */
import { pathToFileURL } from 'node:url';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ExecutionSummary, Finding } from '../protocol/public.ts';
import type { ExecutionView } from '../client/client.ts';
import { figureMimeType, figureNames, readFigure } from './figures.ts';
import { capText } from './output-cap.ts';
import { figureUri, notebookUri } from './resource-uris.ts';

export interface ResultOptions {
  outputChars: number;
  /** Why the MCP server itself refused the code (a mode the call did not allow), if it did. */
  modeRefusal?: string | null;
}

/** Figures beyond these go as resource links only: a tool result is read by a model. */
const inlineFigures = 4;

export async function executionResult(summary: ExecutionSummary, view: ExecutionView | null, options: ResultOptions): Promise<CallToolResult> {
  const stdout = capText(summary.stdout, options.outputChars, `${summary.folder} (the notebook)`);
  const stderr = capText(view?.stderr ?? '', options.outputChars, `${summary.folder} (the notebook)`);
  const findings = findingsOf(summary, view);
  const names = figureNames(summary);
  const structured = {
    execution_id: summary.execution_id,
    outcome: summary.outcome,
    execution_mode: summary.execution_mode,
    results: summary.results,
    stdout: stdout.text,
    stderr: stderr.text,
    output_truncated: stdout.truncated || stderr.truncated || (view?.output_truncated ?? false),
    figures: names,
    notebook_path: summary.notebook_path,
    folder: summary.folder,
    findings,
    reasoning: view?.analysis?.reasoning ?? [],
    error_chain: summary.error_chain.map(({ code: _code, ...entry }) => entry),
    context_from: view?.request.context_from ?? [],
  };
  const content: CallToolResult['content'] = [{ type: 'text', text: headline(summary, view, findings, options.modeRefusal ?? null) }];
  for (const name of names.slice(0, inlineFigures)) {
    const figure = await readFigure(summary, name);
    if (figure) content.push({ type: 'image', data: figure.data, mimeType: figure.mimeType });
  }
  for (const name of names) content.push({ type: 'resource_link', uri: figureUri(summary.execution_id, name), name, mimeType: figureMimeType(name) });
  if (summary.notebook_path) {
    content.push({ type: 'resource_link', uri: notebookUri(summary.execution_id), name: 'notebook.ipynb', mimeType: 'application/x-ipynb+json', description: 'The notebook of the run: header, code, outputs, results.' });
  }
  content.push({ type: 'resource_link', uri: pathToFileURL(summary.folder).href, name: 'execution folder', description: 'context.json, attempts, figures, results.json, notebook.ipynb, audit.jsonl' });
  return { content, structuredContent: structured, isError: summary.outcome !== 'succeeded' };
}

/** The blocking findings of the last failed analysis, else the analysis' findings. */
function findingsOf(summary: ExecutionSummary, view: ExecutionView | null): Finding[] {
  const failedAnalysis = [...summary.error_chain].reverse().find((entry) => entry.stage === 'analysis');
  return failedAnalysis?.findings ?? view?.analysis?.findings ?? [];
}

function headline(summary: ExecutionSummary, view: ExecutionView | null, findings: Finding[], modeRefusal: string | null): string {
  const id = summary.execution_id;
  const last = summary.error_chain.at(-1);
  const decision = view?.decision;
  switch (summary.outcome) {
    case 'succeeded':
      return `Execution ${id} succeeded (mode ${summary.execution_mode}). Results: ${JSON.stringify(summary.results)}`;
    case 'rejected':
      return `Execution ${id} was rejected by ${decision?.approver ?? 'the approver'}${decision?.reason ? `: ${decision.reason}` : ''}. It did not run; change the code or the task before asking again.`;
    case 'failed': {
      const lines = [`Execution ${id} failed${last ? ` at ${last.stage} (attempt ${last.attempt}): ${last.type}: ${last.message}` : ''}.`];
      for (const finding of findings.filter((f) => f.severity === 'blocking')) lines.push(`- line ${finding.line}: ${finding.message} [${finding.rule}]`);
      if (last?.traceback) lines.push(last.traceback.split('\n').slice(-6).join('\n'));
      return lines.join('\n');
    }
    case 'cancelled':
      if (modeRefusal) return `Execution ${id} refused: ${modeRefusal}`;
      return `Execution ${id} was cancelled: ${view?.outcome_detail ?? ''}`;
    case 'expired':
      return `Execution ${id} expired: nobody decided on its approval before the deadline. Ask again when an approver is available.`;
    case 'unknown':
      return `Execution ${id} has an unknown outcome: a write job was interrupted. Check the hardware before trying again.`;
  }
}
