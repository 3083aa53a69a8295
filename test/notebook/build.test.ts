import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult, ExecuteResult } from '../../protocol/internal.ts';
import type { ErrorChainEntry } from '../../protocol/public.ts';
import { buildNotebook, type NotebookInput } from '../../adapters/notebook/build.ts';
import { notebookSchema, type Notebook } from '../../adapters/notebook/nbformat.ts';
import { createExecutionFolder, writeAttemptNotebook, writeFinalNotebook } from '../../adapters/store/execution-folder.ts';
import type { AttemptStage } from '../../adapters/store/layout.ts';
import { executeResult as resultOf } from '../support/fixtures.ts';
import { tempDir } from '../support/temp.ts';
import { runInRealKernel } from './kernel-outputs.ts';
import { validateNotebooks } from './nbformat-validator.ts';

const executionId = 'a1b2c3d4-0000-4000-8000-000000000001';
const code = 'from epics import caput\ncaput("SR:CURRENT:SP", 1.5)\nresults = {"mean": 1.5}\n';

const analysis: AnalysisResult = {
  passed: true,
  syntax_valid: true,
  findings: [
    { rule: 'control_write', severity: 'warning', message: 'writes a PV | needs approval', line: 2, column: 0, excerpt: 'caput("SR:CURRENT:SP", 1.5)' },
  ],
  control_system: { reads: [], writes: [{ pv: 'SR:CURRENT:SP', function: 'caput', line: 2 }] },
  execution_mode: 'write_access',
  requires_approval: true,
  reasoning: ['The code writes to the control system.'],
  code_sha256: 'a'.repeat(64),
  analyzer: 'ast',
  duration_ms: 3,
};

const failedAnalysis: AnalysisResult = {
  ...analysis,
  passed: false,
  findings: [{ rule: 'process_execution', severity: 'blocking', message: 'runs a process', line: 1, column: 0, excerpt: 'os.system("ls")' }],
  reasoning: ['Blocking finding: process execution.'],
};

const errorChain: ErrorChainEntry[] = [
  { stage: 'execution', attempt: 1, type: 'ZeroDivisionError', message: 'division by zero', at: '2024-05-01T12:00:00Z' },
];

function executeResult(overrides: Partial<ExecuteResult>): ExecuteResult {
  return resultOf(`${executionId}:execute:1`, { execution_id: executionId, results: { mean: 1.5 }, duration_ms: 120, executor: 'local', ...overrides });
}

