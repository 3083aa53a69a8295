/**
 * The supervisor hosts execution runners (execution-runner.ts), one per
 * execution it owns, and composes its concerns: the inbox
 * (supervisor-inbox.ts: requests, decisions, cancels, results), ownership
 * (supervisor-ownership.ts: leases, heartbeats, takeover), the commands the
 * runners issue (command-dispatcher.ts), and what every transition publishes
 * (transition-outputs.ts, carried out by the runner). File work goes through
 * the recorder the service plugs in (adapters/recorder/recorder.ts).
 */
import { randomUUID } from 'node:crypto';
import { queueOptions } from '../protocol/queues.ts';
import { subjects } from '../protocol/subjects.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import type { ExecutionPolicy } from '../machines/execution-types.ts';
import type { AuditTrail, ExecutionRecorder } from '../adapters/recorder/recorder.ts';
import type { Logger } from '../logging/logger.ts';
import { CommandDispatcher } from './command-dispatcher.ts';
import type { ExecutionRunner, RunnerHooks } from './execution-runner.ts';
import { publishAll } from './message-intake.ts';
import { SupervisorInbox } from './supervisor-inbox.ts';
import { SupervisorOwnership } from './supervisor-ownership.ts';

export interface SupervisorOptions {
  transport: Transport;
  config: Config;
  logger: Logger;
  /** The execution folders and their audit trails. */
  recorder: ExecutionRecorder;
  /** Stable for the embedded default (it owns what it left in --state-dir); random on NATS. */
  id?: string;
  leaseMs?: number;
}

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

export class Supervisor {
  readonly id: string;
  /** Hash-chained audit.jsonl per execution, its head anchored in the transport's KV. */
  readonly audit: AuditTrail;
  private readonly runners = new Map<string, ExecutionRunner>();
  private readonly dispatcher: CommandDispatcher;
  private readonly inbox: SupervisorInbox;
  private readonly ownership: SupervisorOwnership;
  private stopReissuing: (() => void) | null = null;

  constructor(private readonly options: SupervisorOptions) {
    this.id = options.id ?? `supervisor-${randomUUID().slice(0, 8)}`;
    const leaseMs = options.leaseMs ?? 15_000;
    const { transport, config, logger, recorder } = options;
    this.audit = recorder.audit;
    this.dispatcher = new CommandDispatcher(transport, config, logger);
    const hooks = this.runnerHooks(leaseMs);
    const runners = this.runners;
    this.inbox = new SupervisorInbox({ transport, config, logger, recorder, policy: policyFrom(config), leaseMs, runners, hooks });
    this.ownership = new SupervisorOwnership({ kv: transport.kv, logger, owner: this.id, leaseMs, runners, hooks });
  }

  async start(): Promise<void> {
    const { transport, config } = this.options;
    for (const subject of [subjects.requests, subjects.decisionQueue, subjects.cancelQueue]) await transport.queues.declare(subject, queueOptions.control);
    for (const mode of Object.keys(config.execution.modes)) await transport.queues.declare(subjects.executeJobs(mode), queueOptions.execution);
    this.inbox.listenForResults();
    await this.ownership.claim();
    await this.inbox.consume();
    this.ownership.maintain();
    // Replies and results travel on core NATS, which forgets what it could not deliver during an outage.
    this.stopReissuing = transport.onReconnect?.(() => this.reissueCommands()) ?? null;
  }

  async stop(): Promise<void> {
    await this.ownership.stop();
    this.stopReissuing?.();
    await this.inbox.stop();
    this.dispatcher.stop();
    await Promise.all([...this.runners.values()].map((runner) => runner.settled()));
    for (const runner of this.runners.values()) runner.stop();
    this.runners.clear();
    await this.audit.flush();
  }

  /** Executions this supervisor hosts right now. */
  hosted(): string[] {
    return [...this.runners.keys()];
  }

  hosts(executionId: string): boolean {
    return this.runners.has(executionId);
  }

  private runnerHooks(leaseMs: number): RunnerHooks {
    const { transport, logger, recorder } = this.options;
    return {
      kv: transport.kv,
      owner: this.id,
      leaseMs,
      recorder,
      publish: (runner, publications) => publishAll(transport.bus, runner.executionId, publications),
      ended: (runner) => this.runners.delete(runner.executionId),
      dispatch: (runner, command, reissued) => this.dispatcher.dispatch(runner, command, reissued),
      dropped: (runner, reason) => {
        this.runners.delete(runner.executionId);
        logger.warn({ executionId: runner.executionId }, `dropped: ${reason}`);
      },
      failed: (runner, error) => logger.error({ executionId: runner.executionId, err: error }, 'execution step failed'),
      retrying: (runner, error) => logger.warn({ executionId: runner.executionId, err: error }, 'snapshot write retried: store unavailable'),
    };
  }

  private reissueCommands(): void {
    this.options.logger.info({ executions: this.runners.size }, 'connection back: re-issuing pending commands');
    for (const runner of this.runners.values()) runner.reissueCommand();
  }
}
