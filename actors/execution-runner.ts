/**
 * Runs one execution hosted by a supervisor: its xstate actor, and the strict
 * order of what follows each transition (its outputs: transition-outputs.ts)
 * — persist the snapshot with compare-and-set, append the audit records and
 * write the files someone looks at next (where the execution comes to rest),
 * publish the state event, then issue the command the new state calls for.
 * The other attempt notebooks are written after the command has gone out,
 * one after the other, and all of them before the execution's last event. A
 * failed compare-and-set means another supervisor owns the execution: this
 * runner stops and is dropped.
 */
import { createActor, type Actor, type Snapshot } from 'xstate';
import { CasConflictError, type KvStore } from '../bus/kv-store.ts';
import { kvKeys } from '../protocol/kv-keys.ts';
import type { StateName } from '../protocol/public.ts';
import { executionMachine } from '../machines/execution-machine.ts';
import { commandKey, pendingCommand, type PendingCommand } from '../machines/commands.ts';
import { executionViewOf } from '../machines/execution-view.ts';
import type { ExecutionContext, ExecutionEvent, ExecutionInput, RefusedDecision } from '../machines/execution-types.ts';
import { executionRecordSchema, type ExecutionRecord } from '../protocol/record.ts';
import type { ExecutionRecorder, FilePlan, RecordedFiles, Transition } from '../adapters/recorder/recorder.ts';
import { transitionOutputs, type Publication } from './transition-outputs.ts';
import { whileUnavailable } from '../bus/store-retry.ts';

export interface RunnerHooks {
  kv: KvStore;
  owner: string;
  leaseMs: number;
  /** Where each transition's audit records and files go. */
  recorder: Pick<ExecutionRecorder, 'audit' | 'writeFiles'>;
  /** A transition's events and protocol errors, published in order. */
  publish(runner: ExecutionRunner, publications: Publication[]): Promise<void>;
  /** The execution's last event is out: the supervisor stops hosting it. */
  ended(runner: ExecutionRunner): void;
  /** `reissued`: the command may have been issued before (by this process or another): look for its answer first. */
  dispatch(runner: ExecutionRunner, command: PendingCommand, reissued: boolean): void;
  dropped(runner: ExecutionRunner, reason: string): void;
  failed(runner: ExecutionRunner, error: unknown): void;
  /** A snapshot write found the store unavailable and will be tried again. */
  retrying(runner: ExecutionRunner, error: unknown): void;
}

type ExecutionSnapshot = ReturnType<Actor<typeof executionMachine>['getSnapshot']>;

export class ExecutionRunner {
  private readonly actor: Actor<typeof executionMachine>;
  private lastSnapshot: ExecutionSnapshot | null = null;
  private lastState: StateName | null = null;
  private lastCommandKey: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** Attempt notebooks written off the critical path (never rejects: failures are reported). */
  private files: Promise<void> = Promise.resolve();
  private stopped = false;
  private renewalQueued = false;
  /** The last transition whose snapshot is in the store: what a re-issued command is derived from. */
  private lastWritten: Transition | null = null;
  /** When the last snapshot write landed (it renewed the lease). */
  private writtenAt = 0;
  /** A restored execution's first command may have been issued by the supervisor before. */
  private nextIsReissue: boolean;

  private constructor(
    readonly executionId: string,
    private readonly hooks: RunnerHooks,
    private revision: number | null,
    input: ExecutionInput,
    restored: Snapshot<unknown> | null,
  ) {
    this.actor = restored
      ? createActor(executionMachine, { input, snapshot: restored })
      : createActor(executionMachine, { input });
    if (restored) this.lastState = (restored as ExecutionSnapshot).value as StateName;
    this.nextIsReissue = restored !== null;
  }

  /** A new execution: its first snapshot is created in KV (fails if the id exists). */
  static create(input: ExecutionInput, hooks: RunnerHooks): ExecutionRunner {
    return new ExecutionRunner(input.executionId, hooks, null, input, null);
  }

