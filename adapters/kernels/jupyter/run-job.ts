/**
 * One execution attempt on one fresh kernel: a hidden `begin` cell (folder,
 * context, limits, output cap: pyexec_jupyter.py), the code itself, a hidden
 * `finish` cell (results and figures through the shared harness), then the
 * ExecuteResult. The kernel is never used again, whatever happened.
 *
 * An execution that succeeds costs one round trip and two requests: `begin`
 * and the code leave together (a failing `begin` aborts the code), and
 * `finish` rides in the code's own request as a user expression, which the
 * kernel evaluates right after the code when the code succeeded; its report
 * arrives among the code's outputs. After an error in the code `finish` is a
 * request of its own (figures are saved after an error too); after a
 * timeout, a crash or a cancellation it is not sent at all.
 */
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { executeResultSchema, type ExecuteJob, type ExecuteResult, type NotebookOutput } from '../../../bus/messages.ts';
import { KernelUnavailableError } from '../kernel.ts';
import { describeSignal } from '../signal-meanings.ts';
import { CellOutputs } from './cell-outputs.ts';
import type { LiveKernel } from './live-kernel.ts';
import { runCell, type CellEnd } from './run-cell.ts';

export interface JobLimits {
  outputCapBytes: number;
  memoryMb: number;
  cpuSeconds: number;
  maxProcesses: number;
  interruptGraceMs: number;
  /** For the hidden cells, which do pyexec's own bookkeeping. */
  bookkeepingTimeoutMs: number;
}

const reportSchema = z.object({
  results: z.record(z.string(), z.unknown()).nullable(),
  figures: z.array(z.string()),
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string().default('') }).nullable(),
});
type Report = z.infer<typeof reportSchema>;

type Outcome = Pick<ExecuteResult, 'status' | 'results' | 'error'> & { figures: string[] };

