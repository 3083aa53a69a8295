/**
 * The environment of one model path around the real service: a generator,
 * an analyzer wrapper and a kernel wrapper that do what the path prescribes
 * when they are called, and a watcher of the execution's events that plays
 * the approver and the caller who cancels. Deadlines and due retries need no
 * one: the supervisor's own timers fire them. Once the path's labels are used
 * up, the environment behaves well (good code, real analysis, approval, real
 * kernel), so every path finishes.
 *
 * CANCEL is made deterministic by holding the component that was called
 * until the cancellation has ended the execution; the real analyzer and the
 * real (warm, shared) local kernel do the actual work.
 */
import type { ExecuteJob, ExecuteResult } from '../../protocol/internal.ts';
import type { ExecutionEvent as BusEvent, ExecutionSummary, StateName } from '../../protocol/public.ts';
import type { CodeAnalyzer } from '../../adapters/analysis/analyzer.ts';
import { createMockGenerator } from '../../adapters/generators/mock.ts';
import { GenerationError, type CodeGenerator, type GenerationInput } from '../../adapters/generators/generator.ts';
import { KernelUnavailableError, type Kernel } from '../../adapters/kernels/kernel.ts';
import type { PyexecClient } from '../../client/client.ts';
import { behaviorOf, type CodeKind } from './code-kinds.ts';
import type { Label, ModelStep } from './execution-model.ts';
import { executeResult } from '../support/fixtures.ts';

/** The prescribed labels, taken in order by whichever part of the environment acts in that state. */
export class Script {
  private index = 0;
  readonly problems: string[] = [];

  constructor(private readonly steps: readonly Pick<ModelStep, 'label' | 'source'>[]) {}

  /** The next label, which must belong to `state`; null once the path is used up. */
  take(state: StateName): Label | null {
    this.passDueRetry(state);
    const step = this.next();
    if (!step) return null;
    const expected = step.source.value as StateName;
    if (expected !== state) {
      this.problems.push(`the environment was asked to act in ${state} while the path's next step is ${step.label} in ${expected}`);
      this.index = this.steps.length;
      return null;
    }
    this.index += 1;
    return step.label;
  }

  /** Takes the next label only if it is exactly this one, in this state (for passive events). */
  takeIf(state: StateName, label: Label): boolean {
    this.passDueRetry(state);
    const step = this.next();
    if (step?.label !== label || step.source.value !== state) return false;
    this.index += 1;
    return true;
  }

  get remaining(): Label[] {
    return this.steps.slice(this.index).map((step) => step.label);
  }

  /** Acting in another state means the retry the path waited for has happened. */
  private passDueRetry(state: StateName): void {
    if (state !== 'retrying' && this.next()?.label === 'RETRY_DUE') this.index += 1;
  }

  private next() {
    return this.steps[this.index];
  }
}

export interface WorldParts {
  executionId: string;
  script: Script;
  analyzer: CodeAnalyzer;
  kernel: Kernel;
}

