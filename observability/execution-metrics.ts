/**
 * Execution metrics read off the state events the supervisor publishes, as
 * they leave this process (instrumented-transport.ts), so the statechart and
 * the supervisor carry no metrics code. Only the owner of an execution
 * publishes its state events: summed over supervisor replicas in Prometheus,
 * every execution is counted once.
 */
import { z } from 'zod';
import { executionSummarySchema, stateNameSchema, type StateName } from '../protocol/public.ts';
import type { PyexecMetrics } from './metrics.ts';

/**
 * The fields of a published event that the metrics and state spans read,
 * checked on every state event this process publishes: the event is its
 * own and valid already, and checking every field of it (the summary's
 * error chain, timestamps) cost a few microseconds each time.
 */
export const observedEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('state'),
    execution_id: z.string(),
    state: stateNameSchema,
    attempt: z.number(),
    summary: executionSummarySchema.pick({ outcome: true, execution_mode: true }).optional(),
  }),
  z.object({ kind: z.literal('decision_refused'), reason: z.string() }),
]);
export type ObservedEvent = z.infer<typeof observedEventSchema>;

/** Whether this process hosts an execution (the supervisor's `hosts`). */
export type HostsExecution = (executionId: string) => boolean;

interface Tracked {
  state: StateName;
  enteredAt: number;
}

/** Refusal reasons are free text; their families are a bounded label. */
const refusalFamilies: ReadonlyArray<[RegExp, string]> = [
  [/sign/i, 'signature'],
  [/code|sha256|hash/i, 'code_mismatch'],
  [/deadline|expired|late/i, 'deadline'],
  [/finished|done/i, 'finished'],
  [/approval id|stale|replay|already (decided|counted)|not (pending|waiting)/i, 'not_pending'],
  [/subject/i, 'subject'],
  [/role|authori[sz]ed|permission/i, 'unauthorised'],
];

export function refusalFamily(reason: string): string {
  return refusalFamilies.find(([pattern]) => pattern.test(reason))?.[1] ?? 'other';
}

export class ExecutionMetrics {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly metrics: PyexecMetrics,
    private readonly hosts: HostsExecution,
  ) {
    metrics.onScrape(() => this.collectApprovals());
  }

  observe(event: ObservedEvent, nowMs: number): void {
    if (event.kind === 'decision_refused') {
      this.metrics.decisions.inc({ result: 'refused', reason: refusalFamily(event.reason) });
      return;
    }
    if (event.kind !== 'state') return;
    const previous = this.tracked.get(event.execution_id);
    if (previous?.state === event.state) return; // a repeated announcement, not a transition
    if (previous) this.metrics.stateSeconds.observe({ state: previous.state }, (nowMs - previous.enteredAt) / 1000);
    if (previous?.state === 'awaitingApproval') this.countDecision(event);
    this.metrics.transitions.inc({ state: event.state });
    if (event.state === 'done') {
      this.tracked.delete(event.execution_id);
      this.metrics.executionsFinished.inc({ outcome: event.summary?.outcome ?? 'unknown', mode: event.summary?.execution_mode ?? 'none' });
      return;
    }
    this.tracked.set(event.execution_id, { state: event.state, enteredAt: nowMs });
  }

  /** Leaving awaitingApproval: to executing means approved; to done, rejected or expired (told by the outcome). */
  private countDecision(event: Extract<ObservedEvent, { kind: 'state' }>): void {
    if (event.state === 'executing') this.metrics.decisions.inc({ result: 'counted', reason: 'approve' });
    else if (event.summary?.outcome === 'rejected') this.metrics.decisions.inc({ result: 'counted', reason: 'reject' });
  }

  private collectApprovals(): void {
    const now = Date.now();
    // An execution another supervisor took over never reaches done here: forget it.
    for (const executionId of this.tracked.keys()) if (!this.hosts(executionId)) this.tracked.delete(executionId);
    const waiting = [...this.tracked.values()].filter((entry) => entry.state === 'awaitingApproval');
    this.metrics.approvalsPending.set(waiting.length);
    const oldest = Math.min(now, ...waiting.map((entry) => entry.enteredAt));
    this.metrics.oldestApprovalSeconds.set((now - oldest) / 1000);
  }
}
