/**
 * What the review page shows, as JSON built from an execution's KV record
 * (and, for the detail, its audit trail). Files are referred to by URLs of
 * this server, never by their paths on disk.
 */
import type { ExecutionView } from '../actors/client.ts';
import type { AuditVerification } from '../adapters/audit/audit-trail.ts';

export interface ListItem {
  execution_id: string;
  state: string;
  outcome: string | null;
  task_objective: string;
  requester: string;
  mode: string | null;
  updated_at: string;
  deadline: string | null;
}

export function listItem({ record, context }: ExecutionView): ListItem {
  return {
    execution_id: record.execution_id,
    state: record.state,
    outcome: record.outcome,
    task_objective: context.request.task_objective,
    requester: context.request.requester,
    mode: context.analysis?.execution_mode ?? null,
    updated_at: record.updated_at,
    deadline: record.state === 'awaitingApproval' ? (context.approval?.deadline ?? null) : null,
  };
}

export interface DetailLinks {
  /** This server's URL of the notebook, when there is one. */
  notebook: string | null;
  /** The Jupyter server's link, when execution.jupyter.public_url is configured. */
  jupyterNotebook: string | null;
}

export function detail(view: ExecutionView, links: DetailLinks, audit: { records: Array<Record<string, unknown>>; verification: AuditVerification }) {
  const { record, context } = view;
  const id = record.execution_id;
  const analysis = context.analysis;
  return {
    ...listItem(view),
    user_query: context.request.user_query,
    outcome_detail: context.outcomeDetail,
    created_at: context.createdAt,
    attempt: context.attempt,
    code: context.code,
    code_sha256: context.codeSha256,
    code_source: context.codeSource,
    findings: analysis?.findings ?? [],
    control_system: analysis?.control_system ?? { reads: [], writes: [] },
    /** Lines to highlight: every finding's, and every control-system write's. */
    highlighted_lines: [...new Set([...(analysis?.findings ?? []).map((f) => f.line), ...(analysis?.control_system.writes ?? []).map((w) => w.line)])]
      .filter((line) => line > 0)
      .sort((a, b) => a - b),
    reasoning: analysis?.reasoning ?? [],
    approval: context.approval && { approval_id: context.approval.approvalId, deadline: context.approval.deadline, requested_at: context.approval.requestedAt },
    awaiting_decision: record.state === 'awaitingApproval',
    decision: context.decision,
    refused_decisions: context.refusedDecisions,
    results: context.result?.results ?? null,
    stdout: context.result?.stdout ?? '',
    figures: (context.result?.figures ?? []).map((_, index) => `/api/executions/${encodeURIComponent(id)}/figures/${index}`),
    notebook_url: links.notebook,
    jupyter_notebook_url: links.jupyterNotebook,
    error_chain: context.errorChain.map(({ stage, attempt, type, message, at }) => ({ stage, attempt, type, message, at })),
    audit: { records: audit.records, ok: audit.verification.ok, problems: audit.verification.problems },
  };
}
