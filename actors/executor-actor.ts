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
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { executeJobSchema, executeResultSchema, type ExecuteJob, type ExecuteResult } from '../bus/messages.ts';
import { kvKeys, subjects } from '../bus/subjects.ts';
import { CasConflictError } from '../bus/kv-store.ts';
import type { Transport } from '../bus/transport.ts';
import type { Consumer, Job } from '../bus/work-queue.ts';
import { KernelUnavailableError, type Kernel } from '../adapters/kernels/kernel.ts';
import type { Logger } from '../adapters/logger.ts';
import { runFileJob, type FileStep } from '../adapters/store/file-jobs.ts';
import { parseMessage, publishProtocolError } from './protocol.ts';
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
  const handle = (job: Job): Promise<void> => {
    const commandId = commandIdOf(job);
    const before = commandId === null ? undefined : running.get(commandId);
    const handled = (before ?? Promise.resolve())
      .catch(() => {})
      .then(() => handleJob(options, name, job))
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
        durable: `pyexec-executors-${mode}`,
      }),
    );
  }
  return {
    // No new jobs; the ones in hand run to their end and report (a write job cut short would end `unknown`).
    stop: async () => {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await Promise.allSettled([...inHand]);
    },
  };
}

async function handleJob(options: ExecutorOptions, name: string, delivery: Job): Promise<void> {
  const { transport, logger } = options;
  let job: ExecuteJob;
  try {
    job = parseMessage(executeJobSchema, delivery.subject, delivery.payload);
  } catch (error) {
    await publishProtocolError(transport.bus, delivery.subject, (error as Error).message);
    return delivery.term();
  }
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
      logger.error({ commandId: job.command_id }, 'write job redelivered after a claim without result: reporting it lost');
      return await finish(transport, delivery, await retried(() => remember(transport, lostResult(job, name))));
    }
    const result = await slimForWire(job, await runOnKernel(options, name, job));
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

async function runOnKernel(options: ExecutorOptions, name: string, job: ExecuteJob): Promise<ExecuteResult> {
  try {
    return { ...(await options.kernelFor(job.mode).execute(job)), executor: name };
  } catch (error) {
    const unavailable = error instanceof KernelUnavailableError;
    options.logger.error({ commandId: job.command_id, err: error }, 'kernel failed');
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
async function slimForWire(job: ExecuteJob, result: ExecuteResult): Promise<ExecuteResult> {
  const longStreams = result.stdout.length > wireTextCap || result.stderr.length > wireTextCap;
  if (result.outputs.length === 0 && !longStreams) return result;
  const folder = join(job.folder, 'attempts');
  const base = `${String(job.attempt).padStart(2, '0')}_${job.command_id.split(':').pop() ?? '0'}`;
  const outputsFile = join(folder, `${base}_outputs.json`);
  const streams: FileStep[] = longStreams
    ? [
        { op: 'write', path: join(folder, `${base}_stdout.txt`), data: result.stdout, exclusive: false },
        { op: 'write', path: join(folder, `${base}_stderr.txt`), data: result.stderr, exclusive: false },
      ]
    : [];
  await runFileJob([
    { op: 'mkdir', path: folder, recursive: true },
    { op: 'write', path: outputsFile, data: JSON.stringify(result.outputs), exclusive: false },
    ...streams,
  ]);
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

function lostResult(job: ExecuteJob, executor: string): ExecuteResult {
  return {
    ...emptyResult(job, executor),
    status: 'lost',
    error: { type: 'ExecutorLost', message: 'a write job was claimed by an executor that never reported a result; it is not re-run' },
  };
}
