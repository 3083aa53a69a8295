/**
 * Asking the agent's user to approve (MCP elicitation), when the client can
 * and config mcp.elicit_approvals allows it. The answer becomes a decision
 * (PyexecClient.decide) bound to the approval id and the hash of the code
 * that was shown, like any other approver's: the service counts it only if
 * that code is still the one waiting, and the audit trail records who
 * answered. Dismissing the question leaves the decision to the other
 * approvers.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { PendingApproval } from '../client/client.ts';

/** The user's answer, to be sent as a decision on the approval that was shown. */
export interface ElicitedAnswer {
  verdict: 'approve' | 'reject';
  reason: string;
  approver: string;
}

export function canElicit(server: Server): boolean {
  return server.getClientCapabilities()?.elicitation?.form !== undefined;
}

export async function askForApproval(server: Server, executionId: string, pending: PendingApproval, signal: AbortSignal): Promise<ElicitedAnswer | null> {
  const timeout = Math.min(2 ** 31 - 1, Math.max(1_000, Date.parse(pending.approval.deadline) - Date.now()));
  const answer = await server.elicitInput(
    {
      message: approvalQuestion(executionId, pending),
      requestedSchema: {
        type: 'object',
        properties: {
          decision: { type: 'string', title: 'Decision', enum: ['approve', 'reject'], description: 'Run this exact code, or not' },
          reason: { type: 'string', title: 'Reason', description: 'Why (kept in the audit trail)' },
        },
        required: ['decision'],
      },
    },
    { signal, timeout },
  );
  if (answer.action === 'cancel') return null;
  const approve = answer.action === 'accept' && answer.content?.decision === 'approve';
  const given = typeof answer.content?.reason === 'string' ? answer.content.reason : '';
  const client = server.getClientVersion();
  return {
    verdict: approve ? 'approve' : 'reject',
    reason: given || (answer.action === 'decline' ? 'declined by the user of the MCP client' : `${approve ? 'approved' : 'rejected'} through MCP elicitation`),
    approver: `mcp-elicitation:${client?.name ?? 'unnamed-client'}`,
  };
}

function approvalQuestion(executionId: string, { approval, code, analysis }: PendingApproval): string {
  const writes = analysis.control_system.writes.map((write) => `${write.pv ?? '(computed PV)'} at line ${write.line}`);
  return [
    `pyexec asks for approval to run execution ${executionId} in mode "${analysis.execution_mode}".`,
    ...analysis.reasoning,
    writes.length ? `Control-system writes: ${writes.join(', ')}.` : '',
    ...analysis.findings.map((finding) => `${finding.severity} line ${finding.line}: ${finding.message}`),
    `Code (sha256 ${approval.code_sha256}):`,
    code,
    `Decide by ${approval.deadline}. Other approvers (review page, CLI) may decide first.`,
  ]
    .filter(Boolean)
    .join('\n');
}
