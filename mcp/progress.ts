/**
 * MCP progress notifications for one tool call: sent only when the caller
 * asked for them (a progressToken in the request's _meta), numbered so that
 * each is later than the one before (the protocol wants it increasing).
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export function progressSender(extra: ToolExtra): (message: string) => void {
  const progressToken = extra._meta?.progressToken;
  let progress = 0;
  return (message) => {
    if (progressToken === undefined || extra.signal.aborted) return;
    progress += 1;
    // A client gone meanwhile is no reason to stop following the execution.
    extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } }).catch(() => {});
  };
}
