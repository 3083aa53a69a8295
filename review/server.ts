/**
 * The operators' review page (`pyexec serve --ui`): an HTTP server over any
 * transport. It lists executions with their live state (server-sent events
 * from the bus), shows one in detail (code with the findings' lines marked,
 * analysis, deadline, results, figures, notebook, audit trail), and turns an
 * approver's click into a decision: bound to the approval and code the
 * operator saw, signed with the server's key on the operator's behalf, and
 * published like any other decision — the supervisor judges it.
 *
 * Login with the users of config `ui.users` (scrypt hashes). The role is
 * checked on every decision, and every POST must carry the session's CSRF
 * token and come from this origin.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PyexecClient, type ExecutionView } from '../actors/client.ts';
import { executionEventSchema, executionIdSchema, type ApprovalDecision } from '../bus/messages.ts';
import { subjects } from '../bus/subjects.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import { createAuditTrail } from '../adapters/audit/audit-trail.ts';
import type { Logger } from '../adapters/logger.ts';
import { notebookLink } from '../adapters/notebook/link.ts';
import type { ApproverKey } from '../adapters/signing/decision-keys.ts';
import { currentNotebook, figureType, insideFolder } from './files.ts';
import { assertSameOrigin, HttpError, readJsonBody, securityHeaders, sendJson } from './http.ts';
import { verifyPassword } from './passwords.ts';
import { csrfMatches, sessionCookieHeader, SessionStore, type Session } from './sessions.ts';
import { detail, listItem } from './views.ts';

export interface ReviewServerOptions {
  transport: Transport;
  config: Config;
  logger: Logger;
  /** The key decisions from the page are signed with; null sends them unsigned. */
  signer: ApproverKey | null;
  /** Override config ui.host / ui.port (0: any free port). */
  host?: string;
  port?: number;
}

export interface ReviewServer {
  readonly url: string;
  close(): Promise<void>;
}

const staticDir = fileURLToPath(new URL('./static/', import.meta.url));
const staticFiles: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/review.js': { file: 'review.js', type: 'text/javascript; charset=utf-8' },
  '/review.css': { file: 'review.css', type: 'text/css; charset=utf-8' },
};

