/**
 * Approval decisions, built in one place for every approver the TypeScript
 * client serves (the CLI, the review page, the MCP server): bound to an
 * approval id and the hash of the code the approver saw, signed when a signer
 * is given (config approval.require_signed_decisions).
 */
import type { AnalysisResult } from '../protocol/internal.ts';
import type { ExecutionView, ViewApproval } from '../protocol/execution-view.ts';
import type { ApprovalDecision } from '../protocol/public.ts';

/** Signs a decision with an approver's key (adapters/signing/decision-keys.ts ApproverKey is one). */
export interface DecisionSigner {
  readonly publicKey: string;
  sign(decision: ApprovalDecision): ApprovalDecision;
}

/** The approval a decision is for: its id and the hash of its code. */
export type ApprovalRef = Pick<ViewApproval, 'approval_id' | 'code_sha256'>;

export interface DecisionOptions {
  /** Who decides (default: the client's identity). */
  approver?: string;
  reason?: string;
  signer?: DecisionSigner | null;
  /**
   * The approval the approver looked at: a decision never moves silently to
   * newer code (the service refuses it once that approval is no longer
   * pending). Without it, the approval pending now.
   */
  approval?: ApprovalRef;
}

export function buildDecision(
  executionId: string,
  approval: ApprovalRef,
  verdict: 'approve' | 'reject',
  { reason, approver, signer }: { reason: string; approver: string; signer?: DecisionSigner | null },
): ApprovalDecision {
  const decision: ApprovalDecision = {
    execution_id: executionId,
    approval_id: approval.approval_id,
    code_sha256: approval.code_sha256,
    verdict,
    reason,
    approver,
    decided_at: new Date().toISOString(),
  };
  return signer ? signer.sign(decision) : decision;
}

/** The approval an execution waits for, with the code and analysis an approver looks at. */
export interface PendingApproval {
  approval: ViewApproval;
  code: string;
  analysis: AnalysisResult;
}

/** What waits for a decision right now; null when the execution is not waiting. */
export function pendingApproval(view: ExecutionView | null): PendingApproval | null {
  if (view?.state !== 'awaitingApproval' || !view.approval || !view.analysis || view.code === null) return null;
  return { approval: view.approval, code: view.code, analysis: view.analysis };
}
