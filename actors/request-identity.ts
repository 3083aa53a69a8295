/**
 * Whether a request that names an existing execution is a repeat of the one
 * that created it (a retried publish: acknowledged) or another request reusing
 * the id (refused). Compared as parsed, defaults filled in; `context` only
 * when the request has no `context_from`, whose results were merged into the
 * stored request's context at intake.
 */
import type { ExecutionRequest } from '../protocol/public.ts';
import { canonicalJson } from '../protocol/canonical-json.ts';

export function sameRequest(stored: ExecutionRequest, incoming: ExecutionRequest): boolean {
  const comparable = (request: ExecutionRequest) => {
    const { context, ...rest } = request;
    return canonicalJson(request.context_from === undefined ? { ...rest, context } : rest);
  };
  return comparable(stored) === comparable(incoming);
}
