/**
 * The test model of the execution statechart: in each state, the events the
 * ENVIRONMENT can produce (generator, analyzer, approver, kernel, clock,
 * caller), as abstract labels turned into concrete machine events from the
 * snapshot (command ids, `at` times consistent with deadlines and retry
 * times). @xstate/graph explores the machine with them; snapshots are
 * serialised coarsely — only what decides future behaviour — so the graph is
 * finite. Paths cover every edge of that graph.
 */
import { getAdjacencyMap, getShortestPaths, type AdjacencyMap, type AdjacencyValue } from '@xstate/graph';
import { createActor, getNextSnapshot, type SnapshotFrom } from 'xstate';
import { executionRequestSchema, type StateName } from '../../protocol/public.ts';
import { type ExecutionStatus } from '../../protocol/internal.ts';
import { executionMachine } from '../../machines/execution-machine.ts';
import { commandIdFor } from '../../machines/execution-rules.ts';
import type { ExecutionEvent, ExecutionInput, ExecutionPolicy, RetryStage } from '../../machines/execution-types.ts';
import { executeResult } from '../support/fixtures.ts';
import { codeKinds, kernelStatusOf, type CodeCatalogue, type CodeKind } from './code-kinds.ts';

export type ModelSnapshot = SnapshotFrom<typeof executionMachine>;

export type Label =
  | `GENERATED:${CodeKind}`
  | 'GENERATION_FAILED:infrastructure'
  | 'GENERATION_FAILED:unusable'
  | 'ANALYZED'
  | 'ANALYSIS_FAILED'
  | 'DECISION:approve'
  | 'DECISION:reject'
  /** A decision naming an approval id that is not the pending one: refused. */
  | 'DECISION:stale'
  /** The approval sent again while the code runs: refused as a replay. */
  | 'DECISION:replay'
  | 'DEADLINE_PASSED'
  /** The real kernel's answer for the code (its status depends on the code kind). */
  | 'EXECUTED'
  | 'EXECUTED:infrastructure'
  | 'EXECUTED:lost'
  /** The kernel's answer for a write job stopped on a cancel after its code had started. */
  | 'EXECUTED:stopped'
  /** The kernel's answer for a write job stopped on a cancel before its code began. */
  | 'EXECUTED:unstarted'
  | 'RETRY_DUE'
  | 'CANCEL';

/** Where a path starts: a generated execution, or one submitted with approved code of a kind. */
export interface ModelRoot {
  name: string;
  approvedCode: CodeKind | null;
}

export interface ModelPath {
  root: ModelRoot;
  labels: Label[];
}

export interface ModelStep {
  sourceKey: string;
  source: ModelSnapshot;
  label: Label;
  event: ExecutionEvent;
  targetKey: string;
  target: ModelSnapshot;
}

export interface ModelSettings {
  catalogue: CodeCatalogue;
  policy: ExecutionPolicy;
  /** Whether jobs of an execution mode run with writes allowed (only those can be `lost`). */
  allowsWrites: (mode: string) => boolean;
}

/** What the environment does when the path has nothing more to say. */
export const defaultLabels: Record<StateName, Label | null> = {
  generating: 'GENERATED:ok',
  analyzing: 'ANALYZED',
  awaitingApproval: 'DECISION:approve',
  executing: 'EXECUTED',
  retrying: 'RETRY_DUE',
  done: null,
};

function defaultLabel(snapshot: ModelSnapshot): Label | null {
  const state = snapshot.value as StateName;
  // A cancelled job's only answer is the kernel's; the request stays in the context after it (in `done` too).
  return state === 'executing' && snapshot.context.cancelRequest ? 'EXECUTED:stopped' : defaultLabels[state];
}

/** Far more than the budgets allow (two generation, two execution attempts, one infrastructure retry). */
const maxCompletedSteps = 40;

export const modelEpoch = '2026-01-01T00:00:00.000Z';
const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const edgeId = (sourceKey: string, label: Label) => `${sourceKey} --${label}-->`;

