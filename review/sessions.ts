/**
 * Logins of the review page: an unguessable session id in an HttpOnly,
 * SameSite=Strict cookie, and per session a CSRF token the page sends back
 * in a header on every POST. Sessions live in this process and end after
 * an idle time (a restart logs everybody out).
 *
 * A session ends for real: at logout and at idle expiry every stream opened
 * under it (server-sent events) is closed, so nothing more reaches a browser
 * that is no longer logged in. Idle expiry is a timer per session, pushed back
 * by each request, so a stream left open alone does not keep it alive.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const sessionCookie = 'pyexec_review';

export interface Operator {
  name: string;
  roles: string[];
}

export interface Session {
  readonly id: string;
  readonly operator: Operator;
  readonly csrfToken: string;
}

interface Entry {
  session: Session;
  lastSeen: number;
  expiry: NodeJS.Timeout;
  /** How to close each stream opened under the session. */
  streams: Set<() => void>;
}

export type SessionEndReason = 'logout' | 'idle' | 'shutdown';

export class SessionStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly idleMs: number,
    private readonly onEnd: (session: Session, reason: SessionEndReason) => void = () => {},
  ) {}

  create(operator: Operator): Session {
    const session = { id: randomBytes(32).toString('base64url'), operator, csrfToken: randomBytes(32).toString('base64url') };
    const expiry = setTimeout(() => this.end(session, 'idle'), this.idleMs).unref();
    this.entries.set(session.id, { session, lastSeen: Date.now(), expiry, streams: new Set() });
    return session;
  }

  /** The session of this cookie value, if it exists and has not been idle too long; the request counts as activity. */
  fromCookie(id: string | undefined): Session | null {
    const entry = id ? this.entries.get(id) : undefined;
    if (!entry) return null;
    // The timer may lag behind a busy event loop: the clock decides.
    if (Date.now() - entry.lastSeen > this.idleMs) {
      this.end(entry.session, 'idle');
      return null;
    }
    entry.lastSeen = Date.now();
    entry.expiry.refresh();
    return entry.session;
  }

  /** Registers a stream to close when the session ends; returns its removal (for a stream the client closed). */
  attachStream(session: Session, close: () => void): () => void {
    const entry = this.entries.get(session.id);
    if (!entry) {
      close();
      return () => {};
    }
    entry.streams.add(close);
    return () => entry.streams.delete(close);
  }

  end(session: Session, reason: SessionEndReason): void {
    const entry = this.entries.get(session.id);
    if (!entry) return;
    this.entries.delete(session.id);
    clearTimeout(entry.expiry);
    for (const close of entry.streams) close();
    this.onEnd(session, reason);
  }

  endAll(): void {
    for (const { session } of [...this.entries.values()]) this.end(session, 'shutdown');
  }
}

export function csrfMatches(session: Session, token: string | undefined): boolean {
  if (!token) return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
