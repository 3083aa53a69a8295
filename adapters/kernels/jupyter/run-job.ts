/**
 * One execution attempt on one fresh kernel, in one execute_request: the code
 * itself, with the job (folder, attempt, limits, output cap) in the request's
 * metadata. pyexec_jupyter.py prepares the kernel from it before the code
 * runs (`begin`: folder, context, limits; when that fails the code does not
 * run) and collects what the code left after it (`finish`: results and
 * figures through the shared harness, also after an error in the code), and
 * puts the report in the execute_reply. After a timeout, a crash or a
 * cancellation there is no report, so such an execution leaves no
 * results.json. The kernel is never used again, whatever happened.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { executeResultSchema, type ExecuteJob, type ExecuteResult, type NotebookOutput } from '../../../protocol/internal.ts';
import { silentLogger, type Logger } from '../../../logging/logger.ts';
import { pythonLimitFields, type ExecutionLimits } from '../execution-limits.ts';
import { executionFigures, figureOutputs } from '../figures.ts';
import { KernelUnavailableError } from '../kernel.ts';
import { readKernelLimits } from '../../limits/kernel-files.ts';
import { copyBack } from '../local/copy-back.ts';
import { describeSignal } from '../signal-meanings.ts';
import { CellOutputs } from './cell-outputs.ts';
import type { LiveKernel } from './live-kernel.ts';
import { runCell, type CellEnd } from './run-cell.ts';

export interface JobLimits extends ExecutionLimits {
  interruptGraceMs: number;
}

const reportSchema = z.object({
  results: z.record(z.string(), z.unknown()).nullable(),
  figures: z.array(z.string()),
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string().default('') }).nullable(),
});
type Report = z.infer<typeof reportSchema>;

/** What pyexec_jupyter.py adds to the execute_reply: whether `begin` succeeded, and `finish`'s report. */
const replyExtensionSchema = z.object({
  pyexec: z.object({ prepared: z.boolean(), report: z.unknown().optional() }),
});

type Outcome = Pick<ExecuteResult, 'status' | 'results' | 'error'> & { figures: string[] };

const ansiEscapes = /\u001b\[[0-9;]*[A-Za-z]/g;

export async function runJob(
  kernel: LiveKernel,
  job: ExecuteJob,
  limits: JobLimits,
  executor: string,
  signal?: AbortSignal,
  logger: Logger = silentLogger,
): Promise<ExecuteResult> {
  const startedAt = performance.now();
  if (kernel.staging !== null && !existsSync(job.folder)) throw unprepared(kernel, job, 'the execution folder does not exist');
  const cell = new CellOutputs(limits.outputCapBytes, join(job.folder, 'figures'), job.attempt);
  const end = await runCell(kernel.connection, {
    code: job.code,
    metadata: { pyexec: { ...jobMetadata(job, limits), ...(kernel.staging === null ? {} : stagedInputs(job, await contextText(job.folder))) } },
    timeoutMs: job.timeout_seconds * 1000,
    interruptGraceMs: limits.interruptGraceMs,
    onIOPub: cell.onIOPub,
    signal,
  });
  if (end.kind === 'disconnected') throw new KernelUnavailableError(`lost the connection to the Jupyter server while kernel ${kernel.id} ran the code`);
  // Only a reply means the code ran to its end: after a timeout or a crash there is nothing to keep (no results.json).
  if (kernel.staging !== null && end.kind === 'replied') copyBack(kernel.staging, job.folder, logger);
  const report = end.kind === 'replied' ? preparedReport(kernel, job, end.reply) : null;
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
    ...(end.kind === 'cancelled' ? { code_started: true } : {}),
  });
}

/** The arguments of pyexec_jupyter.begin, by name. */
function jobMetadata(job: ExecuteJob, limits: JobLimits) {
  return { folder: job.folder, attempt: job.attempt, ...pythonLimitFields(limits) };
}

/** A sandboxed kernel cannot see the execution folder: context.json and the attempt's channel limits travel in the request. */
function stagedInputs(job: ExecuteJob, context: string | null): { context: string | null; channel_limits: string | null } {
  return { context, channel_limits: job.allows_writes ? readKernelLimits(job.folder, job.attempt) : null };
}

/** context.json's text, or null. */
async function contextText(folder: string): Promise<string | null> {
  const path = join(folder, 'context.json');
  return existsSync(path) ? readFile(path, 'utf8') : null;
}

/**
 * The report of a prepared execution (null without a valid one). A reply
 * without pyexec's part comes from a kernel that did not load pyexec_jupyter
 * (the pool checks each kernel for it); one with `prepared: false` means the
 * code did not run. Both are infrastructure errors.
 */
function preparedReport(kernel: LiveKernel, job: ExecuteJob, reply: Extract<CellEnd, { kind: 'replied' }>['reply']): Report | null {
  const extension = replyExtensionSchema.safeParse(reply);
  if (extension.success && extension.data.pyexec.prepared) return validReport(extension.data.pyexec.report);
  const detail = !extension.success ? 'no pyexec report in the reply' : reply.status === 'error' ? `${reply.ename}: ${reply.evalue}` : reply.status;
  throw unprepared(kernel, job, detail);
}

function unprepared(kernel: LiveKernel, job: ExecuteJob, detail: string): KernelUnavailableError {
  return new KernelUnavailableError(
    `kernel ${kernel.id} (${kernel.name}) could not prepare the execution in ${job.folder} (${detail}); ` +
      'the Jupyter server must see the execution folders at the same path and load pyexec_jupyter (use pyexec\'s kernelspecs)',
  );
}

function validReport(report: unknown): Report | null {
  const parsed = reportSchema.safeParse(report);
  return parsed.success ? parsed.data : null;
}

function decide(job: ExecuteJob, end: CellEnd, report: Report | null): Outcome {
  switch (end.kind) {
    case 'timeout':
      return failure('timeout', 'Timeout', `the code ran longer than ${job.timeout_seconds} s (wall clock) and was stopped`);
    case 'cancelled':
      // The execute_request was sent: the code may have started (code_started below).
      return failure('cancelled', 'Cancelled', 'the execution was cancelled and the kernel stopped');
    case 'died':
      return processEnd(end.exitStatus);
    case 'disconnected':
      return failure('infrastructure', 'KernelUnavailable', 'lost the connection to the Jupyter server');
    case 'replied':
      return fromReply(job, end.reply, report);
  }
}

function fromReply(job: ExecuteJob, reply: Extract<CellEnd, { kind: 'replied' }>['reply'], report: Report | null): Outcome {
  const figures = executionFigures(job.folder, report?.figures ?? []);
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