export class ExecutionModel {
  /** Labels of the events the model produced: the graph's edge names. */
  private readonly labels = new WeakMap<ExecutionEvent, Label>();

  constructor(private readonly settings: ModelSettings) {}

  input(root: ModelRoot, executionId: string): ExecutionInput {
    const { catalogue, policy } = this.settings;
    const approved = root.approvedCode === null ? {} : { approved_code: catalogue.code[root.approvedCode] };
    return {
      executionId,
      request: executionRequestSchema.parse({ task_objective: `model path from ${root.name}`, execution_id: executionId, ...approved }),
      folder: '/nonexistent/model',
      policy,
      at: modelEpoch,
    };
  }

  /** What the environment can do in a snapshot's state. */
  labelsIn(snapshot: ModelSnapshot): Label[] {
    const { context } = snapshot;
    switch (snapshot.value as StateName) {
      case 'generating':
        return [...codeKinds.map((kind): Label => `GENERATED:${kind}`), 'GENERATION_FAILED:infrastructure', 'GENERATION_FAILED:unusable', 'CANCEL'];
      case 'analyzing':
        return ['ANALYZED', 'ANALYSIS_FAILED', 'CANCEL'];
      case 'awaitingApproval':
        return ['DECISION:approve', 'DECISION:reject', 'DECISION:stale', 'DEADLINE_PASSED', 'CANCEL'];
      case 'executing': {
        const mode = context.analysis?.execution_mode ?? 'read_only';
        // A cancelled write job: only the kernel's answer can come.
        if (context.cancelRequest) return ['EXECUTED:stopped', 'EXECUTED:unstarted'];
        return [
          'EXECUTED',
          'EXECUTED:infrastructure',
          ...(this.settings.allowsWrites(mode) ? (['EXECUTED:lost'] as const) : []),
          ...(context.decision ? (['DECISION:replay'] as const) : []),
          'CANCEL',
        ];
      }
      case 'retrying':
        return ['RETRY_DUE', 'CANCEL'];
      case 'done':
        return [];
    }
  }

  /** The concrete machine event for a label in a snapshot. */
  eventFor(label: Label, snapshot: ModelSnapshot): ExecutionEvent {
    const { context } = snapshot;
    const { catalogue } = this.settings;
    const at = plusMs(context.updatedAt, 1);
    const id = (stage: RetryStage) => commandIdFor(context, stage);
    const kind = catalogue.kindOf(context.code);
    const decision = (approvalId: string, verdict: 'approve' | 'reject') => ({
      execution_id: context.executionId,
      approval_id: approvalId,
      code_sha256: context.approval?.codeSha256 ?? context.codeSha256 ?? '',
      verdict,
      reason: verdict === 'reject' ? 'not now' : '',
      approver: 'model',
      decided_at: at,
    });
    switch (label) {
      case 'GENERATED:ok':
      case 'GENERATED:runtime_error':
      case 'GENERATED:write':
      case 'GENERATED:bad':
        return { type: 'GENERATED', commandId: id('generating'), code: catalogue.code[label.slice('GENERATED:'.length) as CodeKind], at };
      case 'GENERATION_FAILED:infrastructure':
      case 'GENERATION_FAILED:unusable':
        return { type: 'GENERATION_FAILED', commandId: id('generating'), kind: label === 'GENERATION_FAILED:unusable' ? 'unusable' : 'infrastructure', errorType: 'GenerationError', message: label, at };
      case 'ANALYZED':
        return { type: 'ANALYZED', commandId: id('analyzing'), analysis: catalogue.analysis[this.required(kind, label)], at };
      case 'ANALYSIS_FAILED':
        return { type: 'ANALYSIS_FAILED', commandId: id('analyzing'), message: 'analyzer down', at };
      case 'DECISION:approve':
      case 'DECISION:reject':
        return { type: 'DECISION', decision: decision(context.approval?.approvalId ?? '', label === 'DECISION:approve' ? 'approve' : 'reject'), at };
      case 'DECISION:stale':
        return { type: 'DECISION', decision: decision(`${context.executionId}.approval.stale`, 'approve'), at };
      case 'DECISION:replay':
        return { type: 'DECISION', decision: decision(context.decision?.approvalId ?? '', 'approve'), at };
      case 'DEADLINE_PASSED':
        return { type: 'DEADLINE_PASSED', at: context.approval?.deadline ?? at };
      case 'EXECUTED':
      case 'EXECUTED:infrastructure':
      case 'EXECUTED:lost':
      case 'EXECUTED:stopped':
      case 'EXECUTED:unstarted': {
        const status = label === 'EXECUTED' ? this.kernelStatus(this.required(kind, label)) : label === 'EXECUTED:infrastructure' ? 'infrastructure' : label === 'EXECUTED:lost' ? 'lost' : 'cancelled';
        const result = executeResult(id('executing'), {
          execution_id: context.executionId,
          status,
          results: null,
          duration_ms: 1,
          executor: 'model',
          ...(status === 'cancelled' ? { code_started: label === 'EXECUTED:stopped' } : {}),
        });
        return { type: 'EXECUTED', commandId: id('executing'), result, at };
      }
      case 'RETRY_DUE':
        return { type: 'RETRY_DUE', at: context.retry?.at ?? at };
      case 'CANCEL': {
        // In `executing` the supervisor says whether the job writes; the model's job has always been taken.
        const mode = context.analysis?.execution_mode ?? 'read_only';
        const job = snapshot.value === 'executing' ? { writes: this.settings.allowsWrites(mode), neverRuns: false } : {};
        return { type: 'CANCEL', reason: 'model', by: 'model', at, ...job };
      }
    }
  }

