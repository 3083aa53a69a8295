/**
 * The operators' review page (`pyexec serve --ui`): a fastify server over any
 * transport (app.ts). It lists executions with their live state (server-sent
 * events from the bus), shows one in detail (what approving will do, the code
 * with writes and reads marked, analysis, deadline, results, figures,
 * notebook, audit trail), searches the history, and turns an approver's
 * click into a decision.
 *
 * Login with the users of config `ui.users` (scrypt hashes), throttled per
 * user and per address. The role is checked on every decision, and every
 * POST must carry the session's CSRF token and come from this origin.
 */
import type { AddressInfo } from 'node:net';
import { PyexecClient } from '../client/client.ts';
import { createAuditTrail } from '../adapters/audit/audit-trail.ts';
import type { Logger } from '../logging/logger.ts';
import type { ApproverKey } from '../adapters/signing/decision-keys.ts';
import type { Transport } from '../bus/transport.ts';
import type { Config } from '../config/schema.ts';
import { buildReviewApp } from './app.ts';
import { LoginThrottle } from './login-throttle.ts';
import { openSecurityAudit } from './security-audit.ts';
import { SessionStore } from './sessions.ts';

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
  /** Where the page is: the listening address, then ui.base_path (no "/" at the end). */
  readonly url: string;
  close(): Promise<void>;
}

export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const { transport, config, signer } = options;
  const logger = options.logger.child({ component: 'review-page' });
  const audit = createAuditTrail({ kv: transport.kv, log: transport.auditLog });
  const securityAudit = await openSecurityAudit(audit, config.service.executions_root, logger);
  const sessions = new SessionStore(config.ui.session_idle_seconds * 1000, (session, reason) => {
    if (reason === 'idle') void securityAudit.record({ event: 'session_expired', user: session.operator.name });
  });
  const host = options.host ?? config.ui.host;
  const basePath = config.ui.base_path;
  const app = await buildReviewApp(
    { transport, client: new PyexecClient(transport, 'review-page'), config, logger, signer, sessions, throttle: new LoginThrottle(), audit, securityAudit, basePath },
    host,
  );
  await app.listen({ host, port: options.port ?? config.ui.port });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${basePath}`;
  logger.info({ url }, 'review page listening');
  return {
    url,
    close: async () => {
      sessions.endAll();
      await app.close();
      await audit.flush();
    },
  };
}
