/**
 * Work-queue settings of the service's durable queues (bus/work-queue.ts
 * QueueOptions). Protocol: whoever declares a queue to publish on it — the
 * service, the client with a request, decision or cancel — declares it with
 * these same settings.
 */
export const queueOptions = {
  /**
   * Requests, decisions, cancellations: handled in milliseconds. A decision
   * for an execution hosted elsewhere is handed back with a growing delay
   * (SupervisorInbox.forOtherOwner): 20 deliveries outlast a takeover.
   */
  control: { ackWaitMs: 30_000, maxDeliver: 20, dedupWindowMs: 120_000 },
  /** Execution jobs: the executor signals progress every few seconds while a job runs. */
  execution: { ackWaitMs: 30_000, maxDeliver: 5, dedupWindowMs: 120_000 },
} as const;

/** How often an executor signals progress: well inside the ack-wait. */
export const executionHeartbeatMs = queueOptions.execution.ackWaitMs / 6;
