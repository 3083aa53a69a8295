/**
 * The executor actor: a consumer of the execution-job queue of each mode it
 * serves, `concurrency` jobs at once. One job is one execution attempt.
 *
 * Delivery rules (DESIGN.md): read-only jobs are at-least-once — a
 * redelivered job runs again. Write jobs are at-most-once — the executor
 * claims the job in KV before running it; a redelivered write job that finds
 * a claim and no result is reported `lost` (the execution ends `unknown`) and
 * is never run again. Results go to KV first (a supervisor that restarts
 * finds them there), then to the execution's result subject.
 *
 * Cancels (job-stop.ts): a job fenced by a cancel marker in its claim key is
 * never started; a running one is aborted when pyexec.jobs.cancel.<id> names
 * it — the kernel kills every process of the execution and says whether the
 * code had started, and that `cancelled` result is stored and published like
 * any other.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeZodError } from '../protocol/zod-error.ts';
import { executeJobSchema, executeResultSchema, jobCancelSchema, type ExecuteJob, type ExecuteResult } from '../protocol/internal.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import { durableConsumers, subjects } from '../protocol/subjects.ts';
import { CasConflictError } from '../bus/kv-store.ts';
import type { Transport } from '../bus/transport.ts';
import type { Consumer, Job } from '../bus/work-queue.ts';
import { KernelUnavailableError, type Kernel } from '../adapters/kernels/kernel.ts';
import type { Logger } from '../logging/logger.ts';
import type { FolderFile, FolderFiles } from '../adapters/recorder/recorder.ts';
import { isCancelMarker } from './job-stop.ts';
import { parseMessage, refuseMessage } from './message-intake.ts';
import { whileUnavailable } from '../bus/store-retry.ts';

/** What of stdout/stderr travels on the bus; the whole text stays in the folder. */
const wireTextCap = 64 * 1024;

export interface ExecutorOptions {
  transport: Transport;
  modes: readonly string[];
  kernelFor: (mode: string) => Kernel;
  concurrency: number;
  /** Interval of in-progress signals; well under the queue's ack-wait. */
  heartbeatMs: number;
  logger: Logger;
  /** Where outputs and long streams are kept, beside the execution's notebooks (the bus carries their paths). */
  folderFiles: FolderFiles;
  name?: string;
}

export async function startExecutorActor(options: ExecutorOptions): Promise<{ stop: () => Promise<void> }> {
  const name = options.name ?? `executor@${hostname()}:${process.pid}`;
  const consumers: Consumer[] = [];
  const inHand = new Set<Promise<void>>();
  // Jobs running here by command id: a second delivery of one of them (a
  // redelivery after a server restart, a command re-issued after a reconnect)
  // waits for the first and then finds its stored result instead of running it again.
  const running = new Map<string, Promise<void>>();
  // Aborts of the jobs in hand, by command id: registered before a job looks for a cancel marker.
  const aborts = new Map<string, AbortController>();
  const cancels = options.transport.bus.subscribe(subjects.allJobCancels, (message) => {
    const cancel = jobCancelSchema.safeParse(message.data);
    if (!cancel.success) return void refuseMessage(options.transport.bus, message.subject, message.data, describeZodError(cancel.error));
    const abort = aborts.get(cancel.data.command_id);
    if (!abort) return;
    options.logger.info({ commandId: cancel.data.command_id, by: cancel.data.by }, 'cancel: stopping the job');
    abort.abort(new Error(`cancelled by ${cancel.data.by}: ${cancel.data.reason}`));
  });
  const handle = (job: Job): Promise<void> => {
    const commandId = commandIdOf(job);
    const before = commandId === null ? undefined : running.get(commandId);
    const handled = (before ?? Promise.resolve())
      .catch(() => {})
      .then(() => handleJob(options, name, job, aborts))
      .finally(() => {
        inHand.delete(handled);
        if (commandId !== null && running.get(commandId) === handled) running.delete(commandId);
      });
    inHand.add(handled);
    if (commandId !== null) running.set(commandId, handled);
    return handled;
  };
  for (const mode of options.modes) {
    consumers.push(
      await options.transport.queues.consume(subjects.executeJobs(mode), handle, {
        concurrency: options.concurrency,
        durable: durableConsumers.executors(mode),
      }),
    );
  }
  return {
    // No new jobs; the ones in hand run to their end and report (a write job cut short would end `unknown`).
    stop: async () => {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await Promise.allSettled([...inHand]);
      await cancels.unsubscribe();
    },
  };
}