  /**
   * The coarse serialisation: state, where the code came from, the failure
   * counters, and per state what decides what comes next (the code kind once
   * there is code to analyse or run, the stage a retry goes back to, whether
   * a decision was taken). Refused decisions change nothing that matters:
   * they are self-loops. `done` is its outcome.
   */
  keyOf(snapshot: ModelSnapshot): string {
    const { context } = snapshot;
    const state = snapshot.value as StateName;
    if (state === 'done') return `done:${context.outcome ?? '?'}`;
    const parts = [state, context.codeSource ?? 'none', `gen${context.generationFailures}`, `exec${context.executionFailures}`, `infra${context.infrastructureFailures}`];
    if (state === 'retrying') parts.push(`to:${context.retry?.stage ?? '?'}`);
    const codeMatters = state !== 'generating' && !(state === 'retrying' && context.retry?.stage === 'generating');
    if (codeMatters) parts.push(`code:${this.settings.catalogue.kindOf(context.code) ?? 'none'}`);
    if (state === 'executing' && context.decision) parts.push('decided');
    if (state === 'executing' && context.cancelRequest) parts.push('cancelling');
    return parts.join(' ');
  }

  adjacency(root: ModelRoot): AdjacencyMap<ModelSnapshot, ExecutionEvent> {
    return getAdjacencyMap(executionMachine, this.traversal(root));
  }

  /** Every edge of the graph of every root (`<source key> --<label>-->`) with the key it leads to. */
  edges(roots: readonly ModelRoot[]): Map<string, string> {
    const edges = new Map<string, string>();
    for (const root of roots) {
      for (const [sourceKey, { transitions }] of Object.entries(this.adjacency(root))) {
        for (const { event, state } of transitionsOf(transitions)) edges.set(edgeId(sourceKey, this.labelOf(event)), this.keyOf(state));
      }
    }
    return edges;
  }

  /**
   * Edge coverage: for every edge, the shortest path to its source followed
   * by the edge; paths that are a prefix of another are dropped.
   */
  edgeCoveringPaths(roots: readonly ModelRoot[]): ModelPath[] {
    const paths: ModelPath[] = [];
    for (const root of roots) {
      const options = this.traversal(root);
      const toState = new Map(getShortestPaths(executionMachine, options).map((path) => [this.keyOf(path.state), path]));
      for (const [sourceKey, { transitions }] of Object.entries(this.adjacency(root))) {
        const prefix = toState.get(sourceKey);
        if (!prefix) throw new Error(`no shortest path to ${sourceKey}`);
        // The library's steps start with the initial snapshot under the event `xstate.init`.
        const head = prefix.steps.slice(1).map((step) => this.labelOf(step.event));
        for (const { event } of transitionsOf(transitions)) paths.push({ root, labels: [...head, this.labelOf(event)] });
      }
    }
    return withoutPrefixes(paths);
  }

