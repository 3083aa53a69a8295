/** What names an execution wherever executions are listed or described (the review page, the MCP resource). */
import type { ExecutionView } from '../protocol/execution-view.ts';

export function listingOf({ execution_id, state, outcome, request }: ExecutionView) {
  return { execution_id, state, outcome, task_objective: request.task_objective, requester: request.requester };
}