async function handleJob(options: ExecutorOptions, name: string, delivery: Job, aborts: Map<string, AbortController>): Promise<void> {
  const { transport } = options;
  let job: ExecuteJob;
  try {
    job = parseMessage(executeJobSchema, delivery.subject, delivery.payload);
  } catch (error) {
    await refuseMessage(transport.bus, delivery.subject, delivery.payload, error);
    return delivery.term();
  }
  const abort = new AbortController();
  aborts.set(job.command_id, abort);
  try {
    await runJob(options, name, delivery, job, abort.signal);
  } finally {
    if (aborts.get(job.command_id) === abort) aborts.delete(job.command_id);
  }
}

async function runJob(options: ExecutorOptions, name: string, delivery: Job, job: ExecuteJob, signal: AbortSignal): Promise<void> {
  const { transport, logger } = options;
  // The store may be away for a moment (a server restart, a leader election): a
  // job is never given up for that, least of all the result of code that ran.
  const retried = <T>(call: () => Promise<T>) =>
    whileUnavailable(call, (error) => logger.warn({ commandId: job.command_id, err: error }, 'KV unavailable, retrying'));
  const heartbeat = setInterval(() => void delivery.inProgress().catch(() => {}), options.heartbeatMs);
  try {
    // A job whose result is stored already (a redelivery, or a command
    // re-issued after a reconnect whose first copy finished) is not run again.
    const known = await retried(() => storedResult(transport, job.command_id));
    if (known) return await finish(transport, delivery, known);
    if (job.allows_writes && !(await claim(transport, job, name, retried))) {
      const stored = await retried(() => storedResult(transport, job.command_id));
      if (stored) return await finish(transport, delivery, stored);
      const fenced = await retried(() => cancelledBeforeStart(transport, job));
      if (!fenced) logger.error({ commandId: job.command_id }, 'write job redelivered after a claim without result: reporting it lost');
      return await finish(transport, delivery, await retried(() => remember(transport, fenced ? cancelledResult(job, name, false) : lostResult(job, name))));
    }
    if (!job.allows_writes && (await retried(() => cancelledBeforeStart(transport, job)))) {
      return await finish(transport, delivery, await retried(() => remember(transport, cancelledResult(job, name, false))));
    }
    const result = await slimForWire(options.folderFiles, job, await runOnKernel(options, name, job, signal));
    await finish(transport, delivery, await retried(() => remember(transport, result)));
  } finally {
    clearInterval(heartbeat);
  }
}

type Retried = <T>(call: () => Promise<T>) => Promise<T>;

const commandIdSchema = executeJobSchema.pick({ command_id: true });

/** The job's command id, when its payload has one (an invalid job is refused in handleJob). */
function commandIdOf(job: Job): string | null {
  const parsed = commandIdSchema.safeParse(job.payload);
  return parsed.success ? parsed.data.command_id : null;
}

/** A cancel fenced the job before it was taken: its claim key holds the marker. */
async function cancelledBeforeStart(transport: Transport, job: ExecuteJob): Promise<boolean> {
  return isCancelMarker((await transport.kv.get(kvKeys.jobClaim(job.command_id)))?.value);
}

async function runOnKernel(options: ExecutorOptions, name: string, job: ExecuteJob, signal: AbortSignal): Promise<ExecuteResult> {
  try {
    return { ...(await options.kernelFor(job.mode).execute(job, signal)), executor: name };
  } catch (error) {
    // A kernel that failed on an abort without saying how far the code got: it may have started.
    if (signal.aborted) return cancelledResult(job, name, true);
    const unavailable = error instanceof KernelUnavailableError;
    options.logger.error({ commandId: job.command_id, err: error }, 'kernel failed');
    // Only KernelUnavailableError says the code never began (the kernels' contract); `infrastructure`
    // is retried as a new attempt, so any other failure of a write job, which may come after the
    // code started, is `lost`: the execution ends unknown and the write is never made twice.
    if (!unavailable && job.allows_writes) {
      return { ...emptyResult(job, name), status: 'lost', error: { type: 'KernelError', message: `the kernel failed after the write job may have started: ${(error as Error).message}; it is not re-run` } };
    }
    return {
      ...emptyResult(job, name),
      status: 'infrastructure',
      error: { type: unavailable ? 'KernelUnavailable' : 'KernelError', message: (error as Error).message },
    };
  }
}

