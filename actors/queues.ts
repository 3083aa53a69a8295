/** Work-queue settings of the service's durable queues. */
import type { QueueOptions } from '../bus/work-queue.ts';

export const queueOptions = {
  /**
   * Requests, decisions, cancellations: handled in milliseconds. A decision
   * for an execution hosted elsewhere is handed back with a growing delay
   * (Supervisor.forOtherOwner): 20 deliveries outlast a takeover.
   */
  control: { ackWaitMs: 30_000, maxDeliver: 20, dedupWindowMs: 120_000 },
  /** Execution jobs: the executor signals progress every few seconds while a job runs. */
  execution: { ackWaitMs: 30_000, maxDeliver: 5, dedupWindowMs: 120_000 },
} satisfies Record<string, QueueOptions>;

/** How often an executor signals progress: well inside the ack-wait. */
export const executionHeartbeatMs = queueOptions.execution.ackWaitMs / 6;
