/**
 * Durable work queues: each job goes to one consumer, is acknowledged when
 * done, redelivered after `ackWaitMs` without an ack (or at once on nak),
 * at most `maxDeliver` times. Enqueueing twice with one job id within the
 * dedup window stores it once. In-process (memory) and JetStream work-queue
 * streams with durable pull consumers.
 */
import type { MessageHeaders, PublishOptions } from './bus.ts';

export interface QueueOptions {
  /** Time a consumer has to ack (or signal progress) before redelivery. */
  ackWaitMs: number;
  /** Deliveries at most; after the last one the job is dropped. */
  maxDeliver: number;
  /** Window in which a repeated job id is ignored. */
  dedupWindowMs: number;
}

export const defaultQueueOptions: QueueOptions = {
  ackWaitMs: 30_000,
  maxDeliver: 5,
  dedupWindowMs: 120_000,
};

export interface Job {
  /** The subject it was enqueued on (a queue name, possibly with a suffix token). */
  subject: string;
  id: string;
  payload: unknown;
  /** 1 on first delivery. */
  deliveryCount: number;
  /** Headers given at enqueue (W3C trace context travels here). */
  headers?: MessageHeaders;
  ack(): Promise<void>;
  /** Give it back for redelivery, after `delayMs`. */
  nak(delayMs?: number): Promise<void>;
  /** Still working: restarts the ack-wait clock. */
  inProgress(): Promise<void>;
  /** Drop it for good (no redelivery). */
  term(): Promise<void>;
}

export type JobHandler = (job: Job) => Promise<void>;

export interface ConsumeOptions {
  /** Jobs handled at once by this consumer. */
  concurrency: number;
  /** Durable consumer name: consumers with one name share the jobs. */
  durable: string;
}

export interface Consumer {
  stop(): Promise<void>;
}

export interface EnqueueReceipt {
  duplicate: boolean;
}

export interface WorkQueue {
  /**
   * Declares a queue on `subject` (also catching `subject.>`); idempotent.
   * Must be called before enqueue or consume on that subject.
   */
  declare(subject: string, options?: Partial<QueueOptions>): Promise<void>;
  enqueue(subject: string, jobId: string, payload: unknown, options?: PublishOptions): Promise<EnqueueReceipt>;
  consume(subject: string, handler: JobHandler, options: ConsumeOptions): Promise<Consumer>;
  close(): Promise<void>;
}
