/**
 * The execution statechart: generating → analyzing → (awaitingApproval) →
 * executing → done, with `retrying` between a failure and the next attempt.
 *
 * Pure: it decides, it does no I/O. What to do next is derived from the
 * snapshot by pendingCommand() (commands.ts); results come back as events
 * carrying the command id they answer, so a late or repeated result for an
 * older command is ignored. Deadlines are timestamps in context (xstate does
 * not persist `after` timers); the supervisor arms real timers and sends
 * RETRY_DUE / DEADLINE_PASSED.
 */
import { and, assign, not, or, setup } from 'xstate';
import type { ErrorChainEntry } from '../protocol/public.ts';
import { backoffMs, commandIdFor, sha256Hex } from './execution-rules.ts';
import { refusalReason } from './approval-rules.ts';
import type { ExecutionContext, ExecutionEvent, ExecutionInput, RetryStage } from './execution-types.ts';

type Ctx = ExecutionContext;
type EventOf<T extends ExecutionEvent['type']> = Extract<ExecutionEvent, { type: T }>;

const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const answers = (context: Ctx, event: { commandId: string }, stage: RetryStage) =>
  event.commandId === commandIdFor(context, stage);

function chainEntry(context: Ctx, entry: Omit<ErrorChainEntry, 'attempt'>): ErrorChainEntry[] {
  return [...context.errorChain, { ...entry, attempt: Math.max(1, context.attempt) }];
}

function scheduleRetry(context: Ctx, stage: RetryStage, at: string, reason: string, backoffIndex: number) {
  return { stage, at: plusMs(at, backoffMs(context.policy, backoffIndex)), reason };
}

