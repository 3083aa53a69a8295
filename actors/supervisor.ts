/**
 * The supervisor hosts execution actors. It takes requests, decisions and
 * cancellations from their durable queues, feeds execution results to the
 * actors, persists every snapshot (via ExecutionCell), publishes a state
 * event per transition, and at start (and whenever a peer supervisor's
 * heartbeat expires) takes over non-final executions whose lease has expired
 * and re-issues their pending command.
 */
import { randomUUID } from 'node:crypto';
import {
  approvalDecisionSchema,
  cancelRequestSchema,
  executionRequestSchema,
  type ApprovalDecision,
  type ExecutionEvent as BusEvent,
  type ExecutionRequest,
  type ExecutionSummary,
} from '../protocol/public.ts';
import { executeResultSchema, type ExecuteResult } from '../protocol/internal.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import { queueGroups, subjects } from '../protocol/subjects.ts';
import type { Transport } from '../bus/transport.ts';
import type { Consumer, Job } from '../bus/work-queue.ts';
import type { Config } from '../config/schema.ts';
import type { ExecutionContext, ExecutionPolicy } from '../machines/execution-types.ts';
import { commandIdFor } from '../machines/execution-rules.ts';
import { refusalReason } from '../machines/approval-rules.ts';
import { createExecutionFolder, ExecutionFolderError, findExecutionFolder } from '../adapters/store/execution-folder.ts';
import { createAuditTrail, type AuditEntry, type AuditTrail } from '../adapters/audit/audit-trail.ts';
import type { Logger } from '../adapters/logger.ts';
import { CommandDispatcher } from './command-dispatcher.ts';
import { resolveContextFrom } from './context-from.ts';
import { ExecutionCell, type CellHooks } from './execution-cell.ts';
import { executionRecordSchema } from '../protocol/record.ts';
import { addressingProblem, parseMessage, publishProtocolError, refuseMessage } from './protocol.ts';
import { stopJob } from './job-stop.ts';
import { receivedEntry, refuseDecision, reportRefusal } from './refusals.ts';
import { sameRequest } from './request-identity.ts';
import { queueOptions } from './queues.ts';
import { SupervisorHeartbeat, type PeerHeartbeat } from './supervisor-heartbeat.ts';
import { auditTransition, writeTransitionFiles, type RecordedFiles, type Transition } from './recorder.ts';

export interface SupervisorOptions {
  transport: Transport;
  config: Config;
  logger: Logger;
  /** Stable for the embedded default (it owns what it left in --state-dir); random on NATS. */
  id?: string;
  leaseMs?: number;
}

const now = () => new Date().toISOString();

export function policyFrom(config: Config): ExecutionPolicy {
  return {
    maxGenerationAttempts: config.python_executor.max_generation_retries,
    maxExecutionAttempts: config.python_executor.max_execution_retries,
    maxInfrastructureRetries: config.retry.infrastructure_max_retries,
    approvalDeadlineMs: config.approval.deadline_seconds * 1000,
    backoffBaseMs: config.retry.backoff_base_ms,
    backoffMaxMs: config.retry.backoff_max_ms,
    approverKeys: config.approval.require_signed_decisions ? config.approval.approvers : undefined,
  };
}

export function summaryOf(context: ExecutionContext, notebookPath: string | null): ExecutionSummary {
  return {
    execution_id: context.executionId,
    outcome: context.outcome ?? 'unknown',
    results: context.result?.results ?? null,
    figures: context.result?.figures ?? [],
    notebook_path: notebookPath,
    folder: context.folder,
    code: context.code,
    execution_mode: context.analysis?.execution_mode ?? null,
    error_chain: context.errorChain,
    stdout: context.result?.stdout ?? '',
    ...(context.result?.channel_limits ? { channel_limits: context.result.channel_limits } : {}),
  };
}

