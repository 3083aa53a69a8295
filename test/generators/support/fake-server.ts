/**
 * A scripted HTTP server on a random local port: each request gets the next
 * scripted reply (JSON, server-sent events, a raw body, or silence), so the
 * real openai and Anthropic SDKs run against it. Every request is recorded.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'vitest';
import { tempDir } from '../../support/temp.ts';

export type Reply =
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'sse'; events: readonly SseEvent[] }
  | { kind: 'raw'; status?: number; contentType: string; body: string }
  | { kind: 'hang' };

export interface SseEvent {
  event?: string;
  data: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Script = readonly Reply[] | ((request: RecordedRequest, index: number) => Reply);

function send(response: ServerResponse, reply: Reply): void {
  switch (reply.kind) {
    case 'json':
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      response.end(JSON.stringify(reply.body));
      return;
    case 'raw':
      response.writeHead(reply.status ?? 200, { 'content-type': reply.contentType });
      response.end(reply.body);
      return;
    case 'sse':
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const event of reply.events) {
        response.write(`${event.event ? `event: ${event.event}\n` : ''}data: ${event.data}\n\n`);
      }
      response.end();
      return;
    case 'hang':
      return; // never answers: the client's timeout must fire
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFakeServer(script: Script): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: parseBody(Buffer.concat(chunks).toString('utf8')),
      };
      const index = requests.push(recorded) - 1;
      const reply = typeof script === 'function' ? script(recorded, index) : script[index];
      if (reply === undefined) {
        send(response, { kind: 'json', status: 418, body: { error: { message: `no scripted reply for request ${index + 1}` } } });
        return;
      }
      send(response, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ServerPerTest {
  /** The test's own folder (the execution folder transcripts go to). */
  readonly folder: string;
  /** The server the test started last. */
  readonly server: FakeServer;
  start(script: Script): Promise<FakeServer>;
}

/** Registers hooks that give each test of the file a fresh folder and close the server it started (closing twice is harmless). */
export function serverPerTest(): ServerPerTest {
  let folder: ReturnType<typeof tempDir> | undefined;
  let server: FakeServer | undefined;
  beforeEach(() => {
    folder = tempDir();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    folder?.remove();
  });
  return {
    get folder() {
      if (!folder) throw new Error('the folder exists only while a test runs');
      return folder.path;
    },
    get server() {
      if (!server) throw new Error('this test started no server');
      return server;
    },
    async start(script) {
      server = await startFakeServer(script);
      return server;
    },
  };
}
