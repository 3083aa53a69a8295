/**
 * Carries out the command a state calls for, and turns the answer into the
 * event the statechart expects: generate and analyze as request/reply,
 * execute as a job on the mode's work queue (result looked up in KV first,
 * so a re-issued command after a restart picks up a result already there),
 * approval and retry deadlines as real timers.
 */
import type { z } from 'zod';
import { analyzeReplySchema, executeResultSchema, generateReplySchema, type ExecuteJob } from '../protocol/internal.ts';
import { type ApprovalRequest } from '../protocol/public.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import { subjects } from '../protocol/subjects.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import type { PendingCommand } from '../machines/commands.ts';
import type { Logger } from '../logging/logger.ts';
import type { ExecutionRunner } from './execution-runner.ts';
import { notifyExecutors } from './job-stop.ts';
import { parseMessage } from './message-intake.ts';

const now = () => new Date().toISOString();

export class CommandDispatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly transport: Transport,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** `reissued`: the command may have run already (after a restore or a lost connection). */
  dispatch(runner: ExecutionRunner, command: PendingCommand, reissued: boolean): void {
    this.clearTimer(runner.executionId);
    const run = (): Promise<void> => {
      switch (command.type) {
        case 'generate':
          return this.generate(runner, command.commandId);
        case 'analyze':
          return this.analyze(runner, command.commandId, command.code);
        case 'execute':
          return this.execute(runner, command, reissued);
        case 'awaitDecision':
          return this.awaitDecision(runner, command.deadline);
        case 'waitUntil':
          this.arm(runner, command.at, () => runner.send({ type: 'RETRY_DUE', at: now() }));
          return Promise.resolve();
        case 'finish':
          return Promise.resolve();
      }
    };
    run().catch((error: unknown) => this.logger.error({ executionId: runner.executionId, err: error, command: command.type }, 'command failed'));
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private get commandTimeoutMs(): number {
    return this.config.retry.command_timeout_seconds * 1000;
  }

  private async request<S extends z.ZodType>(subject: string, payload: unknown, schema: S): Promise<z.output<S>> {
    const reply = await this.transport.bus.request(subject, payload, { timeoutMs: this.commandTimeoutMs });
    return parseMessage(schema, subject, reply);
  }

  private async generate(runner: ExecutionRunner, commandId: string): Promise<void> {
    const { context } = runner;
    const command = {
      command_id: commandId,
      execution_id: context.executionId,
      attempt: context.attempt + 1,
      request: context.request,
      error_chain: context.errorChain,
      folder: context.folder,
    };
    try {
      const reply = await this.request(subjects.generate, command, generateReplySchema);
      if (reply.ok) runner.send({ type: 'GENERATED', commandId, code: reply.code, at: now() });
      else runner.send({ type: 'GENERATION_FAILED', commandId, kind: reply.kind, errorType: reply.type, message: reply.message, at: now() });
    } catch (error) {
      runner.send({ type: 'GENERATION_FAILED', commandId, kind: 'infrastructure', errorType: (error as Error).name, message: (error as Error).message, at: now() });
    }
  }

  private async analyze(runner: ExecutionRunner, commandId: string, code: string): Promise<void> {
    try {
      const reply = await this.request(subjects.analyze, { command_id: commandId, execution_id: runner.executionId, code }, analyzeReplySchema);
      if (reply.ok) runner.send({ type: 'ANALYZED', commandId, analysis: reply.analysis, at: now() });
      else runner.send({ type: 'ANALYSIS_FAILED', commandId, message: reply.message, at: now() });
    } catch (error) {
      runner.send({ type: 'ANALYSIS_FAILED', commandId, message: (error as Error).message, at: now() });
    }
  }

  /**
   * A re-issued job first looks for its result in KV (it may have finished
   * while no supervisor listened); a first issue cannot have one, and skips
   * the lookup.
   */
  private async execute(runner: ExecutionRunner, command: Extract<PendingCommand, { type: 'execute' }>, reissued: boolean): Promise<void> {
    const cancel = runner.context.cancelRequest ?? null;
    // A cancel was under way: the executors may never have heard of it (taken over, or its message lost).
    if (reissued && cancel) await notifyExecutors(this.transport, { command_id: command.commandId, execution_id: runner.executionId, reason: cancel.reason, by: cancel.by });
    const stored = reissued ? await this.transport.kv.get(kvKeys.jobResult(command.commandId)) : null;
    if (stored) {
      const result = executeResultSchema.parse(stored.value);
      runner.send({ type: 'EXECUTED', commandId: command.commandId, result, at: now() });
      return;
    }
    const mode = this.config.execution.modes[command.mode];
    const job: ExecuteJob = {
      command_id: command.commandId,
      execution_id: runner.executionId,
      attempt: Math.max(1, runner.context.attempt),
      code: command.code,
      code_sha256: command.codeSha256,
      mode: command.mode,
      // A mode missing from config cannot allow writes: the kernel guard stays on.
      allows_writes: mode?.allows_writes ?? false,
      folder: runner.context.folder,
      timeout_seconds: this.config.python_executor.execution_timeout_seconds,
      approval_id: runner.context.decision?.approvalId,
    };
    await this.transport.queues.enqueue(subjects.executeJobs(command.mode), command.commandId, job);
  }

  private async awaitDecision(runner: ExecutionRunner, deadline: string): Promise<void> {
    const { context } = runner;
    this.arm(runner, deadline, () => runner.send({ type: 'DEADLINE_PASSED', at: now() }));
    const analysis = context.analysis;
    if (!analysis || !context.approval) return;
    const request: ApprovalRequest = {
      execution_id: context.executionId,
      approval_id: context.approval.approvalId,
      task_objective: context.request.task_objective,
      code: context.code ?? '',
      code_sha256: context.approval.codeSha256,
      execution_mode: analysis.execution_mode,
      findings: analysis.findings,
      reasoning: analysis.reasoning,
      deadline,
    };
    await this.transport.bus.publish(subjects.approvalRequests(context.executionId), request);
  }

  private arm(runner: ExecutionRunner, at: string, fire: () => void): void {
    const delay = Math.max(0, Date.parse(at) - Date.now());
    // setTimeout holds at most ~24.8 days; longer waits re-arm on the way.
    const timer = setTimeout(() => (Date.parse(at) <= Date.now() ? fire() : this.arm(runner, at, fire)), Math.min(delay + 5, 2 ** 31 - 1));
    this.timers.set(runner.executionId, timer);
  }

  private clearTimer(executionId: string): void {
    clearTimeout(this.timers.get(executionId));
    this.timers.delete(executionId);
  }
}