  /** An execution taken over from KV: the first write claims it at `revision`. */
  static restore(record: ExecutionRecord, revision: number, hooks: RunnerHooks): ExecutionRunner {
    // The machine ignores input when a snapshot is given; xstate's types still ask for one.
    const { context } = record.snapshot as { context: ExecutionContext };
    const input = { executionId: context.executionId, request: context.request, folder: context.folder, policy: context.policy, at: context.createdAt };
    return new ExecutionRunner(record.execution_id, hooks, revision, input, record.snapshot as Snapshot<unknown>);
  }

  /** Starts the actor; resolves once the first snapshot is persisted (and rejects if it could not be). */
  start(): Promise<void> {
    this.actor.subscribe({ next: (snapshot) => this.onSnapshot(snapshot), error: (error) => this.hooks.failed(this, error) });
    this.actor.start();
    if (this.lastSnapshot === null) this.onSnapshot(this.actor.getSnapshot());
    return this.chain;
  }

  /** Late answers (after a cancel or the end) are dropped: a finished execution takes no events. */
  send(event: ExecutionEvent): void {
    if (!this.stopped && this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }

  get state(): StateName {
    return this.actor.getSnapshot().value as StateName;
  }

  get context(): ExecutionContext {
    return this.actor.getSnapshot().context;
  }

  /**
   * Rewrites the record with a fresh lease (same snapshot). A runner whose
   * snapshot was written within the last sixth of a lease skips it: every
   * transition's write renewed the lease already, and the supervisor renews
   * every third of a lease.
   */
  renewLease(): Promise<void> {
    if (Date.now() - this.writtenAt < this.hooks.leaseMs / 6) return this.chain;
    // One renewal waiting is enough (the chain may be held up by an unavailable store).
    if (this.renewalQueued) return this.chain;
    this.renewalQueued = true;
    return this.enqueue(() => {
      this.renewalQueued = false;
      return this.write(this.actor.getSnapshot(), this.actor.getPersistedSnapshot() as Record<string, unknown>);
    });
  }

  /**
   * Issues the pending command of the last persisted state again (after a
   * lost connection: a request, reply or result may be gone). Commands carry
   * idempotency ids, so where the first one arrived this is a no-op.
   */
  reissueCommand(): void {
    void this.enqueue(async () => {
      if (this.lastWritten && !this.stopped) this.hooks.dispatch(this, pendingCommand(this.lastWritten.state, this.lastWritten.context), true);
    });
  }

  stop(): void {
    this.stopped = true;
    this.actor.stop();
  }

  /** Waits for every queued write, publication and notebook. */
  async settled(): Promise<void> {
    await this.chain;
    await this.files;
  }

  private onSnapshot(snapshot: ExecutionSnapshot): void {
    if (snapshot === this.lastSnapshot || this.stopped) return;
    const refusal = newRefusal(this.lastSnapshot, snapshot);
    this.lastSnapshot = snapshot;
    const previous = this.lastState;
    this.lastState = snapshot.value as StateName;
    // Captured now: the persisted form of exactly this transition.
    const persisted = this.actor.getPersistedSnapshot() as Record<string, unknown>;
    const transition: Transition = { previous, state: snapshot.value as StateName, context: snapshot.context, refusal };
    void this.enqueue(async () => {
      await this.write(snapshot, persisted);
      this.lastWritten = transition;
      const outputs = transitionOutputs(transition);
      const { folder, executionId } = transition.context;
      // Audit records and files are independent of each other: written side by side, both before the event.
      // The audit anchor is waited for where the execution comes to rest; elsewhere it coalesces with the next transition's.
      const [, files] = await Promise.all([
        this.hooks.recorder.audit.appendAll(folder, executionId, outputs.audit, { anchorLater: !outputs.atRest }),
        outputs.atRest ? this.filesFor(transition, outputs.files) : Promise.resolve<RecordedFiles>({ notebookPath: null }),
      ]);
      await this.hooks.publish(this, outputs.publications({ revision: this.revision ?? 0, notebookPath: files.notebookPath }));
      if (transition.state === 'done') this.hooks.ended(this);
      this.issueCommand(transition);
      if (!outputs.atRest && outputs.files) this.writeFilesLater(transition, outputs.files);
    });
  }

  /**
   * The files someone looks at next, after the notebooks of earlier
   * transitions. A file that cannot be written is reported, and the
   * transition goes on to its event and command: notebooks and results.json
   * can be rebuilt from the record in the store, a stalled execution cannot.
   */
  private async filesFor(transition: Transition, plan: FilePlan | null): Promise<RecordedFiles> {
    await this.files;
    if (plan === null) return { notebookPath: null };
    try {
      return await this.hooks.recorder.writeFiles(transition, plan);
    } catch (error) {
      this.hooks.failed(this, error);
      return { notebookPath: null };
    }
  }

  /** After the command is out: its dispatch never waits for notebook I/O. */
  private writeFilesLater(transition: Transition, plan: FilePlan): void {
    this.files = this.files
      .then(() => this.hooks.recorder.writeFiles(transition, plan))
      .then(
        () => {},
        (error: unknown) => this.hooks.failed(this, error),
      );
  }

  private issueCommand({ state, context }: Transition): void {
    const key = commandKey(state, context);
    if (key === this.lastCommandKey || this.stopped) return;
    this.lastCommandKey = key;
    this.hooks.dispatch(this, pendingCommand(state, context), this.nextIsReissue);
    this.nextIsReissue = false;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(() => (this.stopped ? undefined : step()));
    this.chain = next.catch((error: unknown) => {
      if (error instanceof CasConflictError) {
        this.stop();
        this.hooks.dropped(this, 'another supervisor wrote this execution (compare-and-set failed)');
      } else {
        this.hooks.failed(this, error);
      }
    });
    return next;
  }

  private async write(snapshot: ExecutionSnapshot, persisted: Record<string, unknown>): Promise<void> {
    const now = Date.now();
    const record: ExecutionRecord = {
      execution_id: this.executionId,
      state: snapshot.value as StateName,
      outcome: snapshot.context.outcome,
      owner: this.hooks.owner,
      lease_until: new Date(now + this.hooks.leaseMs).toISOString(),
      updated_at: new Date(now).toISOString(),
      snapshot: persisted,
      // What clients read instead of the snapshot, from the same transition.
      view: executionViewOf(snapshot.value as StateName, snapshot.context),
    };
    await this.writeRecord(record);
    this.writtenAt = now; // the lease just written runs from `now`
  }

  /**
   * Writes with compare-and-set, retrying while the store is unavailable.
   * A write that timed out may still have landed: when its retry then meets
   * a conflict, the stored record is read back, and if it is this very
   * write, its revision is adopted instead of giving the execution up.
   */
  private async writeRecord(record: ExecutionRecord): Promise<void> {
    const { kv } = this.hooks;
    const key = kvKeys.execution(this.executionId);
    let uncertain = false;
    await whileUnavailable(
      async () => {
        try {
          this.revision = this.revision === null ? await kv.create(key, record) : await kv.update(key, record, this.revision);
        } catch (error) {
          if (error instanceof CasConflictError && uncertain && (await this.adoptIfLanded(key, record))) return;
          throw error;
        }
      },
      (error) => {
        if (this.stopped) throw error;
        uncertain = true;
        this.hooks.retrying(this, error);
      },
    );
  }

  private async adoptIfLanded(key: string, record: ExecutionRecord): Promise<boolean> {
    const entry = await this.hooks.kv.get(key);
    const stored = entry ? executionRecordSchema.safeParse(entry.value) : null;
    const landed = stored?.success === true
      && stored.data.owner === record.owner
      && stored.data.updated_at === record.updated_at
      && stored.data.state === record.state;
    if (landed && entry) this.revision = entry.revision;
    return landed;
  }
}

/**
 * The decision a transition refused: the last refusal in its context when it
 * was not there before. (Comparing its time with the context's was wrong when
 * the next event came within the same millisecond.) A restored snapshot has
 * no snapshot before it here: its own transition's refusal is the one made at
 * its time.
 */
function newRefusal(before: ExecutionSnapshot | null, after: ExecutionSnapshot): RefusedDecision | null {
  const last = after.context.refusedDecisions.at(-1);
  if (!last) return null;
  if (before === null) return last.at === after.context.updatedAt ? last : null;
  return last === before.context.refusedDecisions.at(-1) ? null : last;
}
