/** Work-queue settings of the service's durable queues. */
import type { QueueOptions } from '../bus/work-queue.ts';

export const queueOptions = {
  /** Requests, decisions, cancellations: handled in milliseconds. */
  control: { ackWaitMs: 30_000, maxDeliver: 10, dedupWindowMs: 120_000 },
  /** Execution jobs: the executor signals progress every few seconds while a job runs. */
  execution: { ackWaitMs: 30_000, maxDeliver: 5, dedupWindowMs: 120_000 },
} satisfies Record<string, QueueOptions>;

/** How often an executor signals progress: well inside the ack-wait. */
export const executionHeartbeatMs = queueOptions.execution.ackWaitMs / 6;
