/**
 * The supervisor's inbox: what arrives for executions, each message parsed
 * with its zod schema and turned into an event for the execution's runner.
 * Requests start a runner (acknowledged once its first snapshot is stored);
 * decisions and cancels go to the runner hosting their execution, and are
 * handed back to the queue when another supervisor hosts it; results feed
 * the runner waiting for them, and one supervisor of the group records a
 * late result once (or refuses an invalid one).
 */
import {
  approvalDecisionSchema,
  cancelRequestSchema,
  executionRequestSchema,
  type ApprovalDecision,
  type ExecutionRequest,
} from '../protocol/public.ts';
import { executeResultSchema, type ExecuteResult } from '../protocol/internal.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import { executionRecordSchema, type ExecutionRecord } from '../protocol/record.ts';
import { durableConsumers, queueGroups, subjects } from '../protocol/subjects.ts';
import type { Transport } from '../bus/transport.ts';
import type { Consumer, Job } from '../bus/work-queue.ts';
import type { Config } from '../config/schema.ts';
import type { ExecutionContext, ExecutionPolicy } from '../machines/execution-types.ts';
import { commandIdFor } from '../machines/execution-rules.ts';
import { refusalReason } from '../machines/approval-rules.ts';
import type { AuditEntry, ExecutionRecorder } from '../adapters/recorder/recorder.ts';
import type { Logger } from '../logging/logger.ts';
import { resolveContextFrom } from './context-from.ts';
import { ExecutionRunner, type RunnerHooks } from './execution-runner.ts';
import { addressingProblem, parseMessage, publishProtocolError, refuseMessage } from './message-intake.ts';
import { stopJob } from './job-stop.ts';
import { receivedEntry, refuseDecision } from './refusals.ts';
import { sameRequest } from './request-identity.ts';

export interface InboxOptions {
  transport: Transport;
  config: Config;
  logger: Logger;
  recorder: ExecutionRecorder;
  policy: ExecutionPolicy;
  leaseMs: number;
  /** The executions this supervisor hosts (shared with its ownership). */
  runners: Map<string, ExecutionRunner>;
  hooks: RunnerHooks;
}

const now = () => new Date().toISOString();

export class SupervisorInbox {
  private readonly consumers: Consumer[] = [];
  private readonly subscriptions: Array<{ unsubscribe(): Promise<void> }> = [];

  constructor(private readonly options: InboxOptions) {}

  /** Results travel on core subjects: listened to before any execution is restored, so none is missed. */
  listenForResults(): void {
    const { bus } = this.options.transport;
    this.subscriptions.push(
      bus.subscribe(subjects.executeResults, (message) => this.onResult(message.data)),
      // One supervisor of the group judges each result once more: invalid, or late for a finished execution.
      bus.subscribe(
        subjects.executeResults,
        (message) => this.onResultOnce(message.subject, message.data).catch((error: unknown) => this.options.logger.warn({ err: error }, 'checking a result failed')),
        { queue: queueGroups.supervisors },
      ),
    );
  }