/**
 * Claims a write job: true when this delivery made the claim. A claim whose
 * create timed out but landed is recognised by its token, so a retry does
 * not mistake it for another executor's.
 */
async function claim(transport: Transport, job: ExecuteJob, name: string, retried: Retried): Promise<boolean> {
  const key = kvKeys.jobClaim(job.command_id);
  const mine = { executor: name, token: randomUUID(), at: new Date().toISOString() };
  try {
    await retried(() => transport.kv.create(key, mine));
    return true;
  } catch (error) {
    if (!(error instanceof CasConflictError)) throw error;
    const stored = await retried(() => transport.kv.get(key));
    const value = stored?.value;
    return typeof value === 'object' && value !== null && (value as { token?: unknown }).token === mine.token;
  }
}

async function storedResult(transport: Transport, commandId: string): Promise<ExecuteResult | null> {
  const entry = await transport.kv.get(kvKeys.jobResult(commandId));
  return entry ? executeResultSchema.parse(entry.value) : null;
}

/** Stores the result once; if another delivery stored one first, that one wins. */
async function remember(transport: Transport, result: ExecuteResult): Promise<ExecuteResult> {
  try {
    await transport.kv.create(kvKeys.jobResult(result.command_id), result);
    return result;
  } catch (error) {
    if (!(error instanceof CasConflictError)) throw error;
    return (await storedResult(transport, result.command_id)) ?? result;
  }
}

async function finish(transport: Transport, delivery: Job, result: ExecuteResult): Promise<void> {
  await transport.bus.publish(subjects.executeResult(result.execution_id), result);
  await delivery.ack();
}

/**
 * Keeps big payloads in the execution folder: notebook outputs and the full
 * streams. A result without outputs or long streams travels as it is (no
 * file to write here and to read back for every notebook).
 */
async function slimForWire(folderFiles: FolderFiles, job: ExecuteJob, result: ExecuteResult): Promise<ExecuteResult> {
  const longStreams = result.stdout.length > wireTextCap || result.stderr.length > wireTextCap;
  if (result.outputs.length === 0 && !longStreams) return result;
  const folder = join(job.folder, 'attempts');
  const base = `${String(job.attempt).padStart(2, '0')}_${job.command_id.split(':').pop() ?? '0'}`;
  const outputsFile = join(folder, `${base}_outputs.json`);
  const streams: FolderFile[] = longStreams
    ? [
        { path: join(folder, `${base}_stdout.txt`), data: result.stdout },
        { path: join(folder, `${base}_stderr.txt`), data: result.stderr },
      ]
    : [];
  await folderFiles(folder, [{ path: outputsFile, data: JSON.stringify(result.outputs) }, ...streams]);
  const cut = (text: string) => (text.length > wireTextCap ? `${text.slice(0, wireTextCap)}\n[... cut on the bus; full text in the execution folder]` : text);
  return { ...result, outputs: [], outputs_file: outputsFile, stdout: cut(result.stdout), stderr: cut(result.stderr) };
}

function emptyResult(job: ExecuteJob, executor: string): ExecuteResult {
  return {
    command_id: job.command_id,
    execution_id: job.execution_id,
    status: 'succeeded',
    results: null,
    stdout: '',
    stderr: '',
    output_truncated: false,
    figures: [],
    outputs: [],
    duration_ms: 0,
    executor,
  };
}

function cancelledResult(job: ExecuteJob, executor: string, codeStarted: boolean): ExecuteResult {
  const message = codeStarted ? 'the job was stopped on a cancel after its code had started' : 'the job was cancelled before its code started';
  return { ...emptyResult(job, executor), status: 'cancelled', code_started: codeStarted, error: { type: 'Cancelled', message } };
}

function lostResult(job: ExecuteJob, executor: string): ExecuteResult {
  return {
    ...emptyResult(job, executor),
    status: 'lost',
    error: { type: 'ExecutorLost', message: 'a write job was claimed by an executor that never reported a result; it is not re-run' },
  };
}