const loginSchema = z.object({ name: z.string().min(1).max(200), password: z.string().min(1).max(1000) }).strict();
const decisionBodySchema = z
  .object({
    verdict: z.enum(['approve', 'reject']),
    reason: z.string().max(2000).default(''),
    /** The approval and code the operator looked at: a decision never silently moves to newer code. */
    approval_id: z.string().min(1),
    code_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict()
  .refine((body) => body.verdict === 'approve' || body.reason.trim() !== '', { message: 'a rejection needs a reason', path: ['reason'] });

/** Compared against when the user name is unknown, so a login takes as long either way. */
const unknownUserHash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const { transport, config, logger, signer } = options;
  const client = new PyexecClient(transport, 'review-page');
  const audit = createAuditTrail({ kv: transport.kv, log: transport.auditLog });
  const sessions = new SessionStore(config.ui.session_idle_seconds * 1000);
  const eventStreams = new Set<ServerResponse>();

  async function view(id: string): Promise<ExecutionView> {
    const parsed = executionIdSchema.safeParse(id);
    if (!parsed.success) throw new HttpError(400, `execution id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const found = await client.get(parsed.data);
    if (!found) throw new HttpError(404, `no execution ${id}`);
    return found;
  }

  function requireSession(request: IncomingMessage): Session {
    const session = sessions.fromCookie(request.headers.cookie);
    if (!session) throw new HttpError(401, 'log in first');
    return session;
  }

  /** Every POST but the login: a session, this origin, and the session's CSRF token in a header. */
  function requirePostSession(request: IncomingMessage): Session {
    assertSameOrigin(request);
    const session = requireSession(request);
    const token = request.headers['x-csrf-token'];
    if (!csrfMatches(session, typeof token === 'string' ? token : undefined)) throw new HttpError(403, 'missing or wrong CSRF token');
    return session;
  }

  const sessionInfo = (session: Session) => ({ name: session.operator.name, roles: session.operator.roles, csrf_token: session.csrfToken, signs_decisions: signer !== null });

  async function login(request: IncomingMessage, response: ServerResponse): Promise<void> {
    assertSameOrigin(request);
    const { name, password } = await readJsonBody(request, loginSchema);
    const user = config.ui.users.find((candidate) => candidate.name === name);
    const valid = await verifyPassword(password, user?.password_hash ?? unknownUserHash);
    if (!user || !valid) {
      logger.warn({ user: name }, 'review page: failed login');
      throw new HttpError(401, 'unknown user or wrong password');
    }
    const session = sessions.create({ name: user.name, roles: user.roles });
    logger.info({ user: user.name }, 'review page: login');
    sendJson(response, 200, sessionInfo(session), { 'Set-Cookie': sessionCookieHeader(session) });
  }

  async function decide(request: IncomingMessage, response: ServerResponse, id: string): Promise<void> {
    const session = requirePostSession(request);
    if (!session.operator.roles.includes('approver')) {
      logger.warn({ user: session.operator.name, executionId: id }, 'review page: decision refused, not an approver');
      throw new HttpError(403, `${session.operator.name} is not an approver`);
    }
    const body = await readJsonBody(request, decisionBodySchema);
    await view(id);
    const unsigned: ApprovalDecision = {
      execution_id: id,
      approval_id: body.approval_id,
      code_sha256: body.code_sha256,
      verdict: body.verdict,
      reason: body.reason,
      approver: session.operator.name,
      decided_at: new Date().toISOString(),
    };
    const decision = signer ? signer.sign(unsigned) : unsigned;
    await client.publishDecision(decision);
    logger.info({ user: session.operator.name, executionId: id, verdict: body.verdict }, 'review page: decision published');
    sendJson(response, 202, { published: true, approver: decision.approver, signed_by: decision.public_key ?? null });
  }

  async function executionDetail(response: ServerResponse, id: string): Promise<void> {
    const found = await view(id);
    const folder = found.context.folder;
    const notebook = await currentNotebook(folder);
    // On NATS the page may run on a host without the folder: the audit stream stands in for the file.
    const fileRecords = await audit.read(folder).catch(() => null);
    const records = fileRecords ?? (await audit.readLog(id)) ?? [];
    const verification = await audit.verify(fileRecords || !transport.auditLog ? folder : null, id);
    const links = {
      notebook: notebook ? `/api/executions/${encodeURIComponent(id)}/notebook` : null,
      jupyterNotebook: notebook && config.execution.jupyter.public_url ? notebookLink(config, notebook) : null,
    };
    sendJson(response, 200, detail(found, links, { records, verification }));
  }

  async function sendFile(response: ServerResponse, path: string, type: string, headers: Record<string, string> = {}): Promise<void> {
    response.writeHead(200, { ...securityHeaders, 'Content-Type': type, ...headers });
    await new Promise<void>((resolve, reject) => createReadStream(path).on('error', reject).on('end', resolve).pipe(response));
  }

  async function figure(response: ServerResponse, id: string, index: string): Promise<void> {
    const found = await view(id);
    const path = found.context.result?.figures[Number(index)];
    const real = path ? await insideFolder(found.context.folder, path) : null;
    const type = real ? figureType(real) : null;
    if (!real || !type) throw new HttpError(404, `no figure ${index} for ${id}`);
    // An SVG is a document that could carry script: it gets a sandbox of its own.
    await sendFile(response, real, type, { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox" });
  }

  async function notebookFile(response: ServerResponse, id: string): Promise<void> {
    const found = await view(id);
    const path = await currentNotebook(found.context.folder);
    if (!path) throw new HttpError(404, `no notebook yet for ${id}`);
    await sendFile(response, path, 'application/x-ipynb+json', { 'Content-Disposition': `attachment; filename="${id}-${basename(path)}"` });
  }

  function events(request: IncomingMessage, response: ServerResponse): void {
    requireSession(request);
    response.writeHead(200, { ...securityHeaders, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    response.write(': connected\n\n');
    eventStreams.add(response);
    const subscription = transport.bus.subscribe(subjects.allEvents, (message) => {
      const event = executionEventSchema.safeParse(message.data);
      if (event.success) response.write(`data: ${JSON.stringify(event.data)}\n\n`);
    });
    // A comment now and then keeps proxies from closing an idle stream.
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    request.on('close', () => {
      clearInterval(keepAlive);
      eventStreams.delete(response);
      void subscription.unsubscribe();
    });
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://review.invalid');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const page = staticFiles[path];
    if (method === 'GET' && page) {
      response.writeHead(200, { ...securityHeaders, 'Content-Type': page.type });
      response.end(await readFile(`${staticDir}${page.file}`));
      return;
    }
    if (path === '/api/login' && method === 'POST') return login(request, response);
    if (path === '/api/logout' && method === 'POST') {
      sessions.end(requirePostSession(request));
      return sendJson(response, 200, { logged_out: true }, { 'Set-Cookie': sessionCookieHeader(null) });
    }
    if (path === '/api/session' && method === 'GET') return sendJson(response, 200, sessionInfo(requireSession(request)));
    if (path === '/api/events' && method === 'GET') return events(request, response);
    if (path === '/api/executions' && method === 'GET') {
      requireSession(request);
      const items = (await client.list()).map(listItem).sort((a, b) => b.updated_at.localeCompare(a.updated_at));
      return sendJson(response, 200, items);
    }
    const match = /^\/api\/executions\/([^/]+)(?:\/(decision|notebook|figures\/(\d+)))?$/.exec(path);
    if (match) {
      const [, rawId = '', sub, figureIndex] = match;
      const id = decodeURIComponent(rawId);
      if (sub === 'decision' && method === 'POST') return decide(request, response, id);
      requireSession(request);
      if (method !== 'GET') throw new HttpError(405, `${method} not allowed here`);
      if (sub === undefined) return executionDetail(response, id);
      if (sub === 'notebook') return notebookFile(response, id);
      if (figureIndex !== undefined) return figure(response, id, figureIndex);
    }
    throw new HttpError(404, `nothing at ${method} ${path}`);
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.end();
      if (error instanceof HttpError) return sendJson(response, error.status, { error: error.message });
      logger.error({ err: error, url: request.url }, 'review page: request failed');
      sendJson(response, 500, { error: 'internal error (see the server log)' });
    });
  });
  const host = options.host ?? config.ui.host;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? config.ui.port, host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url }, 'review page listening');
  return {
    url,
    close: async () => {
      for (const stream of eventStreams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
