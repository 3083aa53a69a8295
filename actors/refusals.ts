/**
 * Decisions that do not count, reported the same way wherever they are
 * judged: recorded in the execution's audit trail (`decision_received`, then
 * `decision_refused` with the reason), a `decision_refused` event on
 * pyexec.events.<id>, and a protocol error on pyexec.errors naming the
 * subject it arrived on. The statechart judges decisions for executions in
 * flight (the runner audits its refusals with the transition, transition-outputs.ts); the supervisor
 * judges the rest here: misaddressed ones and those for a finished execution.
 */
import type { Bus } from '../bus/bus.ts';
import type { ApprovalDecision } from '../protocol/public.ts';
import type { AuditEntry, AuditTrail } from '../adapters/recorder/recorder.ts';
import { publishAll } from './message-intake.ts';
import { refusalPublications } from './transition-outputs.ts';

/** What the audit keeps of a decision as it arrives: who, what, for which code, and its signature and key. */
export function receivedEntry(decision: ApprovalDecision): AuditEntry {
  return {
    event: 'decision_received',
    approval_id: decision.approval_id,
    approver: decision.approver,
    verdict: decision.verdict,
    reason: decision.reason,
    code_sha256: decision.code_sha256,
    decided_at: decision.decided_at,
    signed_by: decision.public_key ?? null,
    signature: decision.signature ?? null,
  };
}

/**
 * A decision refused outside the statechart. `folder` is null when the
 * execution it names is unknown (nothing to audit then); `received`, when
 * its `decision_received` record is in the trail already.
 */
export async function refuseDecision(
  deps: { bus: Bus; audit: AuditTrail },
  decision: ApprovalDecision,
  subject: string,
  reason: string,
  folder: string | null,
  received = false,
): Promise<void> {
  const at = new Date().toISOString();
  if (folder !== null) {
    const refused: AuditEntry = { event: 'decision_refused', approval_id: decision.approval_id, approver: decision.approver, reason, decided_at: at };
    await deps.audit.appendAll(folder, decision.execution_id, received ? [refused] : [receivedEntry(decision), refused]);
  }
  const refusal = { approvalId: decision.approval_id, approver: decision.approver, reason, at };
  await publishAll(deps.bus, decision.execution_id, refusalPublications(subject, decision.execution_id, refusal));
}