describe('notebooks validate with Jupyter nbformat', () => {
  const temp = tempDir();
  let folder = '';
  let kernelOutputs: Record<string, unknown>[] = [];
  let failingOutputs: Record<string, unknown>[] = [];
  const written: { label: string; path: string; notebook: Notebook }[] = [];

  beforeAll(async () => {
    folder = await createExecutionFolder(temp.path, executionId, { task_objective: 'Plot beam current', context: {} });
    kernelOutputs = runInRealKernel(
      [
        'import sys',
        'print("hello")',
        'print("careful", file=sys.stderr)',
        'import matplotlib.pyplot as plt',
        'plt.plot([1, 2, 3])',
        'plt.show()',
        '41 + 1',
      ].join('\n'),
    );
    failingOutputs = runInRealKernel('print("before")\n1 / 0\n');
  });
  afterAll(() => temp.remove());

  const base = (): Omit<NotebookInput, 'stage'> => ({
    executionId,
    attempt: 2,
    taskObjective: 'Plot the beam current | and report its mean',
    userQuery: 'what is the\nmean current?',
    code,
    folder,
    errorChain,
  });

  async function write(label: string, input: NotebookInput): Promise<Notebook> {
    const notebook = buildNotebook(input);
    const path =
      input.stage === 'final'
        ? await writeFinalNotebook(folder, notebook)
        : await writeAttemptNotebook(folder, input.attempt, input.stage as AttemptStage, notebook);
    written.push({ label, path, notebook });
    return notebook;
  }

  it('builds one notebook per stage, with real kernel outputs where executed', async () => {
    await write('generated', { ...base(), stage: 'generated' });
    await write('awaiting_approval', {
      ...base(),
      stage: 'awaiting_approval',
      analysis,
      approval: { state: 'pending', approvalId: 'ap-1', deadline: '2024-05-01T13:00:00Z' },
    });
    await write('failed_analysis', { ...base(), stage: 'failed_analysis', analysis: failedAnalysis });
    await write('failed_execution', {
      ...base(),
      stage: 'failed_execution',
      analysis,
      result: executeResult({
        status: 'runtime_error',
        results: null,
        outputs: failingOutputs,
        error: { type: 'ZeroDivisionError', message: 'division by zero', traceback: '\u001b[0;31mZeroDivisionError\u001b[0m: division by zero' },
      }),
    });
    await write('succeeded', {
      ...base(),
      stage: 'succeeded',
      analysis,
      approval: { state: 'approved', approver: 'operator', reason: 'looks right' },
      result: executeResult({ outputs: kernelOutputs, figures: ['figures/figure_01.png'] }),
    });
    await write('final', {
      ...base(),
      stage: 'final',
      outcome: 'succeeded',
      analysis,
      approval: { state: 'approved', approver: 'operator' },
      result: executeResult({ outputs: kernelOutputs, figures: [join(folder, 'figures', 'figure_01.png')] }),
      kernelName: 'python3-epics-write',
    });
    await write('final_not_run', { ...base(), stage: 'final', outcome: 'rejected', analysis, approval: { state: 'rejected', reason: 'no' } });
    await write('final_plain_process', {
      ...base(),
      stage: 'final',
      outcome: 'failed',
      result: executeResult({
        status: 'runtime_error',
        stdout: 'line one\nline two\n',
        stderr: 'Traceback...\n',
        error: { type: 'ValueError', message: 'bad', traceback: 'Traceback (most recent call last):\n  File "x", line 1\nValueError: bad' },
      }),
    });

    const outcomes = validateNotebooks(written.map((w) => w.path));
    expect(outcomes.map((o) => o.error)).toEqual(written.map(() => null));
    for (const { notebook } of written) expect(notebookSchema.safeParse(notebook).success).toBe(true);
  });

  it('writes attempt notebooks as attempts/NN_<stage>.ipynb and the final one as notebook.ipynb', () => {
    const names = written.map((w) => w.path.slice(folder.length + 1));
    expect(names).toContain('attempts/02_generated.ipynb');
    expect(names).toContain('attempts/02_awaiting_approval.ipynb');
    expect(names).toContain('attempts/02_failed_analysis.ipynb');
    expect(names).toContain('attempts/02_failed_execution.ipynb');
    expect(names).toContain('attempts/02_succeeded.ipynb');
    expect(names).toContain('notebook.ipynb');
  });

  it('keeps the real outputs: streams, the png image, the execute_result, the error', () => {
    const succeeded = notebookOf('succeeded');
    const outputs = codeCellOf(succeeded).outputs;
    expect(outputs.map((o) => o.output_type)).toEqual(['stream', 'stream', 'display_data', 'execute_result']);
    const image = outputs[2];
    expect(image?.output_type === 'display_data' && typeof image.data['image/png']).toBe('string');
    const result = outputs[3];
    expect(result?.output_type === 'execute_result' && result.data['text/plain']).toBe('42');
    // The kernel's `transient` field is not nbformat: it must be gone.
    expect(JSON.stringify(outputs)).not.toContain('transient');

    const failed = codeCellOf(notebookOf('failed_execution')).outputs;
    const error = failed.find((o) => o.output_type === 'error');
    expect(error?.output_type === 'error' && error.ename).toBe('ZeroDivisionError');
    expect(codeCellOf(notebookOf('generated')).outputs).toEqual([]);
    expect(codeCellOf(notebookOf('generated')).execution_count).toBeNull();
  });

  it('rebuilds outputs from stdout, stderr and the error when the kernel reported none', () => {
    const outputs = codeCellOf(notebookOf('final_plain_process')).outputs;
    expect(outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: ['line one\n', 'line two\n'] },
      { output_type: 'stream', name: 'stderr', text: ['Traceback...\n'] },
      { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['Traceback (most recent call last):', '  File "x", line 1', 'ValueError: bad'] },
    ]);
  });

  it('writes the header: task, query, attempt, stage, analysis, approval, earlier failures', () => {
    const header = markdownOf(notebookOf('awaiting_approval'), 'header');
    expect(header).toContain('| Task | Plot the beam current \\| and report its mean |');
    expect(header).toContain('| User query | what is the mean current? |');
    expect(header).toContain('| Attempt | 2 |');
    expect(header).toContain('| Stage | awaiting approval |');
    expect(header).toContain('mode: `write_access`');
    expect(header).toContain('| warning | control_write | 2:0 | writes a PV \\| needs approval |');
    expect(header).toContain('`SR:CURRENT:SP` via `caput`');
    expect(header).toContain('pending; approval id ap-1, deadline 2024-05-01T13:00:00Z');
    expect(header).toContain('| execution | 1 | ZeroDivisionError | division by zero |');
    expect(markdownOf(notebookOf('final_not_run'), 'header')).toContain('| Outcome | rejected |');
    expect(markdownOf(notebookOf('succeeded'), 'header')).toContain('approved by operator (looks right)');
  });

  it('summarises results, errors and figures after the code', () => {
    const succeeded = markdownOf(notebookOf('succeeded'), 'summary');
    expect(succeeded).toContain('"mean": 1.5');
    // The image is in the outputs already, so the figure is a link, relative to attempts/.
    expect(succeeded).toContain('- [../figures/figure_01.png](../figures/figure_01.png)');
    expect(markdownOf(notebookOf('final'), 'summary')).toContain('[figures/figure_01.png](figures/figure_01.png)');
    const failed = markdownOf(notebookOf('failed_execution'), 'summary');
    expect(failed).toContain('`ZeroDivisionError`: division by zero');
    expect(failed).not.toContain('\u001b');
    expect(markdownOf(notebookOf('final_not_run'), 'summary')).toContain('Outcome: rejected');
    expect(notebookOf('generated').cells.map((c) => c.id)).toEqual(['header', 'code']);
  });

  it('embeds figures as images when the outputs hold none', () => {
    const notebook = buildNotebook({
      ...base(),
      stage: 'final',
      result: executeResult({ figures: ['figures/plot (1).png'] }),
    });
    expect(markdownOf(notebook, 'summary')).toContain('![figures/plot%20%281%29.png](figures/plot%20%281%29.png)');
  });

  it('replaces a malformed kernel output by a stderr note instead of breaking the notebook', () => {
    const notebook = buildNotebook({
      ...base(),
      stage: 'succeeded',
      result: executeResult({ outputs: [{ output_type: 'display_data', data: { 'image/png': 42 } }, { output_type: 'clear_output' }] }),
    });
    const outputs = codeCellOf(notebook).outputs;
    expect(outputs).toHaveLength(2);
    for (const output of outputs) {
      expect(output.output_type).toBe('stream');
      expect(output.output_type === 'stream' && output.name).toBe('stderr');
    }
    expect(JSON.stringify(outputs[0])).toContain('outputs.0.data.image/png');
    const path = join(folder, 'malformed.ipynb');
    writeFileSync(path, JSON.stringify(notebook));
    expect(validateNotebooks([path])[0]?.error).toBeNull();
  });

  it('has a validator that rejects what Jupyter rejects (no cell id, a transient field)', () => {
    const notebook = JSON.parse(readFileSync(written[0]?.path ?? '', 'utf8')) as Record<string, unknown> & { cells: Record<string, unknown>[] };
    const noId = join(folder, 'no-id.ipynb');
    const { id: _dropped, ...cell } = notebook.cells[0] ?? {};
    writeFileSync(noId, JSON.stringify({ ...notebook, cells: [cell] }));
    const transient = join(folder, 'transient.ipynb');
    const raw = kernelOutputs.find((o) => o.output_type === 'display_data');
    writeFileSync(
      transient,
      JSON.stringify({
        ...notebook,
        cells: [{ id: 'c', cell_type: 'code', metadata: {}, source: '', execution_count: 1, outputs: [{ ...raw, transient: {} }] }],
      }),
    );
    const outcomes = validateNotebooks([noId, transient]);
    expect(outcomes[0]?.error).toMatch(/id/);
    expect(outcomes[1]?.error).not.toBeNull();
  });

  function notebookOf(label: string): Notebook {
    const found = written.find((w) => w.label === label);
    if (!found) throw new Error(`no notebook ${label} written`);
    return found.notebook;
  }
});

function codeCellOf(notebook: Notebook) {
  const cell = notebook.cells.find((c) => c.cell_type === 'code');
  if (cell?.cell_type !== 'code') throw new Error('no code cell');
  return cell;
}

function markdownOf(notebook: Notebook, id: string): string {
  const cell = notebook.cells.find((c) => c.id === id);
  if (!cell) throw new Error(`no cell ${id}`);
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}
