/**
 * When an approval decision counts. It binds to the pending approval id, to
 * the sha256 of the exact code that was analysed, and to the deadline; any
 * other decision (stale id, other code, late, replayed) is refused with a
 * reason that goes to the audit trail.
 *
 * Where the policy lists approver keys, a decision also has to be signed
 * (ed25519 nkey) by one of them over protocol/signing.ts's payload. Checking a
 * signature is deterministic computation on the event and the snapshot, so
 * it stays here, in the pure rules: every supervisor that restores the
 * snapshot judges a decision the same way, with the key list the execution
 * was created under.
 */
import type { ApprovalDecision } from '../protocol/public.ts';
import { verifyDecisionSignature } from '../protocol/signing.ts';
import type { ExecutionContext } from './execution-types.ts';

/** Why a signed decision does not come from a listed approver key, or null when it does. */
export function signatureRefusal(approverKeys: readonly string[], decision: ApprovalDecision): string | null {
  if (!decision.signature || !decision.public_key) return 'unsigned decision (signed decisions are required)';
  if (!approverKeys.includes(decision.public_key)) return `signed by a key that is not an approver (${decision.public_key})`;
  try {
    if (!verifyDecisionSignature(decision.public_key, decision, decision.signature)) {
      return 'the signature does not match the decision (execution, approval, code, verdict, time, approver)';
    }
  } catch (error) {
    return `the signature cannot be checked: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}

export function refusalReason(
  context: Pick<ExecutionContext, 'approval' | 'decision' | 'executionId' | 'policy'>,
  decision: ApprovalDecision,
  at: string,
): string | null {
  if (decision.execution_id !== context.executionId) return 'the decision names another execution';
  const approverKeys = context.policy.approverKeys;
  if (approverKeys) {
    const refusal = signatureRefusal(approverKeys, decision);
    if (refusal) return refusal;
  }
  if (context.decision !== null && context.decision.approvalId === decision.approval_id) {
    return 'a decision for this approval was already taken (replay)';
  }
  if (context.approval === null) return 'no approval is pending';
  if (decision.approval_id !== context.approval.approvalId) return `stale approval id (pending: ${context.approval.approvalId})`;
  if (decision.code_sha256 !== context.approval.codeSha256) return 'the decision is for other code (sha256 differs from the code analysed)';
  if (at > context.approval.deadline) return 'the approval deadline has passed';
  return null;
}
