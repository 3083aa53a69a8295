/**
 * Logging in and out. The login is the one /api route without a session:
 * same-origin only, capped per client address by @fastify/rate-limit, and
 * throttled per user name and per address with growing delays
 * (login-throttle.ts). An unknown user and a wrong password get the same
 * answer after the same scrypt work, and the same locks.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../http.ts';
import { assertSameOrigin } from '../guards.ts';
import { verifyPassword } from '../passwords.ts';
import { sessionCookie } from '../sessions.ts';
import { sessionInfo, sessionOf, type ReviewDeps } from '../deps.ts';

const loginSchema = z.object({ name: z.string().min(1).max(200), password: z.string().min(1).max(1000) }).strict();

/** Compared against when the user name is unknown, so a login takes as long either way. */
const unknownUserHash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Login attempts one address may make in a minute, whatever their outcome: a cap on floods, above the throttle's delays. */
const loginsPerMinute = 120;

function cookieOptions(deps: ReviewDeps, request: FastifyRequest) {
  // TLS ended at a trusted proxy shows as request.protocol 'https' (X-Forwarded-Proto, ui.trusted_proxies).
  return { path: deps.basePath || '/', httpOnly: true, sameSite: 'strict' as const, secure: deps.config.ui.secure_cookies || request.protocol === 'https' };
}

export function loginRoutes(deps: ReviewDeps) {
  const { config, logger, sessions, throttle, securityAudit } = deps;
  return async (app: FastifyInstance) => {
    app.post<{ Body: z.output<typeof loginSchema> }>(
      '/login',
      { schema: { body: loginSchema }, config: { rateLimit: { max: loginsPerMinute, timeWindow: 60_000 } }, onRequest: async (request) => assertSameOrigin(request) },
      async (request, reply) => {
        const { name, password } = request.body;
        const address = request.ip;
        const waitMs = throttle.start(name, address);
        if (waitMs > 0) {
          const seconds = Math.ceil(waitMs / 1000);
          throw new HttpError(429, `too many failed logins: try again in ${seconds} s`, { 'Retry-After': String(seconds) });
        }
        const user = config.ui.users.find((candidate) => candidate.name === name);
        const valid = await verifyPassword(password, user?.password_hash ?? unknownUserHash);
        const succeeded = user !== undefined && valid;
        for (const lockout of throttle.finish(name, address, succeeded)) {
          await securityAudit.record({ event: 'login_lockout', scope: lockout.scope, user: name, address, failures: lockout.failures, locked_for_ms: lockout.lockedForMs });
        }
        if (!succeeded) {
          logger.warn({ user: name, address }, 'review page: failed login');
          throw new HttpError(401, 'unknown user or wrong password');
        }
        const session = sessions.create({ name: user.name, roles: user.roles });
        await securityAudit.record({ event: 'login', user: user.name, address });
        return reply.setCookie(sessionCookie, session.id, cookieOptions(deps, request)).send(sessionInfo(deps, session));
      },
    );
  };
}

/** Behind the authentication hook: who is logged in, and logging out (which closes the session's streams). */
export function sessionRoutes(deps: ReviewDeps) {
  return async (app: FastifyInstance) => {
    app.get('/session', async (request) => sessionInfo(deps, sessionOf(request)));
    app.post('/logout', async (request, reply) => {
      const session = sessionOf(request);
      deps.sessions.end(session, 'logout');
      await deps.securityAudit.record({ event: 'logout', user: session.operator.name, address: request.ip });
      return reply.clearCookie(sessionCookie, cookieOptions(deps, request)).send({ logged_out: true });
    });
  };
}
