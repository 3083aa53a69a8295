/**
 * Turns an ended attempt into the ExecuteResult of the protocol: the
 * harness's report when there is a valid one, otherwise what the process's
 * end says (timeout, crash, exit); the captured streams; the figures; and the
 * run's nbformat 4 outputs for the notebook writer.
 */
import { executeResultSchema, type ExecuteJob, type ExecuteResult, type NotebookOutput } from '../../../protocol/internal.ts';
import type { Attempt, ProcessExit } from './attempt.ts';
import { harnessReportSchema, type HarnessError, type HarnessReport } from './harness-protocol.ts';
import { executionFigures, figureOutputs } from '../figures.ts';
import { describeSignal } from '../signal-meanings.ts';

const stderrTailChars = 4000;

type Outcome = Pick<ExecuteResult, 'status' | 'results' | 'error'> & {
  figures: string[];
  tracebackLines: string[];
};

export async function executeResult(
  job: ExecuteJob,
  attempt: Attempt,
  executor: string,
  isolation: ExecuteResult['isolation'],
): Promise<ExecuteResult> {
  const outcome = decide(job, attempt, parseReport(attempt.report));
  const outputs: NotebookOutput[] = [...attempt.output.streamOutputs(), ...(await figureOutputs(outcome.figures))];
  if (outcome.error) {
    outputs.push({
      output_type: 'error',
      ename: outcome.error.type,
      evalue: outcome.error.message,
      traceback: outcome.tracebackLines,
    });
  }
  return executeResultSchema.parse({
    command_id: job.command_id,
    execution_id: job.execution_id,
    status: outcome.status,
    results: outcome.results,
    stdout: attempt.output.text('stdout'),
    stderr: attempt.output.text('stderr'),
    output_truncated: attempt.output.truncated,
    figures: outcome.figures,
    outputs,
    error: outcome.error,
    duration_ms: performance.now() - attempt.startedAt,
    executor,
    isolation,
  });
}

type ParsedReport = { report: HarnessReport } | { problem: string } | null;

function parseReport(bytes: Buffer | null): ParsedReport {
  if (bytes === null) return { problem: 'the report channel carried more data than any report can hold' };
  if (bytes.length === 0) return null;
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: 'the report channel carried something that is not JSON' };
  }
  const parsed = harnessReportSchema.safeParse(document);
  return parsed.success ? { report: parsed.data } : { problem: `the report is malformed: ${parsed.error.message}` };
}

function decide(job: ExecuteJob, attempt: Attempt, parsed: ParsedReport): Outcome {
  if (parsed !== null && 'report' in parsed) return fromReport(job, parsed.report);
  if (attempt.stoppedBy === 'timeout') {
    return failure('timeout', {
      type: 'Timeout',
      message: `the code ran longer than ${job.timeout_seconds} s (wall clock) and was stopped`,
      traceback: '',
      traceback_lines: [],
    });
  }
  const stderrTail = attempt.output.text('stderr').slice(-stderrTailChars);
  if (parsed === null && attempt.lostLeader) return kernelLost(job, attempt, stderrTail);
  if (parsed !== null) return failure('runtime_error', plainError('InvalidReport', parsed.problem, stderrTail));
  return failure('runtime_error', processEndError(attempt.exit, stderrTail));
}

function fromReport(job: ExecuteJob, report: HarnessReport): Outcome {
  const figures = executionFigures(job.folder, report.figures);
  return {
    status: report.status,
    results: report.status === 'succeeded' ? report.results : null,
    error: report.error ? { type: report.error.type, message: report.error.message, traceback: report.error.traceback } : undefined,
    figures,
    tracebackLines: report.error?.traceback_lines ?? [],
  };
}

function failure(status: ExecuteResult['status'], error: HarnessError): Outcome {
  return {
    status,
    results: null,
    error: { type: error.type, message: error.message, traceback: error.traceback },
    figures: [],
    tracebackLines: error.traceback_lines,
  };
}

/**
 * The fork server died under the code (killed, or out of memory): the kernel
 * failed, not the code. A read can run again (infrastructure: retried); a
 * job that may write and whose code may have begun is `lost`, never re-run.
 */
function kernelLost(job: ExecuteJob, attempt: Attempt, stderrTail: string): Outcome {
  const mayHaveWritten = job.allows_writes && attempt.mayHaveRun;
  const message = mayHaveWritten
    ? 'the fork server died while the code ran; whether its writes happened is unknown'
    : 'the fork server died while the code ran';
  return failure(mayHaveWritten ? 'lost' : 'infrastructure', plainError('KernelLost', message, stderrTail));
}

function processEndError(exit: ProcessExit | null, stderrTail: string): HarnessError {
  const before = 'before reporting its results';
  if (exit?.signal) {
    const meaning = describeSignal(exit.signal);
    return plainError('ProcessCrashed', `the Python process was ended by ${meaning} ${before}`, stderrTail);
  }
  if (exit !== null && exit.code !== null) {
    return plainError('ProcessExited', `the Python process exited with status ${exit.code} ${before}`, stderrTail);
  }
  return plainError('ProcessExited', `the Python process ended ${before} (its exit status was lost)`, stderrTail);
}

function plainError(type: string, message: string, traceback: string): HarnessError {
  return { type, message, traceback, traceback_lines: traceback ? traceback.split('\n') : [] };
}
