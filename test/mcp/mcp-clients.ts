/**
 * MCP clients from the SDK for the tests: over stdio, spawning the real
 * `node bin/pyexec.js mcp`; over Streamable HTTP, against a `pyexec mcp
 * --http` process started here (its URL read from what it prints).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { pyexecBin, startCli, type CliRun } from '../support/cli.ts';

export interface StdioOptions {
  capabilities?: ClientCapabilities;
  name?: string;
  env?: Record<string, string>;
  /** Receives the server's stderr (its logs); otherwise the test's stderr shows it. */
  onStderr?: (text: string) => void;
}

export async function stdioClient(args: string[], options: StdioOptions = {}): Promise<Client> {
  const client = new Client({ name: options.name ?? 'test-agent', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [pyexecBin, 'mcp', ...args],
    env: { ...(process.env as Record<string, string>), NO_COLOR: '1', ...options.env },
    stderr: options.onStderr ? 'pipe' : 'inherit',
  });
  const { onStderr } = options;
  if (onStderr) transport.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString()));
  await client.connect(transport);
  return client;
}

export interface HttpMcp {
  url: URL;
  process: CliRun;
  connect(options?: { token?: string; name?: string }): Promise<Client>;
  stop(): Promise<void>;
}

export async function startHttpMcp(args: string[], token: string): Promise<HttpMcp> {
  const server = startCli(['mcp', '--http', '--port', '0', ...args], { env: { PYEXEC_MCP_TOKEN: token } });
  let stderr = '';
  server.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await server.waitForStderr('listening on ', 60_000);
  const url = new URL(/listening on (\S+)/.exec(stderr)?.[1] ?? '');
  return {
    url,
    process: server,
    connect: async ({ token: given = token, name = 'http-agent' } = {}) => {
      const client = new Client({ name, version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${given}` } } }));
      return client;
    },
    stop: async () => {
      server.child.kill('SIGTERM');
      await server.result;
    },
  };
}
