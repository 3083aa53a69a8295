/**
 * `pyexec mcp`: the MCP server for agents, over stdio (an agent spawns it) or
 * Streamable HTTP with a bearer token (--http), against the embedded default
 * (the service runs in this process; --state-dir keeps executions across
 * restarts) or a NATS deployment (--nats). docs/mcp.md.
 */
import { Command, Option } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createAnalyzer } from '../../adapters/analysis/index.ts';
import { createLogger } from '../../logging/logger.ts';
import type { Config } from '../../config/schema.ts';
import type { McpContext } from '../../mcp/mcp-context.ts';
import { minimumTokenLength } from '../../mcp/bearer.ts';
import { createMcpServer } from '../../mcp/server.ts';
import { serveHttp } from '../../mcp/http.ts';
import { openBackend } from '../backend.ts';
import { UsageError } from '../connection.ts';
import { configFrom, withConnectionOptions, type ConnectionOptions } from '../options.ts';
import { untilSignalled } from '../process-lifetime.ts';

interface McpOptions extends ConnectionOptions {
  http?: boolean;
  host?: string;
  port?: string;
  bearerToken?: string;
}

/** A waiting call says it still waits this often (clients that reset their timeout on progress keep waiting). */
const reminderMs = 10_000;

export function mcpCommand(): Command {
  return withConnectionOptions(
    new Command('mcp')
      .description('serve pyexec to agents over the Model Context Protocol (stdio, or Streamable HTTP with --http)')
      .option('--http', 'serve Streamable HTTP on /mcp instead of stdio (needs a bearer token)')
      .option('--host <address>', 'HTTP address to listen on (default: config mcp.host, 127.0.0.1)')
      .option('--port <n>', 'HTTP port (default: config mcp.port, 8322; 0 picks a free one)')
      .addOption(new Option('--bearer-token <secret>', `token HTTP clients must send (at least ${minimumTokenLength} characters; better: the environment variable)`).env('PYEXEC_MCP_TOKEN')),
  ).action(async (options: McpOptions) => {
    const config = configFrom(options);
    const logger = createLogger(config.service.log_level, 'pyexec-mcp');
    if (options.http && (options.bearerToken ?? '').length < minimumTokenLength) {
      throw new UsageError(`--bearer-token (or PYEXEC_MCP_TOKEN): --http needs a token of at least ${minimumTokenLength} characters`);
    }
    const backend = await openBackend(options, config, { name: 'pyexec mcp', identity: 'pyexec-mcp', logger, warmKernel: true });
    const analyzer = await createAnalyzer(config);
    const context: McpContext = {
      client: backend.client,
      analyze: (code) => analyzer.analyze(code),
      logger,
      elicitApprovals: config.mcp.elicit_approvals,
      outputChars: config.mcp.output_chars,
      reminderMs,
    };
    try {
      if (options.http) await serveOverHttp(context, config, options, logger);
      else await serveOverStdio(context);
    } finally {
      await backend.close();
    }
  });
}

async function serveOverStdio(context: McpContext): Promise<void> {
  const server = createMcpServer(context);
  const transport = new StdioServerTransport();
  // The agent closing our stdin is the end of the session; a signal ends it too.
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await Promise.race([closed, untilSignalled()]);
  await server.close();
}

async function serveOverHttp(context: McpContext, config: Config, options: McpOptions, logger: McpContext['logger']): Promise<void> {
  const port = options.port === undefined ? config.mcp.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected 0-65535, got "${options.port}"`);
  const endpoint = await serveHttp({
    host: options.host ?? config.mcp.host,
    port,
    token: options.bearerToken ?? '',
    logger,
    newServer: () => createMcpServer(context),
  });
  process.stderr.write(`pyexec mcp: listening on ${endpoint.url}\n`);
  const signal = await untilSignalled();
  process.stderr.write(`pyexec mcp: ${signal}, stopping\n`);
  await endpoint.close();
}