const ansiEscapes = /\u001b\[[0-9;]*[A-Za-z]/g;
/** Publishes the harness's report as display data of pyexec's MIME type (pyexec_jupyter.py). */
const finishCall = '__import__("pyexec_jupyter").finish()';

export async function runJob(
  kernel: LiveKernel,
  job: ExecuteJob,
  limits: JobLimits,
  executor: string,
  signal?: AbortSignal,
): Promise<ExecuteResult> {
  const startedAt = performance.now();
  const cell = new CellOutputs(limits.outputCapBytes, join(job.folder, 'figures'), job.attempt);
  const prepared = begin(kernel, job, limits);
  const ran = runCell(kernel.connection, {
    code: job.code,
    silent: false,
    userExpressions: { pyexec: finishCall },
    timeoutMs: job.timeout_seconds * 1000,
    interruptGraceMs: limits.interruptGraceMs,
    onIOPub: cell.onIOPub,
    signal,
  });
  try {
    await prepared;
  } catch (error) {
    await ran;
    throw error;
  }
  const end = await ran;
  if (end.kind === 'disconnected') throw new KernelUnavailableError(`lost the connection to the Jupyter server while kernel ${kernel.id} ran the code`);
  const report = end.kind !== 'replied' ? null : end.reply.status === 'ok' ? validReport(cell.report) : await finish(kernel, limits);
  const outcome = decide(job, end, report);
  const figures = [...cell.images, ...outcome.figures];
  const outputs: NotebookOutput[] = [...cell.outputs, ...(await figureOutputs(outcome.figures))];
  if (outcome.error && !outputs.some((output) => output.output_type === 'error')) {
    outputs.push({ output_type: 'error', ename: outcome.error.type, evalue: outcome.error.message, traceback: (outcome.error.traceback ?? '').split('\n') });
  }
  return executeResultSchema.parse({
    command_id: job.command_id,
    execution_id: job.execution_id,
    status: outcome.status,
    results: outcome.results,
    stdout: cell.text('stdout'),
    stderr: cell.text('stderr'),
    output_truncated: cell.truncated,
    figures,
    outputs,
    error: outcome.error,
    duration_ms: performance.now() - startedAt,
    executor,
  });
}

/** Sends the hidden `begin` request now; resolves when it succeeded. */
async function begin(kernel: LiveKernel, job: ExecuteJob, limits: JobLimits): Promise<void> {
  const args = [job.folder, job.attempt, limits.outputCapBytes, limits.memoryMb, limits.cpuSeconds, limits.maxProcesses];
  const code = `__import__("pyexec_jupyter").begin(*__import__("json").loads(${JSON.stringify(JSON.stringify(args))}))`;
  // Not silent: only a visible request that fails aborts the requests queued behind it.
  const end = await runCell(kernel.connection, { ...bookkeeping(code, limits), silent: false, storeHistory: false, replyOnly: true });
  if (end.kind === 'replied' && end.reply.status === 'ok') return;
  const detail = end.kind === 'replied' && end.reply.status === 'error' ? `${end.reply.ename}: ${end.reply.evalue}` : end.kind;
  throw new KernelUnavailableError(
    `kernel ${kernel.id} (${kernel.name}) could not prepare the execution in ${job.folder} (${detail}); ` +
      'the Jupyter server must see the execution folders at the same path and load pyexec_jupyter (use pyexec\'s kernelspecs)',
  );
}

/** The hidden `finish` as a request of its own (after an error in the code); null without a valid report. */
async function finish(kernel: LiveKernel, limits: JobLimits): Promise<Report | null> {
  const cell = new CellOutputs(limits.outputCapBytes, '', 0);
  const end = await runCell(kernel.connection, { ...bookkeeping(finishCall, limits), onIOPub: cell.onIOPub });
  return end.kind === 'replied' ? validReport(cell.report) : null;
}

function validReport(report: unknown): Report | null {
  const parsed = reportSchema.safeParse(report);
  return parsed.success ? parsed.data : null;
}

function bookkeeping(code: string, limits: JobLimits) {
  return { code, silent: true, timeoutMs: limits.bookkeepingTimeoutMs, interruptGraceMs: limits.interruptGraceMs };
}

function decide(job: ExecuteJob, end: CellEnd, report: Report | null): Outcome {
  switch (end.kind) {
    case 'timeout':
      return failure('timeout', 'Timeout', `the code ran longer than ${job.timeout_seconds} s (wall clock) and was stopped`);
    case 'cancelled':
      return failure('timeout', 'Cancelled', 'the execution was cancelled and the kernel stopped');
    case 'died':
      return processEnd(end.exitStatus);
    case 'disconnected':
      return failure('infrastructure', 'KernelUnavailable', 'lost the connection to the Jupyter server');
    case 'replied':
      return fromReply(job, end.reply, report);
  }
}

function fromReply(job: ExecuteJob, reply: Extract<CellEnd, { kind: 'replied' }>['reply'], report: Report | null): Outcome {
  const figures = (report?.figures ?? []).filter((path) => isInside(join(job.folder, 'figures'), path));
  if (reply.status === 'error') {
    const traceback = reply.traceback.join('\n').replace(ansiEscapes, '');
    return { status: 'runtime_error', results: null, error: { type: reply.ename, message: reply.evalue, traceback }, figures };
  }
  if (reply.status !== 'ok') return { ...failure('runtime_error', 'Aborted', 'the kernel aborted the execution'), figures };
  if (report === null) return failure('runtime_error', 'InvalidReport', 'the kernel did not report the results of the code');
  if (report.error) return { status: 'runtime_error', results: null, error: report.error, figures };
  return { status: 'succeeded', results: report.results, error: undefined, figures };
}


/** The kernel process ended mid-execution: exit code >= 0, or minus the signal number (subprocess's convention). */
function processEnd(exitStatus: number | null): Outcome {
  const before = 'before reporting its results';
  if (exitStatus === null) return failure('runtime_error', 'ProcessExited', `the kernel process ended ${before} (its exit status was lost)`);
  if (exitStatus >= 0) return failure('runtime_error', 'ProcessExited', `the kernel process exited with status ${exitStatus} ${before}`);
  const name = Object.entries(constants.signals).find(([, number]) => number === -exitStatus)?.[0] ?? `signal ${-exitStatus}`;
  return failure('runtime_error', 'ProcessCrashed', `the kernel process was ended by ${describeSignal(name)} ${before}`);
}

function failure(status: ExecuteResult['status'], type: string, message: string): Outcome {
  return { status, results: null, error: { type, message, traceback: '' }, figures: [] };
}

function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

async function figureOutputs(paths: readonly string[]): Promise<NotebookOutput[]> {
  return Promise.all(
    paths.map(async (path) => ({
      output_type: 'display_data',
      data: { 'image/png': (await readFile(path)).toString('base64'), 'text/plain': `<Figure ${basename(path)}>` },
      metadata: {},
    })),
  );
}
