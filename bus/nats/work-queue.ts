/**
 * Work queues on JetStream: one work-queue-retention stream per declared
 * subject (capturing `subject` and `subject.>`), deduplicated by job id
 * (the Nats-Msg-Id header, within the stream's duplicate window), and one
 * durable pull consumer per consumer name with explicit acks, ack-wait and
 * max-deliver. Each consumer runs `concurrency` pull loops; a loop asks for
 * the next job only once its previous job is settled, so no more than
 * `concurrency` jobs are ever held by one process (the rest stay in the
 * stream for other executors).
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type Consumer as NatsConsumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../logging/logger.ts';
import type { PublishOptions } from '../bus.ts';
import type { ConsumeOptions, Consumer, EnqueueReceipt, Job, JobHandler, QueueOptions, WorkQueue } from '../work-queue.ts';
import { defaultQueueOptions } from '../work-queue.ts';
import { queueCatches } from '../subject-match.ts';
import { decodePayload, encodePayload, fromNatsHeaders, toNatsHeaders } from './payload.ts';
import { isUnavailable } from './unavailable.ts';

export interface NatsWorkQueueOptions {
  /** Copies of each queue stream in a JetStream cluster (1, 3 or 5). */
  replicas: number;
  /** How long enqueue keeps retrying while the server is unreachable. */
  enqueueRetryMs: number;
  logger?: Logger;
}

interface DeclaredQueue {
  subject: string;
  stream: string;
  options: QueueOptions;
}

interface RunningConsumer {
  stopped: boolean;
  /** The pull request each loop is waiting on, cancelled by stop(). */
  pulls: Set<ConsumerMessages>;
}

/** Long enough to keep idle pulls cheap, short enough to notice a stop or a lost server soon. */
const pullExpiresMs = 5_000;
const retryPauseMs = 250;
const publishTimeoutMs = 5_000;

/** Stream names allow no dots or wildcards; the subject check in `declare` catches the rare collision. */
export function streamNameFor(subject: string): string {
  return subject.replace(/[^A-Za-z0-9_-]/g, '_');
}

export class NatsWorkQueue implements WorkQueue {
  private readonly queues = new Map<string, DeclaredQueue>();
  private readonly consumers = new Set<RunningConsumer>();

