/**
 * In-process work queues with JetStream work-queue semantics: dedup by job
 * id within a window, one consumer per job, ack / nak / in-progress / term,
 * redelivery after ack-wait, at most max-deliver deliveries.
 */
import type { MessageHeaders, PublishOptions } from '../bus.ts';
import type { ConsumeOptions, Consumer, EnqueueReceipt, Job, JobHandler, QueueOptions, WorkQueue } from '../work-queue.ts';
import { defaultQueueOptions } from '../work-queue.ts';
import { fromWire, toWire } from '../json-wire.ts';
import { queueCatches } from '../subject-match.ts';

interface QueuedJob {
  subject: string;
  id: string;
  wire: string;
  headers?: MessageHeaders;
  deliveries: number;
  /** Not delivered before this time (nak with delay). */
  notBefore: number;
}

interface ActiveConsumer {
  handler: JobHandler;
  concurrency: number;
  running: number;
  stopped: boolean;
}

class Queue {
  readonly waiting: QueuedJob[] = [];
  readonly consumers: ActiveConsumer[] = [];
  readonly seen = new Map<string, number>();
  private pumpTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly subject: string,
    readonly options: QueueOptions,
  ) {}

  enqueue(subject: string, id: string, wire: string, headers?: MessageHeaders): EnqueueReceipt {
    const now = Date.now();
    this.forgetOldIds(now);
    if (this.seen.has(id)) return { duplicate: true };
    this.seen.set(id, now);
    this.waiting.push({ subject, id, wire, headers, deliveries: 0, notBefore: 0 });
    this.pump();
    return { duplicate: false };
  }

  /** Hands waiting jobs to consumers with free capacity. */
  pump(): void {
    const now = Date.now();
    for (const consumer of this.consumers) {
      while (!consumer.stopped && consumer.running < consumer.concurrency) {
        const index = this.waiting.findIndex((job) => job.notBefore <= now);
        if (index < 0) break;
        const [job] = this.waiting.splice(index, 1);
        if (job) this.dispatch(consumer, job);
      }
    }
    this.schedulePumpForDelayed(now);
  }

  close(): void {
    clearTimeout(this.pumpTimer);
    for (const consumer of this.consumers) consumer.stopped = true;
  }

  private dispatch(consumer: ActiveConsumer, job: QueuedJob): void {
    job.deliveries += 1;
    consumer.running += 1;
    let settled = false;
    let ackTimer: NodeJS.Timeout | undefined;
    const settle = (requeueAfterMs: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(ackTimer);
      consumer.running -= 1;
      if (requeueAfterMs !== null && job.deliveries < this.options.maxDeliver && !consumer.stopped) {
        job.notBefore = Date.now() + requeueAfterMs;
        this.waiting.push(job);
      }
      setImmediate(() => this.pump());
    };
    const armAckWait = () => {
      clearTimeout(ackTimer);
      ackTimer = setTimeout(() => settle(0), this.options.ackWaitMs);
      ackTimer.unref();
    };
    armAckWait();
    const delivered: Job = {
      subject: job.subject,
      id: job.id,
      payload: fromWire(job.wire),
      deliveryCount: job.deliveries,
      headers: job.headers,
      ack: async () => settle(null),
      nak: async (delayMs = 0) => settle(delayMs),
      inProgress: async () => {
        if (!settled) armAckWait();
      },
      term: async () => settle(null),
    };
    // A handler that throws has not acked: the job waits for redelivery after ack-wait.
    Promise.resolve()
      .then(() => consumer.handler(delivered))
      .catch(() => {});
  }

  private schedulePumpForDelayed(now: number): void {
    const next = Math.min(...this.waiting.map((job) => job.notBefore));
    if (!Number.isFinite(next) || next <= now) return;
    clearTimeout(this.pumpTimer);
    this.pumpTimer = setTimeout(() => this.pump(), next - now);
    this.pumpTimer.unref();
  }

  private forgetOldIds(now: number): void {
    for (const [id, at] of this.seen) {
      if (now - at <= this.options.dedupWindowMs) break;
      this.seen.delete(id);
    }
  }
}

export class MemoryWorkQueue implements WorkQueue {
  private readonly queues = new Map<string, Queue>();

  async declare(subject: string, options: Partial<QueueOptions> = {}): Promise<void> {
    if (this.queues.has(subject)) return;
    this.queues.set(subject, new Queue(subject, { ...defaultQueueOptions, ...options }));
  }

  async enqueue(subject: string, jobId: string, payload: unknown, options: PublishOptions = {}): Promise<EnqueueReceipt> {
    return this.queueFor(subject).enqueue(subject, jobId, toWire(payload), options.headers);
  }

  async consume(subject: string, handler: JobHandler, options: ConsumeOptions): Promise<Consumer> {
    const queue = this.queueFor(subject);
    const consumer: ActiveConsumer = { handler, concurrency: options.concurrency, running: 0, stopped: false };
    queue.consumers.push(consumer);
    queue.pump();
    return {
      stop: async () => {
        consumer.stopped = true;
        queue.consumers.splice(queue.consumers.indexOf(consumer), 1);
      },
    };
  }

  async close(): Promise<void> {
    for (const queue of this.queues.values()) queue.close();
  }

  private queueFor(subject: string): Queue {
    for (const queue of this.queues.values()) {
      if (queueCatches(queue.subject, subject)) return queue;
    }
    throw new Error(`no work queue declared for ${subject}`);
  }
}