export class Supervisor {
  readonly id: string;
  private readonly cells = new Map<string, ExecutionCell>();
  private readonly consumers: Consumer[] = [];
  private readonly dispatcher: CommandDispatcher;
  private readonly leaseMs: number;
  /** Hash-chained audit.jsonl per execution, its head anchored in the transport's KV. */
  readonly audit: AuditTrail;
  private resultSubscription: { unsubscribe(): Promise<void> } | null = null;
  private lateResultSubscription: { unsubscribe(): Promise<void> } | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private stopReissuing: (() => void) | null = null;
  private maintaining = false;
  /** The takeover scan running, if any (it may take long on a big store: lease renewals go on meanwhile). */
  private scan: Promise<void> | null = null;
  private stopped = false;
  private readonly heartbeat: SupervisorHeartbeat;

  constructor(private readonly options: SupervisorOptions) {
    this.id = options.id ?? `supervisor-${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.audit = createAuditTrail({
      kv: options.transport.kv,
      log: options.transport.auditLog ?? null,
      retrying: (error) => options.logger.warn({ err: error }, 'audit record or anchor retried: store unavailable'),
    });
    this.dispatcher = new CommandDispatcher(options.transport, options.config, options.logger);
    this.heartbeat = new SupervisorHeartbeat(options.transport.kv, this.id, this.leaseMs);
  }

  async start(): Promise<void> {
    const { queues, bus } = this.options.transport;
    for (const subject of [subjects.requests, subjects.decisions, subjects.cancels]) await queues.declare(subject, queueOptions.control);
    for (const mode of Object.keys(this.options.config.execution.modes)) await queues.declare(subjects.executeJobs(mode), queueOptions.execution);
    this.resultSubscription = bus.subscribe(subjects.executeResults, (message) => this.onResult(message.subject, message.data));
    // One supervisor of the group judges each result once more: invalid, or late for a finished execution.
    this.lateResultSubscription = bus.subscribe(
      subjects.executeResults,
      (message) => this.onResultOnce(message.subject, message.data).catch((error: unknown) => this.options.logger.warn({ err: error }, 'checking a result failed')),
      { queue: queueGroups.supervisors },
    );
    await this.heartbeat.beat();
    await this.takeOver();
    const durable = 'pyexec-supervisors';
    this.consumers.push(
      await queues.consume(subjects.requests, this.retriedSoon((job) => this.onRequest(job)), { concurrency: 8, durable: `${durable}-requests` }),
      await queues.consume(subjects.decisions, this.retriedSoon((job) => this.onDecision(job)), { concurrency: 8, durable: `${durable}-decisions` }),
      await queues.consume(subjects.cancels, this.retriedSoon((job) => this.onCancel(job)), { concurrency: 8, durable: `${durable}-cancels` }),
    );
    this.leaseTimer = setInterval(() => void this.maintainLeases(), Math.max(200, this.leaseMs / 3));
    // Replies and results travel on core NATS, which forgets what it could not deliver during an outage.
    this.stopReissuing = this.options.transport.onReconnect?.(() => this.reissueCommands()) ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.scan;
    this.stopReissuing?.();
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
    await this.resultSubscription?.unsubscribe();
    await this.lateResultSubscription?.unsubscribe();
    this.dispatcher.stop();
    await Promise.all([...this.cells.values()].map((cell) => cell.settled()));
    for (const cell of this.cells.values()) cell.stop();
    this.cells.clear();
    await this.audit.flush();
  }

  /** Executions this supervisor hosts right now. */
  hosted(): string[] {
    return [...this.cells.keys()];
  }

  hosts(executionId: string): boolean {
    return this.cells.has(executionId);
  }

  private hooks(): CellHooks {
    return {
      kv: this.options.transport.kv,
      owner: this.id,
      leaseMs: this.leaseMs,
      audit: (transition) => auditTransition(transition, this.audit),
      writeFiles: writeTransitionFiles,
      published: (transition, files, revision) => this.publishTransition(transition, files, revision),
      dispatch: (cell, command, reissued) => this.dispatcher.dispatch(cell, command, reissued),
      dropped: (cell, reason) => {
        this.cells.delete(cell.executionId);
        this.options.logger.warn({ executionId: cell.executionId }, `dropped: ${reason}`);
      },
      failed: (cell, error) => this.options.logger.error({ executionId: cell.executionId, err: error }, 'execution step failed'),
      retrying: (cell, error) => this.options.logger.warn({ executionId: cell.executionId, err: error }, 'snapshot write retried: store unavailable'),
    };
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
    await this.audit.appendAll(folder, executionId, [requested], { anchorLater: true });
    const cell = ExecutionCell.create(
      { executionId, request: { ...request, execution_id: executionId }, folder, policy: policyFrom(this.options.config), at: now() },
      this.hooks(),
    );
    this.cells.set(executionId, cell);
    // Acknowledged only once the first snapshot is in the store: nothing is lost in between.
    await cell.start();
    await job.ack();
  }

  /**
   * The execution's folder: new, or the one a previous delivery of this
   * request created before its process died. A request whose folder cannot be
   * made is refused on pyexec.errors (the client's handle rejects with it).
   */
  private async folderFor(executionId: string, request: ExecutionRequest, subject: string): Promise<string | null> {
    const root = this.options.config.service.executions_root;
    try {
      return await createExecutionFolder(root, executionId, request);
    } catch (error) {
      const existing = error instanceof ExecutionFolderError ? await findExecutionFolder(root, executionId) : null;
      if (existing) return existing;
      const reason = `request refused: its execution folder cannot be created under ${root}: ${(error as Error).message}`;
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
    const hosted = this.cells.get(executionId)?.context;
    const entry = hosted ? null : await this.options.transport.kv.get(kvKeys.execution(executionId));
    const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
    const stored = hosted ?? (record?.success ? (record.data.snapshot as { context: ExecutionContext }).context : null);
    if (!stored && !entry) return false;
    if (stored && sameRequest(stored.request, request)) return true;
    const error = `execution_id: execution ${executionId} exists already with a different request; choose a new id`;
    await publishProtocolError(this.options.transport.bus, job.subject, error, executionId);
    return true;
  }

  private async onDecision(job: Job): Promise<void> {
    const decision = await this.parseOrTerm(job, approvalDecisionSchema);
    if (!decision) return;
    const cell = this.cells.get(decision.execution_id);
    const misaddressed = addressingProblem(subjects.decisions, job.subject, decision.execution_id);
    if (misaddressed) {
      await refuseDecision(this.refusalDeps(), decision, job.subject, misaddressed, cell?.context.folder ?? (await this.finishedOrStored(decision.execution_id))?.folder ?? null);
      return job.ack();
    }
    let received = false;
    if (cell && cell.state !== 'done') {
      // Recorded as received before the machine judges it; the cell records counted or refused.
      await this.audit.append(cell.context.folder, decision.execution_id, receivedEntry(decision));
      received = true;
      // Another decision may have ended the execution while this one was recorded.
      if (!hasEnded(cell)) {
        cell.send({ type: 'DECISION', decision, at: now() });
        return job.ack();
      }
    }
    // Finished here (another decision won a moment ago): refused once that end is recorded.
    if (cell) await cell.settled();
    if (await this.refuseForFinished(decision, job.subject, received)) return job.ack();
    await this.forOtherOwner(job, decision.execution_id, 'decision');
  }

  private refusalDeps() {
    return { bus: this.options.transport.bus, audit: this.audit };
  }

  /** The stored context of an execution, or null when there is none. */
  private async finishedOrStored(executionId: string): Promise<ExecutionContext | null> {
    const entry = await this.options.transport.kv.get(kvKeys.execution(executionId));
    const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
    return record?.success ? (record.data.snapshot as { context: ExecutionContext }).context : null;
  }

  /** A decision for a finished execution: refused, and recorded in its audit trail with the reason. */
  private async refuseForFinished(decision: ApprovalDecision, subject: string, received: boolean): Promise<boolean> {
    const entry = await this.options.transport.kv.get(kvKeys.execution(decision.execution_id));
    const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
    if (!record?.success || record.data.state !== 'done') return false;
    const { context } = record.data.snapshot as { context: ExecutionContext };
    const reason = refusalReason(context, decision, now()) ?? `the execution has already finished (${record.data.outcome})`;
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
    const misaddressed = addressingProblem(subjects.cancels, job.subject, cancel.execution_id);
    if (misaddressed) {
      await publishProtocolError(this.options.transport.bus, job.subject, misaddressed, cancel.execution_id);
      return job.ack();
    }
    const cell = this.cells.get(cancel.execution_id);
    if (cell && cell.state !== 'done') {
      const at = now();
      await this.audit.append(cell.context.folder, cancel.execution_id, { event: 'cancel_received', by: cancel.by, reason: cancel.reason });
      const stopped = cell.state === 'executing' ? await stopJob(this.options.transport, this.options.config, cell.context, cancel, at) : {};
      // It may have ended meanwhile: then the cancel is refused below, as for any finished execution.
      if (!hasEnded(cell)) {
        cell.send({ type: 'CANCEL', reason: cancel.reason, by: cancel.by, at, ...stopped });
        return job.ack();
      }
    }
    if (cell) await cell.settled();
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
    const entry = await this.options.transport.kv.get(kvKeys.execution(executionId));
    const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
    if (!record?.success) {
      await publishProtocolError(this.options.transport.bus, job.subject, `${what} for unknown execution ${executionId}`, executionId);
      return job.ack();
    }
    if (record.data.state === 'done') {
      await publishProtocolError(this.options.transport.bus, job.subject, `${what} refused: execution ${executionId} has already finished (${record.data.outcome})`, executionId);
      return job.ack();
    }
    // Hosted by another supervisor (or by one that died, until its lease
    // expires and someone takes over): hand it back to the queue, waiting
    // longer each time so the deliveries outlast a lease.
    await job.nak(Math.min(this.leaseMs / 2, 250 * 2 ** (job.deliveryCount - 1)));
  }

  private onResult(subject: string, data: unknown): void {
    const parsed = executeResultSchema.safeParse(data);
    if (!parsed.success) return; // refused once, by onResultOnce
    const cell = this.cells.get(parsed.data.execution_id);
    if (cell && cell.state === 'executing' && parsed.data.command_id === commandIdFor(cell.context, 'executing')) {
      cell.send({ type: 'EXECUTED', commandId: parsed.data.command_id, result: parsed.data, at: now() });
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
    const entry = await this.options.transport.kv.get(kvKeys.execution(result.execution_id));
    const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
    if (!record?.success || record.data.state !== 'done') return;
    const { context } = record.data.snapshot as { context: ExecutionContext };
    if (context.result?.command_id === result.command_id) return; // the result that ended it, or a repeat of it
    await this.audit.append(context.folder, result.execution_id, {
      event: 'late_result',
      command_id: result.command_id,
      status: result.status,
      code_started: result.code_started ?? null,
      executor: result.executor,
      outcome: record.data.outcome,
    });
  }

  private async publishTransition(transition: Transition, files: RecordedFiles, revision: number): Promise<void> {
    const { bus } = this.options.transport;
    const { context, state } = transition;
    const event: BusEvent = {
      kind: 'state',
      execution_id: context.executionId,
      seq: revision,
      state,
      at: context.updatedAt,
      attempt: context.attempt,
      detail: describeState(transition),
      summary: state === 'done' ? summaryOf(context, files.notebookPath) : undefined,
    };
    const { refusal } = transition;
    const cancelling = state === 'executing' && context.cancelRequest?.at === context.updatedAt;
    // A refusal or a cancel request leaves the state as it was: its own event, no repeated state event.
    const stays = transition.previous === state && (refusal !== null || cancelling);
    if (!stays) await bus.publish(subjects.events(context.executionId), event);
    if (refusal) await reportRefusal(bus, `${subjects.decisions}.${context.executionId}`, context.executionId, refusal);
    if (cancelling && context.cancelRequest) {
      const { by, reason, at } = context.cancelRequest;
      const message = `cancel by ${by} (${reason}): stopping the write job; the outcome follows from the kernel's answer`;
      await bus.publish(subjects.events(context.executionId), { kind: 'progress', execution_id: context.executionId, stage: 'cancelling', message, at } satisfies BusEvent);
    }
    if (state === 'done') this.cells.delete(context.executionId);
  }

  /**
   * Restores non-final executions that are ours (same id) or whose owner's
   * lease has expired, reading every execution record: at start, and when a
   * peer's heartbeat has expired. Returns the owners of the non-final
   * executions left to them (their leases still running).
   */
  private async takeOver(): Promise<Set<string>> {
    const { kv } = this.options.transport;
    const leftToOwners = new Set<string>();
    for (const key of await kv.keys(kvKeys.executionPrefix)) {
      if (this.stopped) break;
      if (this.cells.has(key.slice(kvKeys.executionPrefix.length))) continue;
      const entry = await kv.get(key);
      const record = entry ? executionRecordSchema.safeParse(entry.value) : null;
      if (!entry || !record?.success || record.data.state === 'done' || this.cells.has(record.data.execution_id)) continue;
      const expired = Date.parse(record.data.lease_until) < Date.now();
      if (record.data.owner !== this.id && !expired) {
        leftToOwners.add(record.data.owner);
        continue;
      }
      const cell = ExecutionCell.restore(record.data, entry.revision, this.hooks());
      this.cells.set(record.data.execution_id, cell);
      this.options.logger.info({ executionId: record.data.execution_id, state: record.data.state }, 'took over execution');
      await cell.start().catch(() => {});
      await cell.renewLease();
    }
    return leftToOwners;
  }

  /**
   * Takes over what supervisors whose heartbeat expired left behind, and
   * forgets each of them once nothing of theirs is left running (an
   * execution whose lease had not yet run out is found by a later round).
   */
  private takeOverFrom(peers: PeerHeartbeat[]): void {
    if (this.scan || this.stopped) return;
    this.scan = (async () => {
      const leftToOwners = await this.takeOver();
      for (const peer of peers) if (!leftToOwners.has(peer.supervisor) && !this.stopped) await this.heartbeat.forget(peer);
    })()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'takeover scan failed'))
      .finally(() => (this.scan = null));
  }

  private reissueCommands(): void {
    this.options.logger.info({ executions: this.cells.size }, 'connection back: re-issuing pending commands');
    for (const cell of this.cells.values()) cell.reissueCommand();
  }

  private async maintainLeases(): Promise<void> {
    if (this.maintaining) return; // the store is slow or away: the round still running is enough
    this.maintaining = true;
    try {
      await Promise.all([...this.cells.values()].map((cell) => cell.renewLease()));
      await this.heartbeat.beat();
      const expired = await this.heartbeat.expiredPeers();
      if (expired.length > 0) this.takeOverFrom(expired);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'lease maintenance failed');
    } finally {
      this.maintaining = false;
    }
  }
}

/** Read anew after an await: the execution may have ended meanwhile. */
function hasEnded(cell: ExecutionCell): boolean {
  return cell.state === 'done';
}

function describeState({ state, context }: Transition): string {
  switch (state) {
    case 'generating':
      return context.errorChain.length ? `generating new code (after ${context.errorChain.length} failed attempt(s))` : 'generating code';
    case 'analyzing':
      return `analysing attempt ${context.attempt}`;
    case 'awaitingApproval':
      return `waiting for approval until ${context.approval?.deadline ?? '?'} (mode ${context.analysis?.execution_mode ?? '?'})`;
    case 'executing':
      return `executing in ${context.analysis?.execution_mode ?? '?'} mode`;
    case 'retrying':
      return `retrying (${context.retry?.reason ?? ''}) at ${context.retry?.at ?? ''}`;
    case 'done':
      return `${context.outcome}: ${context.outcomeDetail}`;
  }
}