  private constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsWorkQueueOptions,
  ) {}

  static async open(connection: NatsConnection, options: NatsWorkQueueOptions): Promise<NatsWorkQueue> {
    return new NatsWorkQueue(connection, jetstream(connection), await jetstreamManager(connection), options);
  }

  async declare(subject: string, options: Partial<QueueOptions> = {}): Promise<void> {
    if (this.queues.has(subject)) return;
    const queue: DeclaredQueue = { subject, stream: streamNameFor(subject), options: { ...defaultQueueOptions, ...options } };
    await this.ensureStream(queue);
    this.queues.set(subject, queue);
  }

  async enqueue(subject: string, jobId: string, payload: unknown, options: PublishOptions = {}): Promise<EnqueueReceipt> {
    this.queueFor(subject); // as in-process: enqueueing on an undeclared queue is a programming error
    const data = encodePayload(payload);
    // Retrying is safe: the job id makes a second copy a server-side duplicate.
    const started = Date.now();
    for (;;) {
      try {
        const ack = await this.js.publish(subject, data, { msgID: jobId, timeout: publishTimeoutMs, headers: toNatsHeaders(options.headers) });
        return { duplicate: ack.duplicate };
      } catch (error) {
        if (!isUnavailable(error) || Date.now() - started > this.options.enqueueRetryMs) throw error;
        this.options.logger?.warn({ subject, jobId, error: String(error) }, 'enqueue failed, retrying');
        await sleep(retryPauseMs);
      }
    }
  }

  async consume(subject: string, handler: JobHandler, options: ConsumeOptions): Promise<Consumer> {
    const queue = this.queueFor(subject);
    const natsConsumer = await this.ensureConsumer(queue, options.durable);
    const running: RunningConsumer = { stopped: false, pulls: new Set() };
    this.consumers.add(running);
    for (let i = 0; i < options.concurrency; i++) void this.pullLoop(natsConsumer, queue, handler, running);
    return { stop: async () => this.stopConsumer(running) };
  }

  async close(): Promise<void> {
    for (const running of this.consumers) this.stopConsumer(running);
  }

  private stopConsumer(running: RunningConsumer): void {
    running.stopped = true;
    for (const pull of running.pulls) pull.stop();
    this.consumers.delete(running);
  }

  private async ensureStream(queue: DeclaredQueue): Promise<void> {
    const config: Partial<StreamConfig> & { name: string } = {
      name: queue.stream,
      subjects: [queue.subject, `${queue.subject}.>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: this.options.replicas,
      duplicate_window: nanos(queue.options.dedupWindowMs),
    };
    const existing = await this.jsm.streams.info(queue.stream).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
      throw error;
    });
    if (!existing) {
      await this.jsm.streams.add(config);
      return;
    }
    const captured = [...existing.config.subjects].sort().join(', ');
    if (captured !== [...(config.subjects ?? [])].sort().join(', ')) {
      throw new Error(`stream ${queue.stream} already captures ${captured}; it cannot be the queue of ${queue.subject}`);
    }
    if (existing.config.duplicate_window !== config.duplicate_window) {
      await this.jsm.streams.update(queue.stream, { duplicate_window: config.duplicate_window });
    }
  }

  /** Creates the durable consumer, or brings an existing one to this queue's ack-wait and max-deliver. */
  private async ensureConsumer(queue: DeclaredQueue, durable: string): Promise<NatsConsumer> {
    const limits = { ack_wait: nanos(queue.options.ackWaitMs), max_deliver: queue.options.maxDeliver };
    try {
      await this.jsm.consumers.add(queue.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...limits,
      });
    } catch (error) {
      if (!(error instanceof JetStreamApiError)) throw error;
      const info = await this.jsm.consumers.info(queue.stream, durable).catch(() => {
        throw new Error(`cannot create consumer ${durable} on queue ${queue.subject}: ${error.message}`, { cause: error });
      });
      if (info.config.ack_wait !== limits.ack_wait || info.config.max_deliver !== limits.max_deliver) {
        await this.jsm.consumers.update(queue.stream, durable, limits);
      }
    }
    return this.js.consumers.get(queue.stream, durable);
  }

  /** One slot of a consumer: pull one job, run it until it is settled, repeat. */
  private async pullLoop(consumer: NatsConsumer, queue: DeclaredQueue, handler: JobHandler, running: RunningConsumer): Promise<void> {
    while (!running.stopped && !this.connection.isClosed()) {
      let pull: ConsumerMessages | undefined;
      try {
        pull = await consumer.fetch({ max_messages: 1, expires: pullExpiresMs });
        running.pulls.add(pull);
        for await (const msg of pull) {
          // A job that arrives as the consumer stops goes straight back to the queue.
          if (running.stopped) msg.nak();
          else await this.runJob(msg, queue, handler);
        }
      } catch (error) {
        if (running.stopped || this.connection.isClosed()) return;
        this.options.logger?.warn({ queue: queue.subject, error: String(error) }, 'pulling a job failed, retrying');
        await sleep(retryPauseMs);
      } finally {
        if (pull) running.pulls.delete(pull);
      }
    }
  }

  /**
   * Hands the job to the handler and holds the slot until the job is acked,
   * nak'ed or terminated, or until ack-wait passes without a progress signal
   * (the server then redelivers it).
   */
  private runJob(msg: JsMsg, queue: DeclaredQueue, handler: JobHandler): Promise<void> {
    return new Promise<void>((release) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        release();
      };
      const armAckWait = () => {
        clearTimeout(timer);
        timer = setTimeout(settle, queue.options.ackWaitMs);
      };
      const job: Job = {
        subject: msg.subject,
        id: msg.headers?.get('Nats-Msg-Id') || `${queue.stream}:${msg.seq}`,
        payload: decodePayload(msg.string()),
        deliveryCount: msg.info.deliveryCount,
        headers: fromNatsHeaders(msg.headers),
        // A plain ack, not a confirmed one: should it be lost, the job comes
        // back, and every handler answers a repeated job from what it stored.
        ack: async () => {
          msg.ack();
          settle();
        },
        nak: async (delayMs) => {
          msg.nak(delayMs);
          settle();
        },
        inProgress: async () => {
          msg.working();
          if (!settled) armAckWait();
        },
        term: async () => {
          msg.term();
          settle();
        },
      };
      armAckWait();
      Promise.resolve()
        .then(() => handler(job))
        // A handler that throws has not acked: the job comes back after ack-wait.
        .catch((error: unknown) => this.options.logger?.error({ queue: queue.subject, job: job.id, error: String(error) }, 'job handler failed'));
    });
  }

  private queueFor(subject: string): DeclaredQueue {
    for (const queue of this.queues.values()) {
      if (queueCatches(queue.subject, subject)) return queue;
    }
    throw new Error(`no work queue declared for ${subject}`);
  }
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
