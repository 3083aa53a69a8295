/**
 * The caller's side of the protocol, for any transport: submit a request and
 * get a handle (live state events, a promise of the result), approve, reject,
 * cancel, look up and list executions — as their public view in the KV record
 * (protocol/execution-view.ts), never the statechart's snapshot. Works the
 * same against the embedded service and against a remote one on NATS.
 */
import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
// The one class needed, not the 'rxjs' entry point: that one loads every operator (~0.2 s of CPU per `pyexec run`).
import { ReplaySubject } from 'rxjs/internal/ReplaySubject';
import {
  approvalDecisionSchema,
  cancelRequestSchema,
  executionEventSchema,
  executionRequestSchema,
  protocolErrorSchema,
  type ApprovalDecision,
  type ExecutionEvent,
  type ExecutionRequestInput,
  type ExecutionSummary,
} from '../protocol/public.ts';
import { describeZodError } from '../protocol/zod-error.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import { subjects } from '../protocol/subjects.ts';
import type { Subscription } from '../bus/bus.ts';
import type { Transport } from '../bus/transport.ts';
import type { ExecutionView } from '../protocol/execution-view.ts';
import { executionRecordSchema } from '../protocol/record.ts';
import { queueOptions } from '../protocol/queues.ts';
import { buildDecision, pendingApproval, type ApprovalRef, type DecisionOptions } from './decisions.ts';
import { errorForSummary, ValidationError } from './errors.ts';
import { viewOfRecord } from './record-view.ts';

export type { ExecutionView } from '../protocol/execution-view.ts';
export type { ApprovalRef, DecisionOptions, DecisionSigner, PendingApproval } from './decisions.ts';
export { pendingApproval } from './decisions.ts';
export { listingOf } from './listing.ts';

export interface ExecutionHandle {
  readonly id: string;
  /** Every event of this execution, from submission on (replayed to late subscribers). */
  readonly events: Observable<ExecutionEvent>;
  /** Resolves with the summary when the execution succeeds; rejects with a typed ExecutionError otherwise. */
  readonly result: Promise<ExecutionSummary>;
  /** Resolves with the summary whatever the outcome; rejects only when the service refused the request. */
  readonly settled: Promise<ExecutionSummary>;
  approve(options?: DecisionOptions): Promise<ApprovalDecision>;
  reject(reason: string, options?: Omit<DecisionOptions, 'reason'>): Promise<ApprovalDecision>;
  cancel(reason?: string): Promise<void>;
}

