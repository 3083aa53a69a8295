/**
 * Writes what an execution leaves behind, after each persisted transition:
 * an attempt notebook per stage (generated, awaiting approval, failed
 * analysis, failed execution, succeeded), the final notebook with the real
 * outputs, results.json, and the audit records a transition makes: the
 * transition itself, a decision counted or refused (and why), the start and
 * end of an execution attempt (hash-chained, adapters/audit).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ExecuteResult, StateName } from '../bus/messages.ts';
import type { ExecutionContext } from '../machines/execution-types.ts';
import { buildNotebook, type ApprovalStatus } from '../adapters/notebook/build.ts';
import { writeAttemptNotebook, writeFinalNotebook, writeResults } from '../adapters/store/execution-folder.ts';
import type { AuditEntry, AuditTrail } from '../adapters/audit/audit-trail.ts';
import type { AttemptStage } from '../adapters/store/layout.ts';

export interface Transition {
  previous: StateName | null;
  state: StateName;
  context: ExecutionContext;
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
    const outputs = z.array(z.record(z.string(), z.unknown())).parse(JSON.parse(await readFile(result.outputs_file, 'utf8')));
    return { ...result, outputs };
  } catch {
    return result;
  }
}

async function notebookFor(transition: Transition, stage: AttemptStage | 'final'): Promise<ReturnType<typeof buildNotebook>> {
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
    result: executed ? await withOutputs(context.result) : null,
    outcome: context.outcome,
    errorChain: context.errorChain,
  });
}

/** The audit records of one transition, in the order they happened. */
export function auditEntriesFor({ previous, state, context }: Transition): AuditEntry[] {
  const entries: AuditEntry[] = [];
  const refusal = context.refusedDecisions.at(-1);
  if (refusal && refusal.at === context.updatedAt && previous === state) {
    entries.push({ event: 'decision_refused', approval_id: refusal.approvalId, approver: refusal.approver, reason: refusal.reason, decided_at: refusal.at });
  }
  if (previous === 'awaitingApproval' && state !== 'awaitingApproval' && context.decision) {
    const { approvalId, approver, verdict, reason, decidedAt } = context.decision;
    entries.push({ event: 'decision_counted', approval_id: approvalId, approver, verdict, reason, decided_at: decidedAt, code_sha256: context.codeSha256 });
  }
  if (previous === 'executing' && state !== 'executing' && context.result) {
    const { status, duration_ms, executor, error, command_id } = context.result;
    entries.push({ event: 'execution_end', command_id, status, duration_ms, executor, error: error?.type });
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
    });
  }
  return entries;
}

export async function recordTransition(transition: Transition, audit: AuditTrail): Promise<RecordedFiles> {
  const { context, state } = transition;
  for (const entry of auditEntriesFor(transition)) await audit.append(context.folder, context.executionId, entry);
  const stage = attemptStage(transition);
  let notebookPath: string | null = null;
  if (stage) notebookPath = await writeAttemptNotebook(context.folder, Math.max(1, context.attempt), stage, await notebookFor(transition, stage));
  if (state === 'done') {
    if (context.result?.results) await writeResults(context.folder, context.result.results);
    notebookPath = await writeFinalNotebook(context.folder, await notebookFor(transition, 'final'));
  }
  return { notebookPath };
}
