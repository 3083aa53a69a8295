/**
 * Logins of the review page: an unguessable session id in an HttpOnly,
 * SameSite=Strict cookie, and per session a CSRF token the page sends back
 * in a header on every POST. Sessions live in this process and end after
 * an idle time (a restart logs everybody out).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const sessionCookie = 'pyexec_review';

export interface Operator {
  name: string;
  roles: string[];
}

export interface Session {
  id: string;
  operator: Operator;
  csrfToken: string;
  lastSeen: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly idleMs: number) {}

  create(operator: Operator): Session {
    this.prune();
    const session = { id: randomBytes(32).toString('base64url'), operator, csrfToken: randomBytes(32).toString('base64url'), lastSeen: Date.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session named by the request's cookie, if it exists and is not idle for too long. */
  fromCookie(cookieHeader: string | undefined): Session | null {
    const id = cookieValue(cookieHeader, sessionCookie);
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return null;
    if (Date.now() - session.lastSeen > this.idleMs) {
      this.sessions.delete(session.id);
      return null;
    }
    session.lastSeen = Date.now();
    return session;
  }

  end(session: Session): void {
    this.sessions.delete(session.id);
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) if (now - session.lastSeen > this.idleMs) this.sessions.delete(id);
  }
}

export function csrfMatches(session: Session, token: string | undefined): boolean {
  if (!token) return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function sessionCookieHeader(session: Session | null): string {
  const base = `${sessionCookie}=${session?.id ?? ''}; HttpOnly; SameSite=Strict; Path=/`;
  return session ? base : `${base}; Max-Age=0`;
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}
