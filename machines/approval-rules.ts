/**
 * When an approval decision counts. It binds to the pending approval id, to
 * the sha256 of the exact code that was analysed, and to the deadline; any
 * other decision (stale id, other code, late, replayed) is refused with a
 * reason that goes to the audit trail.
 */
import type { ApprovalDecision } from '../bus/messages.ts';
import type { ExecutionContext } from './execution-types.ts';

export function refusalReason(
  context: Pick<ExecutionContext, 'approval' | 'decision' | 'executionId'>,
  decision: ApprovalDecision,
  at: string,
): string | null {
  if (decision.execution_id !== context.executionId) return 'the decision names another execution';
  if (context.decision !== null && context.decision.approvalId === decision.approval_id) {
    return 'a decision for this approval was already taken (replay)';
  }
  if (context.approval === null) return 'no approval is pending';
  if (decision.approval_id !== context.approval.approvalId) return `stale approval id (pending: ${context.approval.approvalId})`;
  if (decision.code_sha256 !== context.approval.codeSha256) return 'the decision is for other code (sha256 differs from the code analysed)';
  if (at > context.approval.deadline) return 'the approval deadline has passed';
  return null;
}
