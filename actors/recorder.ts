/**
 * Writes what an execution leaves behind, after each persisted transition:
 * the audit records a transition makes (the transition itself, a decision
 * counted or refused and why, the start and end of an execution attempt;
 * hash-chained, adapters/audit), an attempt notebook per stage (generated,
 * awaiting approval, failed analysis, failed execution, succeeded), and at
 * the end the final notebook with the real outputs and results.json.
 *
 * The audit records are written before the transition's event and command;
 * notebooks only where someone looks next (filesBeforeEvent), the others
 * after the command has gone out (ExecutionCell).
 */
import { z } from 'zod';
import type { ExecuteResult } from '../protocol/internal.ts';
import type { StateName } from '../protocol/public.ts';
import type { ExecutionContext, RefusedDecision } from '../machines/execution-types.ts';
import { buildNotebook, type ApprovalStatus } from '../adapters/notebook/build.ts';
import { writeAttemptNotebook, writeFinalNotebook, writeResults } from '../adapters/store/execution-folder.ts';
import { runFileJob } from '../adapters/store/file-jobs.ts';
import type { AuditEntry, AuditTrail } from '../adapters/audit/audit-trail.ts';
import type { AttemptStage } from '../adapters/store/layout.ts';
import { channelWriteEntries } from '../adapters/limits/audit-entries.ts';

export interface Transition {
  previous: StateName | null;
  state: StateName;
  context: ExecutionContext;
  /** The decision this transition refused (it stays in its state), if any. */
  refusal: RefusedDecision | null;
}

export interface RecordedFiles {
  notebookPath: string | null;
}

/** The attempt notebook a transition calls for, if any. */
function attemptStage({ previous, state, context }: Transition): AttemptStage | null {
  if (previous === 'generating' && state === 'analyzing') return 'generated';
  if (state === 'awaitingApproval' && previous !== 'awaitingApproval') return 'awaiting_approval';
  if (previous === 'analyzing' && (state === 'retrying' || state === 'done') && context.analysis && !context.analysis.passed) return 'failed_analysis';
  if (previous === 'executing' && context.result && context.result.status !== 'succeeded' && context.result.status !== 'infrastructure') {
    return 'failed_execution';
  }
  if (previous === 'executing' && state === 'done' && context.outcome === 'succeeded') return 'succeeded';
  return null;
}

function approvalStatus(context: ExecutionContext, state: StateName): ApprovalStatus | null {
  if (context.approval === null) return null;
  const base = { approvalId: context.approval.approvalId, deadline: context.approval.deadline };
  if (context.decision) {
    return { ...base, state: context.decision.verdict === 'approve' ? 'approved' : 'rejected', approver: context.decision.approver, reason: context.decision.reason };
  }
  return { ...base, state: context.outcome === 'expired' ? 'expired' : state === 'done' ? 'rejected' : 'pending' };
}

async function withOutputs(result: ExecuteResult | null): Promise<ExecuteResult | null> {
  if (!result?.outputs_file) return result;
  try {
    const [text] = await runFileJob([{ op: 'read', path: result.outputs_file }]);
    const outputs = z.array(z.record(z.string(), z.unknown())).parse(JSON.parse(text));
    return { ...result, outputs };
  } catch {
    return result;
  }
}

/** `result` is the executed attempt with its outputs read back (withOutputs), for the stages that show it. */
function notebookFor(transition: Transition, stage: AttemptStage | 'final', result: ExecuteResult | null): ReturnType<typeof buildNotebook> {
  const { context, state } = transition;
  const executed = stage === 'failed_execution' || stage === 'succeeded' || stage === 'final';
  return buildNotebook({
    stage,
    executionId: context.executionId,
    attempt: Math.max(1, context.attempt),
    taskObjective: context.request.task_objective,
    userQuery: context.request.user_query,
    code: context.code ?? '# no code was produced',
    folder: context.folder,
    analysis: context.analysis,
    approval: approvalStatus(context, state),
    result: executed ? result : null,
    outcome: context.outcome,
    errorChain: context.errorChain,
    contextFrom: context.request.context_from,
  });
}

/** The audit records of one transition, in the order they happened. */
export function auditEntriesFor({ previous, state, context, refusal }: Transition): AuditEntry[] {
  const entries: AuditEntry[] = [];
  if (refusal) {
    entries.push({ event: 'decision_refused', approval_id: refusal.approvalId, approver: refusal.approver, reason: refusal.reason, decided_at: refusal.at });
  }
  if (previous === 'awaitingApproval' && state !== 'awaitingApproval' && context.decision) {
    const { approvalId, approver, verdict, reason, decidedAt } = context.decision;
    entries.push({ event: 'decision_counted', approval_id: approvalId, approver, verdict, reason, decided_at: decidedAt, code_sha256: context.codeSha256 });
  }
  if (previous === 'executing' && state !== 'executing' && context.result) {
    const { status, duration_ms, executor, error, command_id, channel_limits } = context.result;
    entries.push({ event: 'execution_end', command_id, status, duration_ms, executor, error: error?.type, limits_version: channel_limits?.version });
    entries.push(...channelWriteEntries(channel_limits));
  }
  if (previous !== state) {
    entries.push({ event: 'transition', from: previous, to: state, attempt: context.attempt, outcome: context.outcome, detail: context.outcomeDetail || undefined });
  }
  if (state === 'executing' && previous !== 'executing') {
    entries.push({
      event: 'execution_start',
      attempt: context.attempt,
      mode: context.analysis?.execution_mode,
      code_sha256: context.codeSha256,
      approval_id: context.decision?.approvalId,
      approver: context.decision?.approver,
      limits_version: context.analysis?.limit_checks?.version,
    });
  }
  return entries;
}

/**
 * Whether a transition's files (and audit anchor) must be in place before its
 * event is published: a human is asked to look (awaiting approval) or the
 * execution has ended (the summary points at the final notebook). Other
 * attempt notebooks are written off the critical path.
 */
export function filesBeforeEvent({ state }: Transition): boolean {
  return state === 'awaitingApproval' || state === 'done';
}

/**
 * The transition's audit records, in one append. Their anchor in the store
 * is waited for where the execution comes to rest (filesBeforeEvent); where
 * it moves on at once, the anchor follows in the background and coalesces
 * with the next transition's.
 */
export async function auditTransition(transition: Transition, audit: AuditTrail): Promise<void> {
  const { context } = transition;
  await audit.appendAll(context.folder, context.executionId, auditEntriesFor(transition), { anchorLater: !filesBeforeEvent(transition) });
}

/** The transition's attempt notebook, and at the end results.json and the final notebook (written side by side). */
export async function writeTransitionFiles(transition: Transition): Promise<RecordedFiles> {
  const { context, state } = transition;
  const stage = attemptStage(transition);
  if (stage === null && state !== 'done') return { notebookPath: null };
  const executed = state === 'done' || stage === 'failed_execution' || stage === 'succeeded';
  const result = executed ? await withOutputs(context.result) : null;
  const attempt = stage ? writeAttemptNotebook(context.folder, Math.max(1, context.attempt), stage, notebookFor(transition, stage, result)) : null;
  if (state !== 'done') return { notebookPath: await attempt };
  const results = context.result?.results ? writeResults(context.folder, context.result.results) : null;
  const [notebookPath] = await Promise.all([writeFinalNotebook(context.folder, notebookFor(transition, 'final', result)), attempt, results]);
  return { notebookPath };
}
