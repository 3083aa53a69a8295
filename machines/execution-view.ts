/**
 * What clients read of an execution, as pure functions of its state and
 * context: the public view (protocol/execution-view.ts), which the supervisor
 * writes into the KV record with every snapshot, and the caller's summary,
 * which the last state event carries. A client derives the view from the
 * snapshot of a record written before views existed, with the same function.
 */
import type { ExecutionView } from '../protocol/execution-view.ts';
import type { ExecutionSummary, StateName } from '../protocol/public.ts';
import type { ExecutionContext } from './execution-types.ts';

/** Where the supervisor writes an ended execution's notebook (adapters/store/layout.ts). */
const finalNotebook = (folder: string) => `${folder}/notebook.ipynb`;

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

export function executionViewOf(state: StateName, context: ExecutionContext): ExecutionView {
  const { request, approval, decision } = context;
  return {
    execution_id: context.executionId,
    state,
    outcome: context.outcome,
    outcome_detail: context.outcomeDetail,
    attempt: context.attempt,
    created_at: context.createdAt,
    updated_at: context.updatedAt,
    folder: context.folder,
    request: { task_objective: request.task_objective, user_query: request.user_query, requester: request.requester, context_from: request.context_from ?? [] },
    code: context.code,
    code_sha256: context.codeSha256,
    code_source: context.codeSource,
    analysis: context.analysis,
    approval: approval && { approval_id: approval.approvalId, code_sha256: approval.codeSha256, deadline: approval.deadline, requested_at: approval.requestedAt },
    decision: decision && { approval_id: decision.approvalId, approver: decision.approver, verdict: decision.verdict, reason: decision.reason, decided_at: decision.decidedAt },
    refused_decisions: context.refusedDecisions.map(({ approvalId, approver, reason, at }) => ({ approval_id: approvalId, approver, reason, at })),
    error_chain: context.errorChain,
    stderr: context.result?.stderr ?? '',
    output_truncated: context.result?.output_truncated ?? false,
    summary: state === 'done' ? summaryOf(context, finalNotebook(context.folder)) : null,
  };
}