export const executionMachine = setup({
  types: {
    context: {} as ExecutionContext,
    events: {} as ExecutionEvent,
    input: {} as ExecutionInput,
  },
  guards: {
    hasApprovedCode: ({ context }) => context.codeSource === 'approved',
    answersGenerate: ({ context, event }) => answers(context, event as EventOf<'GENERATED'>, 'generating'),
    answersAnalyze: ({ context, event }) => answers(context, event as EventOf<'ANALYZED'>, 'analyzing'),
    answersExecute: ({ context, event }) => answers(context, event as EventOf<'EXECUTED'>, 'executing'),
    infrastructureBudgetLeft: ({ context }) => context.infrastructureFailures < context.policy.maxInfrastructureRetries,
    isInfrastructureFailure: ({ event }) => (event as EventOf<'GENERATION_FAILED'>).kind === 'infrastructure',
    isUnusableCode: ({ event }) => (event as EventOf<'GENERATION_FAILED'>).kind === 'unusable',
    generationBudgetLeft: ({ context }) => context.generationFailures + 1 < context.policy.maxGenerationAttempts,
    canRegenerate: ({ context }) => context.codeSource === 'generated',
    analysisPassed: ({ event }) => (event as EventOf<'ANALYZED'>).analysis.passed,
    needsApproval: ({ event }) => (event as EventOf<'ANALYZED'>).analysis.requires_approval,
    decisionCounts: ({ context, event }) => refusalReason(context, (event as EventOf<'DECISION'>).decision, event.at) === null,
    isApproval: ({ event }) => (event as EventOf<'DECISION'>).decision.verdict === 'approve',
    deadlinePassed: ({ context, event }) => context.approval !== null && event.at >= context.approval.deadline,
    retryDue: ({ context, event }) => context.retry !== null && event.at >= context.retry.at,
    retryStageIs: ({ context }, stage: RetryStage) => context.retry?.stage === stage,
    executionSucceeded: ({ event }) => (event as EventOf<'EXECUTED'>).result.status === 'succeeded',
    executionLost: ({ event }) => (event as EventOf<'EXECUTED'>).result.status === 'lost',
    executionInfrastructure: ({ event }) => (event as EventOf<'EXECUTED'>).result.status === 'infrastructure',
    executionBudgetLeft: ({ context }) => context.executionFailures + 1 < context.policy.maxExecutionAttempts,
    cancelPending: ({ context }) => (context.cancelRequest ?? null) !== null,
    executionCancelled: ({ event }) => (event as EventOf<'EXECUTED'>).result.status === 'cancelled',
    /** Only the kernel's word that the code never began makes a stopped write job `cancelled`. */
    stoppedBeforeStart: ({ event }) => {
      const { result } = event as EventOf<'EXECUTED'>;
      return result.status === 'cancelled' && result.code_started === false;
    },
    /** A job fenced before any executor took it, or a read-only one: nothing to wait for. */
    cancelEndsNow: ({ event }) => {
      const { neverRuns, writes } = event as EventOf<'CANCEL'>;
      return neverRuns === true || writes === false;
    },
  },
  actions: {
    issueCommand: assign({ commandSeq: ({ context }) => context.commandSeq + 1 }),
    touch: assign({ updatedAt: ({ event }) => event.at }),
    acceptCode: assign(({ context, event }) => {
      const { code } = event as EventOf<'GENERATED'>;
      return { code, codeSha256: sha256Hex(code), codeSource: 'generated' as const, attempt: context.attempt + 1, infrastructureFailures: 0, analysis: null, approval: null, decision: null, result: null };
    }),
    acceptAnalysis: assign(({ event }) => ({ analysis: (event as EventOf<'ANALYZED'>).analysis, infrastructureFailures: 0 })),
    recordGenerationFailure: assign(({ context, event }) => {
      const failure = event as EventOf<'GENERATION_FAILED'>;
      return {
        generationFailures: context.generationFailures + 1,
        errorChain: chainEntry(context, { stage: 'generation', type: failure.errorType, message: failure.message, at: failure.at }),
      };
    }),
    recordAnalysisFailure: assign(({ context, event }) => {
      const { analysis, at } = event as EventOf<'ANALYZED'>;
      return {
        analysis,
        generationFailures: context.generationFailures + 1,
        errorChain: chainEntry(context, {
          stage: 'analysis',
          type: 'AnalysisFailed',
          message: analysis.reasoning.join(' '),
          findings: analysis.findings.filter((finding) => finding.severity === 'blocking'),
          code: context.code ?? undefined,
          at,
        }),
      };
    }),
    recordExecutionFailure: assign(({ context, event }) => {
      const { result, at } = event as EventOf<'EXECUTED'>;
      return {
        result,
        executionFailures: context.executionFailures + 1,
        errorChain: chainEntry(context, {
          stage: 'execution',
          type: result.error?.type ?? result.status,
          message: result.error?.message ?? `execution ended with status ${result.status}`,
          traceback: result.error?.traceback,
          code: context.code ?? undefined,
          at,
        }),
      };
    }),
    recordResult: assign(({ event }) => ({ result: (event as EventOf<'EXECUTED'>).result })),
    scheduleRegeneration: assign(({ context, event }) => ({
      // One base backoff before asking again: an LLM is not hammered in a tight loop.
      retry: scheduleRetry(context, 'generating', event.at, 'new code after a failed attempt', 1),
      // Infrastructure retries are counted per stage: new code starts a fresh count.
      infrastructureFailures: 0,
    })),
    scheduleInfrastructureRetry: assign(({ context, event }, stage: RetryStage) => ({
      infrastructureFailures: context.infrastructureFailures + 1,
      retry: scheduleRetry(context, stage, event.at, 'infrastructure error', context.infrastructureFailures + 1),
    })),
    clearRetry: assign({ retry: null }),
    openApproval: assign(({ context, event }) => ({
      approval: {
        approvalId: `${context.executionId}.approval.${context.commandSeq}`,
        codeSha256: context.codeSha256 ?? '',
        deadline: plusMs(event.at, context.policy.approvalDeadlineMs),
        requestedAt: event.at,
      },
    })),
    recordDecision: assign(({ event }) => {
      const { decision } = event as EventOf<'DECISION'>;
      return {
        decision: {
          approvalId: decision.approval_id,
          approver: decision.approver,
          verdict: decision.verdict,
          reason: decision.reason,
          decidedAt: decision.decided_at,
        },
      };
    }),
    refuseDecision: assign(({ context, event }) => {
      const { decision, at } = event as EventOf<'DECISION'>;
      const refusal = {
        approvalId: decision.approval_id,
        approver: decision.approver,
        reason: refusalReason(context, decision, at) ?? 'not accepted',
        at,
      };
      return { refusedDecisions: [...context.refusedDecisions, refusal].slice(-50) };
    }),
    finish: assign((_, params: { outcome: ExecutionContext['outcome']; detail: string }) => ({
      outcome: params.outcome,
      outcomeDetail: params.detail,
      retry: null,
    })),
    finishRejected: assign(({ event }) => {
      const { decision } = event as EventOf<'DECISION'>;
      return { outcome: 'rejected' as const, outcomeDetail: `rejected by ${decision.approver}: ${decision.reason || 'no reason given'}` };
    }),
    finishWithFailure: assign(({ event }) => ({ outcome: 'failed' as const, retry: null, outcomeDetail: describeFailure(event) })),
    finishCancelled: assign(({ event }) => {
      const { reason, by, neverRuns, writes } = event as EventOf<'CANCEL'>;
      // `neverRuns` and `writes` come only with a cancel in `executing`.
      const note = neverRuns ? ' (stopped before any executor took the job: the code never started)' : writes === false ? ' (the read-only job is stopped)' : '';
      return { outcome: 'cancelled' as const, retry: null, outcomeDetail: `cancelled by ${by}: ${reason}${note}` };
    }),
    /** A write job may be running: the outcome waits for the kernel's answer. */
    requestCancel: assign(({ event }) => {
      const { reason, by, at } = event as EventOf<'CANCEL'>;
      return { cancelRequest: { reason, by, at } };
    }),
    /** The answer of a job stopped on a cancel: `cancelled` only when its code never began. */
    finishStopped: assign(({ context, event }, params: { outcome: 'cancelled' | 'unknown' }) => {
      const { result } = event as EventOf<'EXECUTED'>;
      const cancel = context.cancelRequest ?? null;
      const asked = cancel ? `cancelled by ${cancel.by}: ${cancel.reason}` : `the executor stopped the job (${result.error?.message ?? result.status})`;
      const detail = params.outcome === 'cancelled'
        ? `${asked} (the kernel confirms the code never started)`
        : `${asked}; the write job had started and was interrupted (${result.status}): a human must check what it did; it is not re-run`;
      return { outcome: params.outcome, retry: null, outcomeDetail: detail };
    }),
  },
}).createMachine({
  id: 'execution',
  initial: 'generating',
  context: ({ input }) => ({
    executionId: input.executionId,
    request: input.request,
    folder: input.folder,
    policy: input.policy,
    createdAt: input.at,
    updatedAt: input.at,
    commandSeq: 0,
    attempt: input.request.approved_code === undefined ? 0 : 1,
    generationFailures: 0,
    executionFailures: 0,
    infrastructureFailures: 0,
    code: input.request.approved_code ?? null,
    codeSha256: input.request.approved_code === undefined ? null : sha256Hex(input.request.approved_code),
    codeSource: input.request.approved_code === undefined ? null : 'approved',
    analysis: null,
    approval: null,
    decision: null,
    refusedDecisions: [],
    retry: null,
    cancelRequest: null,
    result: null,
    errorChain: [],
    outcome: null,
    outcomeDetail: '',
  }),
  on: {
    CANCEL: { target: '.done', actions: ['touch', 'finishCancelled'] },
    DECISION: { actions: ['touch', 'refuseDecision'] },
  },
  states: {
    generating: {
      entry: 'issueCommand',
      always: { guard: 'hasApprovedCode', target: 'analyzing' },
      on: {
        GENERATED: { guard: 'answersGenerate', target: 'analyzing', actions: ['touch', 'acceptCode'] },
        GENERATION_FAILED: [
          {
            guard: and(['answersGenerate', 'isInfrastructureFailure', 'infrastructureBudgetLeft']),
            target: 'retrying',
            actions: ['touch', { type: 'scheduleInfrastructureRetry', params: 'generating' as const }],
          },
          {
            guard: and(['answersGenerate', 'isUnusableCode', 'generationBudgetLeft']),
            target: 'retrying',
            actions: ['touch', 'recordGenerationFailure', 'scheduleRegeneration'],
          },
          { guard: 'answersGenerate', target: 'done', actions: ['touch', 'recordGenerationFailure', 'finishWithFailure'] },
        ],
      },
    },
    analyzing: {
      entry: 'issueCommand',
      on: {
        ANALYZED: [
          {
            guard: and(['answersAnalyze', 'analysisPassed', 'needsApproval']),
            target: 'awaitingApproval',
            actions: ['touch', 'acceptAnalysis', 'openApproval'],
          },
          { guard: and(['answersAnalyze', 'analysisPassed']), target: 'executing', actions: ['touch', 'acceptAnalysis'] },
          {
            guard: and(['answersAnalyze', 'canRegenerate', 'generationBudgetLeft']),
            target: 'retrying',
            actions: ['touch', 'recordAnalysisFailure', 'scheduleRegeneration'],
          },
          { guard: 'answersAnalyze', target: 'done', actions: ['touch', 'recordAnalysisFailure', 'finishWithFailure'] },
        ],
        ANALYSIS_FAILED: [
          {
            guard: and(['answersAnalyze', 'infrastructureBudgetLeft']),
            target: 'retrying',
            actions: ['touch', { type: 'scheduleInfrastructureRetry', params: 'analyzing' as const }],
          },
          { guard: 'answersAnalyze', target: 'done', actions: ['touch', 'finishWithFailure'] },
        ],
      },
    },
    awaitingApproval: {
      on: {
        DECISION: [
          { guard: and(['decisionCounts', 'isApproval']), target: 'executing', actions: ['touch', 'recordDecision'] },
          {
            guard: 'decisionCounts',
            target: 'done',
            actions: ['touch', 'recordDecision', 'finishRejected'],
          },
          { actions: ['touch', 'refuseDecision'] },
        ],
        DEADLINE_PASSED: {
          guard: 'deadlinePassed',
          target: 'done',
          actions: ['touch', { type: 'finish', params: { outcome: 'expired', detail: 'no decision before the approval deadline' } }],
        },
      },
    },
    executing: {
      entry: 'issueCommand',
      on: {
        CANCEL: [
          { guard: 'cancelEndsNow', target: 'done', actions: ['touch', 'finishCancelled'] },
          // A write job that may have started: its kernel's answer decides (a second cancel changes nothing else).
          { actions: ['touch', 'requestCancel'] },
        ],
        EXECUTED: [
          // Succeeded, also when a cancel came too late to stop it.
          {
            guard: and(['answersExecute', 'executionSucceeded']),
            target: 'done',
            actions: ['touch', 'recordResult', { type: 'finish', params: { outcome: 'succeeded', detail: 'results returned' } }],
          },
          {
            guard: and(['answersExecute', 'stoppedBeforeStart']),
            target: 'done',
            actions: ['touch', 'recordResult', { type: 'finishStopped', params: { outcome: 'cancelled' as const } }],
          },
          {
            guard: and(['answersExecute', or(['cancelPending', 'executionCancelled'])]),
            target: 'done',
            actions: ['touch', 'recordResult', { type: 'finishStopped', params: { outcome: 'unknown' as const } }],
          },
          {
            guard: and(['answersExecute', 'executionLost']),
            target: 'done',
            actions: [
              'touch',
              'recordResult',
              { type: 'finish', params: { outcome: 'unknown', detail: 'the executor vanished while running a write job: a human must check what happened; it is not re-run' } },
            ],
          },
          {
            guard: and(['answersExecute', 'executionInfrastructure', 'infrastructureBudgetLeft']),
            target: 'retrying',
            actions: ['touch', { type: 'scheduleInfrastructureRetry', params: 'executing' as const }],
          },
          {
            guard: and(['answersExecute', 'canRegenerate', 'executionBudgetLeft', not('executionInfrastructure')]),
            target: 'retrying',
            actions: ['touch', 'recordExecutionFailure', 'scheduleRegeneration'],
          },
          { guard: 'answersExecute', target: 'done', actions: ['touch', 'recordExecutionFailure', 'finishWithFailure'] },
        ],
      },
    },
    retrying: {
      on: {
        RETRY_DUE: [
          { guard: and(['retryDue', { type: 'retryStageIs', params: 'generating' as const }]), target: 'generating', actions: ['touch', 'clearRetry'] },
          { guard: and(['retryDue', { type: 'retryStageIs', params: 'analyzing' as const }]), target: 'analyzing', actions: ['touch', 'clearRetry'] },
          { guard: and(['retryDue', { type: 'retryStageIs', params: 'executing' as const }]), target: 'executing', actions: ['touch', 'clearRetry'] },
        ],
      },
    },
    done: { type: 'final' },
  },
});

function describeFailure(event: ExecutionEvent): string {
  switch (event.type) {
    case 'GENERATION_FAILED':
      return `generation failed (${event.kind}): ${event.message}`;
    case 'ANALYZED':
      return `analysis failed: ${event.analysis.reasoning.join(' ')}`;
    case 'ANALYSIS_FAILED':
      return `analysis unavailable: ${event.message}`;
    case 'EXECUTED':
      return `execution failed (${event.result.status}): ${event.result.error?.message ?? ''}`.trim();
    default:
      return `failed on ${event.type}`;
  }
}
