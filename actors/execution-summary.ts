/** The final answer for a caller, from an ended execution's context (the `done` event carries it). */
import type { ExecutionSummary } from '../protocol/public.ts';
import type { ExecutionContext } from '../machines/execution-types.ts';

export function summaryOf(context: ExecutionContext, notebookPath: string | null): ExecutionSummary {
  return {
    execution_id: context.executionId,
    outcome: context.outcome ?? 'unknown',
    results: context.result?.results ?? null,
    figures: context.result?.figures ?? [],
    notebook_path: notebookPath,
    folder: context.folder,
    code: context.code,
    execution_mode: context.analysis?.execution_mode ?? null,
    error_chain: context.errorChain,
    stdout: context.result?.stdout ?? '',
    ...(context.result?.channel_limits ? { channel_limits: context.result.channel_limits } : {}),
  };
}