/** One path's environment; `attach` connects it to the client of the service it runs against. */
export class ScriptedWorld {
  readonly events: BusEvent[] = [];
  /** Command ids the kernel was asked to run for this execution. */
  readonly ranCommands: string[] = [];
  private client: PyexecClient | null = null;
  private settledSummary: Promise<ExecutionSummary> | null = null;
  private refusals = 0;
  private refusalWaiters: Array<{ count: number; resolve: () => void }> = [];
  /** Set while a stale decision is on its way: its refusal is the cue to decide again. */
  private staleDecisionSent = false;
  private readonly mock = createMockGenerator();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly parts: WorldParts) {}

  get script(): Script {
    return this.parts.script;
  }

  /** Watches the execution (before it is submitted, so no event is missed). */
  attach(client: PyexecClient): Promise<ExecutionSummary> {
    this.client = client;
    const handle = client.watch(this.parts.executionId);
    handle.events.subscribe((event) => this.onEvent(event));
    this.settledSummary = handle.settled;
    return handle.settled;
  }

  readonly generator: CodeGenerator = {
    name: 'scripted',
    generateCode: (input) => this.track(this.generateScripted(input)),
  };

  private async generateScripted(input: GenerationInput) {
    const label = this.script.take('generating');
    switch (label) {
      case null:
        return this.generate(input, 'ok');
      case 'GENERATED:ok':
      case 'GENERATED:runtime_error':
      case 'GENERATED:write':
      case 'GENERATED:bad':
        return this.generate(input, label.slice('GENERATED:'.length) as CodeKind);
      case 'GENERATION_FAILED:infrastructure':
        throw new GenerationError('infrastructure', 'the LLM API is down (scripted)');
      case 'GENERATION_FAILED:unusable':
        throw new GenerationError('unusable', 'the LLM answered without code (scripted)');
      case 'CANCEL':
        await this.cancelAndWait();
        return this.generate(input, 'ok');
      default:
        return this.unexpected('generating', label);
    }
  }

  readonly analyzer: CodeAnalyzer = {
    name: 'scripted',
    analyze: (code) => this.track(this.analyzeScripted(code)),
  };

  private async analyzeScripted(code: string) {
    const label = this.script.take('analyzing');
    switch (label) {
      case null:
      case 'ANALYZED':
        return this.parts.analyzer.analyze(code);
      case 'ANALYSIS_FAILED':
        throw new Error('the analyzer is unavailable (scripted)');
      case 'CANCEL':
        await this.cancelAndWait();
        return this.parts.analyzer.analyze(code);
      default:
        return this.unexpected('analyzing', label);
    }
  }

  readonly kernel: Kernel = {
    name: 'scripted',
    execute: (job, signal) => this.track(this.executeScripted(job, signal)),
    close: async () => {},
  };

  private async executeScripted(job: ExecuteJob, signal?: AbortSignal): Promise<ExecuteResult> {
    for (;;) {
      const label = this.script.take('executing');
      switch (label) {
        case 'DECISION:replay':
          // The approval sent again while its code runs: refused as a replay.
          await this.refused(() =>
            this.requireClient().publishDecision({
              execution_id: job.execution_id,
              approval_id: job.approval_id ?? '',
              code_sha256: job.code_sha256,
              verdict: 'approve',
              reason: 'replayed',
              approver: 'model',
              decided_at: new Date().toISOString(),
            }),
          );
          continue;
        case null:
        case 'EXECUTED':
          this.ranCommands.push(job.command_id);
          return this.parts.kernel.execute(job, signal);
        case 'EXECUTED:infrastructure':
          throw new KernelUnavailableError('the kernel is unreachable (scripted)');
        case 'CANCEL':
          // The cancel comes while the job is held here: the executor aborts it, and the
          // kernel fails on the abort without saying how far the code got (so it may have started).
          await this.cancel();
          await abortOf(signal);
          if (this.script.takeIf('executing', 'EXECUTED:unstarted')) {
            return executeResult(job.command_id, { execution_id: job.execution_id, status: 'cancelled', code_started: false, results: null, executor: 'scripted' });
          }
          this.script.takeIf('executing', 'EXECUTED:stopped');
          throw new Error('stopped on a cancel (scripted)');
        default:
          return this.unexpected('executing', label);
      }
    }
  }

  /** Resolves once no component call of this world is under way (held or running). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => {});
    return work;
  }

  /** Labels the components cannot act on: everything else is a mismatch between model and reality. */
  private unexpected(state: StateName, label: Label): never {
    const problem = `${label} reached a component in ${state}`;
    this.script.problems.push(problem);
    throw new Error(problem);
  }

  private onEvent(event: BusEvent): void {
    this.events.push(event);
    if (event.kind === 'decision_refused') {
      this.refusals += 1;
      for (const waiter of this.refusalWaiters.filter((candidate) => candidate.count <= this.refusals)) waiter.resolve();
      this.refusalWaiters = this.refusalWaiters.filter((candidate) => candidate.count > this.refusals);
      // A refused decision leaves the execution waiting, with no new state event (one per transition):
      // the approver acts again on the next label.
      if (this.staleDecisionSent) {
        this.staleDecisionSent = false;
        this.decide().catch((error: unknown) => this.script.problems.push(`deciding after a refusal failed: ${String(error)}`));
      }
      return;
    }
    if (event.kind !== 'state') return;
    const act = (() => {
      switch (event.state) {
        case 'awaitingApproval':
          return this.decide();
        case 'retrying':
          return this.script.takeIf('retrying', 'CANCEL') ? this.cancel() : Promise.resolve();
        case 'executing':
          // A write job whose executor vanished: the claim is in KV already, nobody acts.
          this.script.takeIf('executing', 'EXECUTED:lost');
          return Promise.resolve();
        default:
          return Promise.resolve();
      }
    })();
    act.catch((error: unknown) => this.script.problems.push(`acting on ${event.state} failed: ${String(error)}`));
  }

  private async decide(): Promise<void> {
    const client = this.requireClient();
    const id = this.parts.executionId;
    const label = this.script.take('awaitingApproval');
    switch (label) {
      case null:
      case 'DECISION:approve':
        await client.decide(id, 'approve', { reason: '', approver: 'model' });
        return;
      case 'DECISION:reject':
        await client.decide(id, 'reject', { reason: 'not now', approver: 'model' });
        return;
      case 'DECISION:stale': {
        this.staleDecisionSent = true;
        const view = await client.get(id);
        return client.publishDecision({
          execution_id: id,
          approval_id: `${id}.approval.stale`,
          code_sha256: view?.approval?.code_sha256 ?? '0'.repeat(64),
          verdict: 'approve',
          reason: 'an old approval',
          approver: 'model',
          decided_at: new Date().toISOString(),
        });
      }
      case 'DEADLINE_PASSED':
        return; // nobody decides; the supervisor's deadline timer ends it
      case 'CANCEL':
        return this.cancel();
      default:
        this.script.problems.push(`${label} offered while awaiting approval`);
    }
  }

  private cancel(): Promise<void> {
    return this.requireClient().cancel(this.parts.executionId, 'the model cancels');
  }

  /** Cancels and holds the calling component until the execution has ended. */
  private async cancelAndWait(): Promise<void> {
    await this.cancel();
    if (this.settledSummary) await this.settledSummary;
  }

  /** Sends a decision that must be refused, and waits for the refusal. */
  private async refused(send: () => Promise<void>): Promise<void> {
    const arrived = new Promise<void>((resolve) => this.refusalWaiters.push({ count: this.refusals + 1, resolve }));
    await send();
    await arrived;
  }

  private generate(input: GenerationInput, kind: CodeKind) {
    return this.mock.generateCode({ ...input, request: { ...input.request, behavior: behaviorOf[kind] } });
  }

  private requireClient(): PyexecClient {
    if (!this.client) throw new Error('the world is not attached to a client');
    return this.client;
  }
}

/** Resolves once the executor aborts the job. */
function abortOf(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return Promise.reject(new Error('the executor gave the kernel no abort signal'));
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
