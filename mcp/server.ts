/**
 * The pyexec MCP server: one McpServer per client connection (the SDK binds a
 * server to one transport), all of them on the same pyexec client. It is an
 * edge like the CLI: it speaks the public protocol through PyexecClient and
 * never reaches into the service.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpContext } from './mcp-context.ts';
import { registerResources } from './resources.ts';
import { registerTools } from './tools.ts';

export const serverInfo = { name: 'pyexec', version: '0.1.0' };

export function createMcpServer(context: McpContext): McpServer {
  const mcp = new McpServer(serverInfo, {
    capabilities: { tools: {}, resources: {} },
    instructions:
      'pyexec runs Python for tasks in an accelerator control room. python_execute analyses the code, waits for a human approval when ' +
      'policy says so (progress notifications meanwhile), runs it and returns results, figures and a notebook. Control-system writes need ' +
      'mode "read_write" and a human approval. Chain executions with context_from.',
  });
  registerTools(mcp, context);
  registerResources(mcp, context);
  return mcp;
}
