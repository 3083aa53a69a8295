/**
 * The Streamable HTTP transport of `pyexec mcp --http`: one endpoint (/mcp),
 * a bearer token on every request, one session (transport and McpServer)
 * per client, kept until the client ends it or the process stops. A session
 * that goes away leaves its executions running.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../logging/logger.ts';
import { bearerCheck } from './bearer.ts';

export interface HttpOptions {
  host: string;
  port: number;
  token: string;
  logger: Logger;
  /** A new MCP server for a new session. */
  newServer(): McpServer;
}

export interface HttpEndpoint {
  url: string;
  close(): Promise<void>;
}

/** Bodies larger than this are refused (code and context come in the body). */
const maxBodyBytes = 8 * 1024 * 1024;

export async function serveHttp(options: HttpOptions): Promise<HttpEndpoint> {
  const authorised = bearerCheck(options.token);
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/mcp') return reply(response, 404, 'not found: the MCP endpoint is /mcp');
    if (!authorised(request)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="pyexec mcp"');
      return reply(response, 401, 'a valid bearer token is required (Authorization: Bearer <token>)');
    }
    const sessionId = request.headers['mcp-session-id'];
    const body = request.method === 'POST' ? await readJson(request) : undefined;
    if (body instanceof BodyError) return reply(response, body.status, body.message);
    const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (session) return session.transport.handleRequest(request, response, body);
    if (sessionId !== undefined) return reply(response, 404, 'unknown or ended session: initialize a new one');
    if (request.method !== 'POST' || !isInitializeRequest(body)) return reply(response, 400, 'no session: the first request must be initialize');
    const server = options.newServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  };

  const http = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error }, 'MCP HTTP request failed');
      if (!response.headersSent) reply(response, 500, 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, resolve);
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/mcp`,
    close: async () => {
      await Promise.all([...sessions.values()].map(({ server }) => server.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function reply(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const tooLarge = new BodyError(413, `request body larger than ${maxBodyBytes} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > maxBodyBytes) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) return tooLarge;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return new BodyError(400, 'request body is not JSON');
  }
}
