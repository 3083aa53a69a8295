/** What the MCP server works with: a pyexec client (embedded or NATS), the analysis, and its settings. */
import type { PyexecClient } from '../client/client.ts';
import type { AnalysisResult } from '../protocol/internal.ts';
import type { Logger } from '../logging/logger.ts';

export interface McpContext {
  client: PyexecClient;
  /** The static analysis as the service would run it (python_analyze). */
  analyze(code: string): Promise<AnalysisResult>;
  logger: Logger;
  /** Ask the user for approvals through MCP elicitation when the client can (config mcp.elicit_approvals). */
  elicitApprovals: boolean;
  /** Characters of stdout and of stderr in a result (config mcp.output_chars). */
  outputChars: number;
  /** How often a call waiting for approval says it still waits (keeps timeouts that reset on progress from firing). */
  reminderMs: number;
}