  /** Takes requests, decisions and cancels from their durable queues. */
  async consume(): Promise<void> {
    const { queues } = this.options.transport;
    this.consumers.push(
      await queues.consume(subjects.requests, this.retriedSoon((job) => this.onRequest(job)), { concurrency: 8, durable: durableConsumers.requests }),
      await queues.consume(subjects.decisionQueue, this.retriedSoon((job) => this.onDecision(job)), { concurrency: 8, durable: durableConsumers.decisions }),
      await queues.consume(subjects.cancelQueue, this.retriedSoon((job) => this.onCancel(job)), { concurrency: 8, durable: durableConsumers.cancels }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
    for (const subscription of this.subscriptions) await subscription.unsubscribe();
  }

  /**
   * A handler that fails (the store or server away for a moment) hands its
   * message back for another try in a second, instead of leaving it to the
   * queue's ack-wait. Handling a message twice is harmless: each handler
   * checks what is already recorded.
   */
  private retriedSoon(handler: (job: Job) => Promise<void>): (job: Job) => Promise<void> {
    return async (job) => {
      try {
        await handler(job);
      } catch (error) {
        this.options.logger.warn({ subject: job.subject, job: job.id, err: error }, 'handling failed, retrying soon');
        await job.nak(1_000).catch(() => {});
      }
    };
  }

  private async onRequest(job: Job): Promise<void> {
    let request: ExecutionRequest;
    try {
      request = parseMessage(executionRequestSchema, job.subject, job.payload);
    } catch (error) {
      await refuseMessage(this.options.transport.bus, job.subject, job.payload, error);
      return job.term();
    }
    const executionId = request.execution_id;
    if (executionId === undefined) {
      // An id the service chose could not be told to the caller (a queue has no reply): the client chooses it.
      await publishProtocolError(this.options.transport.bus, job.subject, 'execution_id: required: the client chooses the execution id (8-64 of a-z, 0-9, -)');
      return job.term();
    }
    if (await this.isRepeat(job, request, executionId)) return job.ack();
    const inputs = await resolveContextFrom(this.options.transport.kv, request, this.options.config.limits.context_from_bytes);
    if (!inputs.ok) {
      const reason = `request refused: ${inputs.reason}`;
      this.options.logger.warn({ executionId }, reason);
      await publishProtocolError(this.options.transport.bus, job.subject, reason, executionId);
      return job.term();
    }
    request = { ...request, context: inputs.context };
    const folder = await this.folderFor(executionId, request, job.subject);
    if (folder === null) return job.term();
    const requested: AuditEntry = {
      event: 'request',
      execution_id: executionId,
      requester: request.requester,
      task_objective: request.task_objective,
      approved_code: request.approved_code !== undefined,
      ...(inputs.lineage.length > 0 ? { context_from: inputs.lineage } : {}),
    };
    // Its anchor follows in the background, coalesced with the first transitions'.
    await this.options.recorder.audit.appendAll(folder, executionId, [requested], { anchorLater: true });
    const runner = ExecutionRunner.create(
      { executionId, request: { ...request, execution_id: executionId }, folder, policy: this.options.policy, at: now() },
      this.options.hooks,
    );
    this.options.runners.set(executionId, runner);
    // Acknowledged only once the first snapshot is in the store: nothing is lost in between.
    await runner.start();
    await job.ack();
  }

  /**
   * The execution's folder: new, or the one a previous delivery of this
   * request created before its process died. A request whose folder cannot be
   * made is refused on pyexec.errors (the client's handle rejects with it).
   */
  private async folderFor(executionId: string, request: ExecutionRequest, subject: string): Promise<string | null> {
    try {
      return await this.options.recorder.folderFor(executionId, request);
    } catch (error) {
      const reason = `request refused: its execution folder cannot be created under ${this.options.config.service.executions_root}: ${(error as Error).message}`;
      this.options.logger.error({ executionId, err: error }, reason);
      await publishProtocolError(this.options.transport.bus, subject, reason, executionId);
      return null;
    }
  }

  /**
   * A request for an execution that exists: a repeat (same content) is
   * acknowledged, one that reuses the id for something else is refused.
   */
  private async isRepeat(job: Job, request: ExecutionRequest, executionId: string): Promise<boolean> {
    const hosted = this.options.runners.get(executionId)?.context;
    const entry = hosted ? null : await this.options.transport.kv.get(kvKeys.execution(executionId));
    const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
    const stored = hosted ?? (record?.success ? contextOf(record.data) : null);
    if (!stored && !entry) return false;
    if (stored && sameRequest(stored.request, request)) return true;
    const error = `execution_id: execution ${executionId} exists already with a different request; choose a new id`;
    await publishProtocolError(this.options.transport.bus, job.subject, error, executionId);
    return true;
  }

  private async onDecision(job: Job): Promise<void> {
    const decision = await this.parseOrTerm(job, approvalDecisionSchema);
    if (!decision) return;
    const runner = this.options.runners.get(decision.execution_id);
    const misaddressed = addressingProblem(subjects.decisionQueue, job.subject, decision.execution_id);
    if (misaddressed) {
      const stored = runner ? null : await this.storedRecord(decision.execution_id);
      const folder = runner?.context.folder ?? (stored ? contextOf(stored).folder : null);
      await refuseDecision(this.refusalDeps(), decision, job.subject, misaddressed, folder);
      return job.ack();
    }
    let received = false;
    if (runner && runner.state !== 'done') {
      // Recorded as received before the machine judges it; the runner records counted or refused.
      await this.options.recorder.audit.append(runner.context.folder, decision.execution_id, receivedEntry(decision));
      received = true;
      // Another decision may have ended the execution while this one was recorded.
      if (!hasEnded(runner)) {
        runner.send({ type: 'DECISION', decision, at: now() });
        return job.ack();
      }
    }
    // Finished here (another decision won a moment ago): refused once that end is recorded.
    if (runner) await runner.settled();
    if (await this.refuseForFinished(decision, job.subject, received)) return job.ack();
    await this.forOtherOwner(job, decision.execution_id, 'decision');
  }

  private refusalDeps() {
    return { bus: this.options.transport.bus, audit: this.options.recorder.audit };
  }

  /** The execution's record in the store, or null when there is none (or it does not parse). */
  private async storedRecord(executionId: string): Promise<ExecutionRecord | null> {
    const entry = await this.options.transport.kv.get(kvKeys.execution(executionId));
    const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
    return record?.success ? record.data : null;
  }

  /** A decision for a finished execution: refused, and recorded in its audit trail with the reason. */
  private async refuseForFinished(decision: ApprovalDecision, subject: string, received: boolean): Promise<boolean> {
    const record = await this.storedRecord(decision.execution_id);
    if (record?.state !== 'done') return false;
    const context = contextOf(record);
    const reason = refusalReason(context, decision, now()) ?? `the execution has already finished (${record.outcome})`;
    await refuseDecision(this.refusalDeps(), decision, subject, reason, context.folder, received);
    return true;
  }

  /**
   * A cancel in `executing` first stops the job (job-stop.ts); what the
   * statechart then decides depends on whether the job may have started.
   */
  private async onCancel(job: Job): Promise<void> {
    const cancel = await this.parseOrTerm(job, cancelRequestSchema);
    if (!cancel) return;
    const misaddressed = addressingProblem(subjects.cancelQueue, job.subject, cancel.execution_id);
    if (misaddressed) {
      await publishProtocolError(this.options.transport.bus, job.subject, misaddressed, cancel.execution_id);
      return job.ack();
    }
    const runner = this.options.runners.get(cancel.execution_id);
    if (runner && runner.state !== 'done') {
      const at = now();
      await this.options.recorder.audit.append(runner.context.folder, cancel.execution_id, { event: 'cancel_received', by: cancel.by, reason: cancel.reason });
      const stopped = runner.state === 'executing' ? await stopJob(this.options.transport, this.options.config, runner.context, cancel, at) : {};
      // It may have ended meanwhile: then the cancel is refused below, as for any finished execution.
      if (!hasEnded(runner)) {
        runner.send({ type: 'CANCEL', reason: cancel.reason, by: cancel.by, at, ...stopped });
        return job.ack();
      }
    }
    if (runner) await runner.settled();
    await this.forOtherOwner(job, cancel.execution_id, 'cancel');
  }

  private async parseOrTerm<S extends Parameters<typeof parseMessage>[0]>(job: Job, schema: S): Promise<ReturnType<S['parse']> | null> {
    try {
      return parseMessage(schema, job.subject, job.payload) as ReturnType<S['parse']>;
    } catch (error) {
      await refuseMessage(this.options.transport.bus, job.subject, job.payload, error);
      await job.term();
      return null;
    }
  }

  /** A message for an execution this supervisor does not host: finished, unknown, or another's. */
  private async forOtherOwner(job: Job, executionId: string, what: string): Promise<void> {
    const record = await this.storedRecord(executionId);
    if (!record) {
      await publishProtocolError(this.options.transport.bus, job.subject, `${what} for unknown execution ${executionId}`, executionId);
      return job.ack();
    }
    if (record.state === 'done') {
      await publishProtocolError(this.options.transport.bus, job.subject, `${what} refused: execution ${executionId} has already finished (${record.outcome})`, executionId);
      return job.ack();
    }
    // Hosted by another supervisor (or by one that died, until its lease
    // expires and someone takes over): hand it back to the queue, waiting
    // longer each time so the deliveries outlast a lease.
    await job.nak(Math.min(this.options.leaseMs / 2, 250 * 2 ** (job.deliveryCount - 1)));
  }

  private onResult(data: unknown): void {
    const parsed = executeResultSchema.safeParse(data);
    if (!parsed.success) return; // refused once, by onResultOnce
    const runner = this.options.runners.get(parsed.data.execution_id);
    if (runner && runner.state === 'executing' && parsed.data.command_id === commandIdFor(runner.context, 'executing')) {
      runner.send({ type: 'EXECUTED', commandId: parsed.data.command_id, result: parsed.data, at: now() });
    }
  }

  /**
   * An invalid result is refused; one for an execution that has finished
   * without it (a job stopped after a cancel, a repeat of an earlier
   * attempt's) is recorded in the audit trail as late and changes nothing.
   */
  private async onResultOnce(subject: string, data: unknown): Promise<void> {
    let result: ExecuteResult;
    try {
      result = parseMessage(executeResultSchema, subject, data);
    } catch (error) {
      await refuseMessage(this.options.transport.bus, subject, data, error);
      return;
    }
    const record = await this.storedRecord(result.execution_id);
    if (record?.state !== 'done') return;
    const context = contextOf(record);
    if (context.result?.command_id === result.command_id) return; // the result that ended it, or a repeat of it
    await this.options.recorder.audit.append(context.folder, result.execution_id, {
      event: 'late_result',
      command_id: result.command_id,
      status: result.status,
      code_started: result.code_started ?? null,
      executor: result.executor,
      outcome: record.outcome,
    });
  }
}

/** The context in a stored record's snapshot (written only by supervisors, from the machine's own snapshot). */
function contextOf(record: ExecutionRecord): ExecutionContext {
  return (record.snapshot as { context: ExecutionContext }).context;
}

/** Read anew after an await: the execution may have ended meanwhile. */
function hasEnded(runner: ExecutionRunner): boolean {
  return runner.state === 'done';
}
