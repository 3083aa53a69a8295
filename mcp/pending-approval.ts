/** The approval an execution waits for, as the MCP server reads it from the execution's record. */
import type { ExecutionView } from '../actors/client.ts';
import type { AnalysisResult } from '../protocol/internal.ts';

export interface PendingApproval {
  approvalId: string;
  codeSha256: string;
  deadline: string;
}

export interface WaitingExecution {
  pending: PendingApproval;
  analysis: AnalysisResult;
  code: string;
}

/** What is waiting for a decision right now, or null when the execution is not waiting. */
export function waitingFor(view: ExecutionView | null): WaitingExecution | null {
  const context = view?.context;
  if (view?.record.state !== 'awaitingApproval' || !context?.approval || !context.analysis || context.code === null) return null;
  const { approvalId, codeSha256, deadline } = context.approval;
  return { pending: { approvalId, codeSha256, deadline }, analysis: context.analysis, code: context.code };
}
