/**
 * What the review page shows, as JSON built from an execution's KV record
 * (and, for the detail, its audit trail). Files are referred to by URLs of
 * this server, never by their paths on disk.
 */
import type { ExecutionView } from '../actors/client.ts';
import type { AuditVerification } from '../adapters/audit/audit-trail.ts';
import type { LimitChecks } from '../protocol/channel-limits.ts';
import type { PvAccess } from '../protocol/internal.ts';
import type { ApprovalSummary } from './approval-summary.ts';

export interface ListItem {
  execution_id: string;
  state: string;
  outcome: string | null;
  task_objective: string;
  requester: string;
  mode: string | null;
  created_at: string;
  updated_at: string;
  deadline: string | null;
  /** Who made the decision that counted; null when none did. */
  decided_by: string | null;
}

export function listItem({ record, context }: ExecutionView): ListItem {
  return {
    execution_id: record.execution_id,
    state: record.state,
    outcome: record.outcome,
    task_objective: context.request.task_objective,
    requester: context.request.requester,
    mode: context.analysis?.execution_mode ?? null,
    created_at: context.createdAt,
    updated_at: record.updated_at,
    deadline: record.state === 'awaitingApproval' ? (context.approval?.deadline ?? null) : null,
    decided_by: context.decision?.approver ?? null,
  };
}

export interface DetailLinks {
  /** This server's URL of the notebook, when there is one. */
  notebook: string | null;
  /** The Jupyter server's link, when execution.jupyter.public_url is configured. */
  jupyterNotebook: string | null;
  /** This server's URL of figure N, for N = 0, 1, … */
  figure(index: number): string;
}

/** One control-system access as the page lists it: writes first, each with its literal value when the code gives one, and its limits verdict when a limits file was checked. */
export interface Access extends PvAccess {
  kind: 'write' | 'read';
  limits?: { verdict: string; limit: string | null; message: string };
}

function accesses(writes: PvAccess[], reads: PvAccess[], checks: LimitChecks | undefined): Access[] {
  const checkOf = (write: PvAccess) => checks?.writes.find((check) => check.line === write.line && check.pv === write.pv && check.function === write.function);
  return [
    ...writes.map((write) => {
      const check = checkOf(write);
      return { ...write, kind: 'write' as const, ...(check ? { limits: { verdict: check.verdict, limit: check.limit, message: check.message } } : {}) };
    }),
    ...reads.map((read) => ({ ...read, kind: 'read' as const })),
  ];
}

export function detail(
  view: ExecutionView,
  links: DetailLinks,
  audit: { records: Array<Record<string, unknown>>; verification: AuditVerification },
  approvalSummary: ApprovalSummary | null,
) {
  const { record, context } = view;
  const analysis = context.analysis;
  const writes = analysis?.control_system.writes ?? [];
  const reads = analysis?.control_system.reads ?? [];
  const writeLines = new Set(writes.map((write) => write.line));
  // The findings on written lines come first: they are what an approver must not miss.
  const findings = [...(analysis?.findings ?? [])].sort((a, b) => Number(writeLines.has(b.line)) - Number(writeLines.has(a.line)) || a.line - b.line);
  return {
    ...listItem(view),
    user_query: context.request.user_query,
    outcome_detail: context.outcomeDetail,
    attempt: context.attempt,
    code: context.code,
    code_sha256: context.codeSha256,
    code_source: context.codeSource,
    findings,
    accesses: accesses(writes, reads, analysis?.limit_checks),
    /** The limits file the writes were checked against, when there was one. */
    limits_file: analysis?.limit_checks ? { file: analysis.limit_checks.file, version: analysis.limit_checks.version, unavailable: analysis.limit_checks.unavailable ?? null } : null,
    /** Lines to highlight: every finding's, and every control-system access's (marked write or read by the page). */
    highlighted_lines: [...new Set([...findings.map((f) => f.line), ...writes.map((w) => w.line), ...reads.map((r) => r.line)])].filter((line) => line > 0).sort((a, b) => a - b),
    reasoning: analysis?.reasoning ?? [],
    approval: context.approval && { approval_id: context.approval.approvalId, deadline: context.approval.deadline, requested_at: context.approval.requestedAt },
    approval_summary: record.state === 'awaitingApproval' ? approvalSummary : null,
    awaiting_decision: record.state === 'awaitingApproval',
    decision: context.decision,
    refused_decisions: context.refusedDecisions,
    results: context.result?.results ?? null,
    stdout: context.result?.stdout ?? '',
    figures: (context.result?.figures ?? []).map((_, index) => links.figure(index)),
    notebook_url: links.notebook,
    jupyter_notebook_url: links.jupyterNotebook,
    error_chain: context.errorChain.map(({ stage, attempt, type, message, at }) => ({ stage, attempt, type, message, at })),
    audit: { records: audit.records, ok: audit.verification.ok, problems: audit.verification.problems },
  };
}
