/**
 * What the review page shows, as JSON built from an execution's public view
 * (and, for the detail, its audit trail). Files are referred to by URLs of
 * this server, never by their paths on disk.
 */
import { listingOf, type ExecutionView } from '../client/client.ts';
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

export function listItem(view: ExecutionView): ListItem {
  const { state, analysis, created_at, updated_at, approval, decision } = view;
  return {
    ...listingOf(view),
    mode: analysis?.execution_mode ?? null,
    created_at,
    updated_at,
    deadline: state === 'awaitingApproval' ? (approval?.deadline ?? null) : null,
    decided_by: decision?.approver ?? null,
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
  const { analysis, summary } = view;
  const writes = analysis?.control_system.writes ?? [];
  const reads = analysis?.control_system.reads ?? [];
  const writeLines = new Set(writes.map((write) => write.line));
  // The findings on written lines come first: they are what an approver must not miss.
  const findings = [...(analysis?.findings ?? [])].sort((a, b) => Number(writeLines.has(b.line)) - Number(writeLines.has(a.line)) || a.line - b.line);
  return {
    ...listItem(view),
    user_query: view.request.user_query,
    outcome_detail: view.outcome_detail,
    attempt: view.attempt,
    code: view.code,
    code_sha256: view.code_sha256,
    code_source: view.code_source,
    findings,
    accesses: accesses(writes, reads, analysis?.limit_checks),
    /** The limits file the writes were checked against, when there was one. */
    limits_file: analysis?.limit_checks ? { file: analysis.limit_checks.file, version: analysis.limit_checks.version, unavailable: analysis.limit_checks.unavailable ?? null } : null,
    /** Lines to highlight: every finding's, and every control-system access's (marked write or read by the page). */
    highlighted_lines: [...new Set([...findings.map((f) => f.line), ...writes.map((w) => w.line), ...reads.map((r) => r.line)])].filter((line) => line > 0).sort((a, b) => a - b),
    reasoning: analysis?.reasoning ?? [],
    approval: view.approval && { approval_id: view.approval.approval_id, deadline: view.approval.deadline, requested_at: view.approval.requested_at },
    approval_summary: view.state === 'awaitingApproval' ? approvalSummary : null,
    awaiting_decision: view.state === 'awaitingApproval',
    decision: view.decision,
    refused_decisions: view.refused_decisions,
    results: summary?.results ?? null,
    stdout: summary?.stdout ?? '',
    figures: (summary?.figures ?? []).map((_, index) => links.figure(index)),
    notebook_url: links.notebook,
    jupyter_notebook_url: links.jupyterNotebook,
    error_chain: view.error_chain.map(({ stage, attempt, type, message, at }) => ({ stage, attempt, type, message, at })),
    audit: { records: audit.records, ok: audit.verification.ok, problems: audit.verification.problems },
  };
}
