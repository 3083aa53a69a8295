/**
 * Checks every request passes before a handler sees it: the Host header
 * names this server (DNS rebinding), and a state-changing request comes from
 * this page (Origin, Sec-Fetch-Site) with the session's CSRF token.
 */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import { HttpError } from './http.ts';
import { csrfMatches, type Session } from './sessions.ts';

const loopbackNames = ['localhost', '127.0.0.1', '::1'];
const wildcardAddresses = new Set(['0.0.0.0', '::', '']);

/**
 * The host names the page answers to: ui.allowed_hosts, or by default the
 * loopback names and the address it listens on (a wildcard address is no
 * name: list the server's names in ui.allowed_hosts then).
 */
export function allowedHostNames(ui: Pick<Config['ui'], 'allowed_hosts'>, listenHost: string): Set<string> {
  const names = ui.allowed_hosts ?? [...loopbackNames, ...(wildcardAddresses.has(listenHost) ? [] : [listenHost])];
  return new Set(names.map(normalHost));
}

/** Lower case, without the brackets of an IPv6 literal. */
function normalHost(name: string): string {
  return name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

/**
 * A page that a rebound DNS name points at this server would otherwise be
 * same-origin with itself: its Origin matches its Host. Only names this
 * server is known by are answered.
 */
export function assertAllowedHost(allowed: Set<string>, request: FastifyRequest): void {
  if (!allowed.has(normalHost(request.hostname))) throw new HttpError(421, 'this server does not answer to that host name (ui.allowed_hosts)');
}

/**
 * A state-changing request must come from this page: no Origin (same-origin
 * non-CORS requests may omit it) or exactly this server's origin, and
 * Sec-Fetch-Site, when the browser sends it, must not be cross-site.
 */
export function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  const host = request.host;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) throw new HttpError(403, `cross-origin request refused (Origin ${origin})`);
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `cross-site request refused (Sec-Fetch-Site ${String(site)})`);
}

export function assertCsrfToken(session: Session, request: FastifyRequest): void {
  const token = request.headers['x-csrf-token'];
  if (!csrfMatches(session, typeof token === 'string' ? token : undefined)) throw new HttpError(403, 'missing or wrong CSRF token');
}

export const changesState = (request: FastifyRequest) => request.method !== 'GET' && request.method !== 'HEAD';