export class PyexecClient {
  /** Followed executions, by id: how to end each one when the service refuses its request. */
  private readonly refusals = new Map<string, (error: Error) => void>();
  private refusalsSubscription: Subscription | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly identity = 'api',
  ) {}

  /** Validates, then publishes the request on the durable request queue. */
  async submit(input: ExecutionRequestInput): Promise<ExecutionHandle> {
    const parsed = executionRequestSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(describeZodError(parsed.error, 'request'));
    const id = parsed.data.execution_id ?? randomUUID();
    // An id made here is new: no record to look up (a KV read saved per submission).
    const handle = this.follow(id, parsed.data.execution_id !== undefined);
    await this.transport.queues.declare(subjects.requests, queueOptions.control);
    await this.transport.queues.enqueue(subjects.requests, id, { ...input, execution_id: id });
    return handle;
  }

  /** A handle on an execution, new or old: events from now on, and its result. */
  watch(id: string): ExecutionHandle {
    return this.follow(id, true);
  }

  /** `mayExist`: the execution may have finished before we subscribed (its record then has the answer). */
  private follow(id: string, mayExist: boolean): ExecutionHandle {
    const events = new ReplaySubject<ExecutionEvent>();
    let settle: (summary: ExecutionSummary) => void = () => {};
    let refuse: (error: Error) => void = () => {};
    const settled = new Promise<ExecutionSummary>((resolve, reject) => ((settle = resolve), (refuse = reject)));
    settled.catch(() => {}); // a refused request is reported through `result` as well
    const subscriptions = [
      this.transport.bus.subscribe(subjects.events(id), (message) => {
        const event = executionEventSchema.safeParse(message.data);
        if (!event.success) return;
        // The service accepted our request: a later refusal naming this id is another caller's reuse of it.
        if (event.data.kind === 'state') this.refusals.delete(id);
        events.next(event.data);
        const summary = event.data.kind === 'state' ? event.data.summary : undefined;
        if (summary) end(() => settle(summary));
      }),
    ];
    const end = (finish: () => void) => {
      finish();
      events.complete();
      this.refusals.delete(id);
      for (const subscription of subscriptions) void subscription.unsubscribe();
    };
    this.awaitRefusal(id, (error) => end(() => refuse(error)));
    // An execution that finished before we subscribed: its record has the answer.
    if (mayExist) {
      void this.get(id)
        .then((view) => {
          const summary = view?.summary;
          if (summary) end(() => settle(summary));
        })
        // The store is away for a moment (a server restart): the live events still tell the end.
        .catch(() => {});
    }
    const result = settled.then((summary) => {
      const error = errorForSummary(summary);
      if (error) throw error;
      return summary;
    });
    result.catch(() => {}); // callers who only use `settled` must not see an unhandled rejection
    return {
      id,
      events: events.asObservable(),
      result,
      settled,
      approve: (options) => this.decide(id, 'approve', options),
      reject: (reason, options) => this.decide(id, 'reject', { ...options, reason }),
      cancel: (reason) => this.cancel(id, reason),
    };
  }

  /**
   * A request the service could not accept never gets a state event: its
   * error on pyexec.errors says why. One subscription serves every execution
   * this client follows.
   */
  private awaitRefusal(id: string, refused: (error: Error) => void): void {
    this.refusals.set(id, refused);
    this.refusalsSubscription ??= this.transport.bus.subscribe(subjects.errors, (message) => {
      const error = protocolErrorSchema.safeParse(message.data);
      if (!error.success || !isRequestSubject(error.data.subject) || error.data.execution_id === undefined) return;
      this.refusals.get(error.data.execution_id)?.(new ValidationError(error.data.error));
    });
  }

  async get(id: string): Promise<ExecutionView | null> {
    const entry = await this.transport.kv.get(kvKeys.execution(id));
    if (!entry) return null;
    return viewOfRecord(executionRecordSchema.parse(entry.value));
  }

  async list(): Promise<ExecutionView[]> {
    const keys = await this.transport.kv.keys(kvKeys.executionPrefix);
    const views = await Promise.all(keys.map((key) => this.get(key.slice(kvKeys.executionPrefix.length))));
    return views.filter((view): view is ExecutionView => view !== null);
  }

  /**
   * Decides on an approval — the one the approver looked at (`options.approval`),
   * else the one pending now — bound to its id and the hash of its code, and
   * signed when a signer is given. Returns the decision as published; the
   * service judges it (one for an approval no longer pending is refused).
   */
  async decide(id: string, verdict: 'approve' | 'reject', options: DecisionOptions = {}): Promise<ApprovalDecision> {
    const approval = options.approval ?? (await this.pendingApprovalOf(id));
    const decision = buildDecision(id, approval, verdict, { reason: options.reason ?? '', approver: options.approver ?? this.identity, signer: options.signer });
    await this.publishDecision(decision);
    return decision;
  }

  private async pendingApprovalOf(id: string): Promise<ApprovalRef> {
    const view = await this.get(id);
    if (!view) throw new ValidationError(`execution_id: no execution ${id}`);
    const pending = pendingApproval(view);
    if (!pending) throw new ValidationError(`execution_id: execution ${id} is not waiting for approval (state ${view.state})`);
    return pending.approval;
  }

  /** Publishes a decision as given (any subscriber may; only a valid one counts). */
  async publishDecision(decision: ApprovalDecision): Promise<void> {
    const parsed = approvalDecisionSchema.safeParse(decision);
    if (!parsed.success) throw new ValidationError(describeZodError(parsed.error, 'decision'));
    await this.transport.queues.declare(subjects.decisionQueue, queueOptions.control);
    await this.transport.queues.enqueue(subjects.decisions(decision.execution_id), randomUUID(), parsed.data);
  }

  async cancel(id: string, reason = 'cancelled by request'): Promise<void> {
    const cancel = cancelRequestSchema.parse({ execution_id: id, reason, by: this.identity });
    await this.transport.queues.declare(subjects.cancelQueue, queueOptions.control);
    await this.transport.queues.enqueue(subjects.cancels(id), randomUUID(), cancel);
  }
}

/** Requests go to pyexec.requests; the queue also takes pyexec.requests.<anything>. */
function isRequestSubject(subject: string): boolean {
  return subject === subjects.requests || subject.startsWith(`${subjects.requests}.`);
}
