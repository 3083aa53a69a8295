/** What the review server's routes share, and the session the authentication hook puts on each /api request. */
import type { FastifyRequest } from 'fastify';
import type { PyexecClient } from '../client/client.ts';
import type { AuditTrail } from '../adapters/audit/audit-trail.ts';
import type { Logger } from '../logging/logger.ts';
import type { ApproverKey } from '../adapters/signing/decision-keys.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import { HttpError } from './http.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { SecurityAudit } from './security-audit.ts';
import type { Session, SessionStore } from './sessions.ts';

export interface ReviewDeps {
  transport: Transport;
  client: PyexecClient;
  config: Config;
  logger: Logger;
  /** The key decisions from the page are signed with; null sends them unsigned. */
  signer: ApproverKey | null;
  sessions: SessionStore;
  throttle: LoginThrottle;
  /** Executions' trails (shown on the page). */
  audit: AuditTrail;
  /** The page's own trail: lockouts, logins, logouts. */
  securityAudit: SecurityAudit;
  /** ui.base_path: "" or "/prefix". */
  basePath: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    operatorSession: Session | null;
  }
}

/** The session the authentication hook found (every /api route but the login runs behind it). */
export function sessionOf(request: FastifyRequest): Session {
  if (!request.operatorSession) throw new HttpError(401, 'log in first');
  return request.operatorSession;
}

export function sessionInfo(deps: ReviewDeps, session: Session) {
  return { name: session.operator.name, roles: session.operator.roles, csrf_token: session.csrfToken, signs_decisions: deps.signer !== null };
}