  /** Runs a path through the pure machine with concrete events. */
  replay(path: ModelPath, executionId: string): ModelStep[] {
    let source = this.initialSnapshot(path.root, executionId);
    return path.labels.map((label) => {
      const step = this.step(source, label);
      source = step.target;
      return step;
    });
  }

  step(source: ModelSnapshot, label: Label): ModelStep {
    const event = this.eventFor(label, source);
    const target = getNextSnapshot(executionMachine, source, event);
    return { sourceKey: this.keyOf(source), source, label, event, targetKey: this.keyOf(target), target };
  }

  /**
   * The path followed by what the environment does once its script is used
   * up (good code, real analysis, approval, the real kernel, the retry timer),
   * up to `done`: the whole run the real system must show.
   */
  complete(path: ModelPath, executionId: string): { initial: ModelSnapshot; steps: ModelStep[] } {
    const initial = this.initialSnapshot(path.root, executionId);
    const steps = this.replay(path, executionId);
    for (let last = steps.at(-1)?.target ?? initial, label = defaultLabel(last); label !== null; label = defaultLabel(last)) {
      // A synchronous loop that never ends would block the test's own timeout: fail instead.
      if (steps.length > maxCompletedSteps) throw new Error(`the path does not reach done within ${maxCompletedSteps} steps: ${steps.map((step) => step.label).join(' → ')}`);
      const step = this.step(last, label);
      steps.push(step);
      last = step.target;
    }
    return { initial, steps };
  }

  initialSnapshot(root: ModelRoot, executionId: string): ModelSnapshot {
    return createActor(executionMachine, { input: this.input(root, executionId) }).getSnapshot();
  }

  edgeOf(step: Pick<ModelStep, 'sourceKey' | 'label'>): string {
    return edgeId(step.sourceKey, step.label);
  }

  private traversal(root: ModelRoot) {
    return {
      input: this.input(root, 'model-graph-0001'),
      events: (snapshot: ModelSnapshot) => this.labelsIn(snapshot).map((label) => this.labelled(this.eventFor(label, snapshot), label)),
      serializeState: (snapshot: ModelSnapshot) => this.keyOf(snapshot),
      serializeEvent: (event: ExecutionEvent) => this.labelOf(event),
    };
  }

  private labelled(event: ExecutionEvent, label: Label): ExecutionEvent {
    this.labels.set(event, label);
    return event;
  }

  private labelOf(event: ExecutionEvent): Label {
    const label = this.labels.get(event);
    if (!label) throw new Error(`an event the model did not produce: ${JSON.stringify(event)}`);
    return label;
  }

  private kernelStatus(kind: CodeKind): ExecutionStatus {
    const status = kernelStatusOf[kind];
    if (status === null) throw new Error(`code of kind ${kind} reached the kernel in the model`);
    return status;
  }

  private required(kind: CodeKind | null, label: Label): CodeKind {
    if (kind === null) throw new Error(`${label} offered in a snapshot without code`);
    return kind;
  }
}

function withoutPrefixes(paths: readonly ModelPath[]): ModelPath[] {
  const name = (path: ModelPath) => `${path.root.name}|${path.labels.join(' ')}`;
  const unique = [...new Map(paths.map((path) => [name(path), path])).values()];
  return unique.filter((path) => !unique.some((other) => other !== path && other.root === path.root && isPrefix(path.labels, other.labels)));
}

function isPrefix(short: readonly Label[], long: readonly Label[]): boolean {
  return short.length < long.length && short.every((label, index) => long[index] === label);
}

function transitionsOf(transitions: AdjacencyValue<ModelSnapshot, ExecutionEvent>['transitions']) {
  return Object.values<{ event: ExecutionEvent; state: ModelSnapshot }>(transitions);
}
