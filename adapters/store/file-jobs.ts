/**
 * File work off the event loop: jobs of small file operations run by one
 * worker thread per process (file-worker.js) with synchronous system calls.
 * An execution's transitions write a dozen small files and audit lines; as
 * asynchronous fs calls each cost the event loop a thread-pool trip and a
 * promise, which made file work the largest share of orchestration CPU.
 *
 * The steps of one job run in order and stop at the first failure (the
 * job's promise rejects with an Error carrying the system `code`, as fs
 * would). Jobs submitted within one turn of the event loop travel to the
 * worker in one message, and while the worker is busy with one message the
 * next gathers every job submitted meanwhile: under load, fewer and larger
 * messages. The worker keeps the process alive only while jobs
 * are pending, and is started again after a crash.
 */
import { Worker } from 'node:worker_threads';

export type FileStep =
  | { op: 'mkdir'; path: string; recursive: boolean }
  | { op: 'realpath'; path: string }
  | { op: 'expectRealpath'; path: string; real: string }
  | { op: 'read'; path: string }
  | { op: 'write'; path: string; data: string; exclusive: boolean }
  | { op: 'rename'; from: string; to: string }
  | { op: 'remove'; path: string }
  | { op: 'writeAtomic'; path: string; data: string; durable: boolean }
  | { op: 'appendAt'; path: string; data: string; size: number };

/** What each step returns (null: nothing). */
interface StepResults {
  mkdir: null;
  realpath: string;
  expectRealpath: null;
  read: string;
  write: null;
  rename: null;
  remove: null;
  writeAtomic: null;
  appendAt: { appended: boolean; size: number };
}

type ResultsOf<Steps extends readonly FileStep[]> = { [Index in keyof Steps]: StepResults[Steps[Index]['op']] };

interface JobReply {
  id: number;
  results?: unknown[];
  error?: { message: string; code?: string };
}

interface PendingJob {
  resolve(results: unknown[]): void;
  reject(error: Error): void;
}

class FileWorker {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, PendingJob>();
  private outgoing: Array<{ id: number; steps: readonly FileStep[] }> = [];

  /** Whether a message of jobs is with the worker: the jobs submitted meanwhile wait and go together. */
  private busy = false;

  run(steps: readonly FileStep[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      if (this.outgoing.length === 0 && !this.busy) setImmediate(() => this.send());
      this.outgoing.push({ id, steps });
    });
  }

  private send(): void {
    if (this.outgoing.length === 0) return;
    const jobs = this.outgoing;
    this.outgoing = [];
    this.busy = true;
    const worker = this.started();
    worker.ref();
    worker.postMessage(jobs);
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    // No inherited --import/--require: the worker is plain JavaScript and needs no loader.
    const worker = new Worker(new URL('./file-worker.js', import.meta.url), { execArgv: [] });
    worker.on('message', (replies: JobReply[]) => this.settle(replies));
    worker.on('error', (error) => this.failAll(worker, error));
    worker.on('exit', (code) => this.failAll(worker, new Error(`file worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(replies: JobReply[]): void {
    for (const reply of replies) {
      const job = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error) job?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else job?.resolve(reply.results ?? []);
    }
    this.busy = false;
    this.send();
    if (this.pending.size === 0) this.worker?.unref();
  }

  /** A dead worker takes its jobs with it: they fail, and the next job starts a new worker. */
  private failAll(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.busy = false;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
    this.outgoing = [];
  }
}

const fileWorker = new FileWorker();

/** Runs the steps in order on the file worker; rejects with the first failure. */
export async function runFileJob<const Steps extends readonly FileStep[]>(steps: Steps): Promise<ResultsOf<Steps>> {
  // The worker answers each step with its StepResults entry (file-worker.js).
  return (await fileWorker.run(steps)) as unknown as ResultsOf<Steps>;
}
