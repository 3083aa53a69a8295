/**
 * The signed form of an approval decision: the exact bytes an approver signs
 * and the check of a signature over them. One definition for the signer
 * (adapters/signing), the rules that judge a decision (machines/) and any
 * client in another language (docs/protocol.md gives the same layout).
 */
import { fromPublic } from '@nats-io/nkeys';

/** Version tag of the signed text; a new layout gets a new tag. */
export const decisionSigningVersion = 'pyexec-decision-v1';

/** The fields of an approval decision (docs/protocol.md) that its signature covers. */
export interface SignedDecisionFields {
  execution_id: string;
  approval_id: string;
  code_sha256: string;
  verdict: 'approve' | 'reject';
  decided_at: string;
  approver: string;
}

/**
 * The exact bytes an approver signs: a JSON array (unambiguous, easy to
 * rebuild in any language) of the version tag, execution id, approval id,
 * code sha256, verdict, decision time and approver name, UTF-8 encoded.
 */
export function decisionSigningPayload(decision: SignedDecisionFields): Uint8Array {
  const fields = [
    decisionSigningVersion,
    decision.execution_id,
    decision.approval_id,
    decision.code_sha256,
    decision.verdict,
    decision.decided_at,
    decision.approver,
  ];
  return new TextEncoder().encode(JSON.stringify(fields));
}

/**
 * Whether `signature` (base64url) is the ed25519 signature of the decision by
 * the nkey `publicKey` (`U…`). Throws when the key or signature is malformed.
 */
export function verifyDecisionSignature(publicKey: string, decision: SignedDecisionFields, signature: string): boolean {
  return fromPublic(publicKey).verify(decisionSigningPayload(decision), Buffer.from(signature, 'base64url'));
}
