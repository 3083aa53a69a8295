/**
 * The review page's fastify application: the page's static files under
 * ui.base_path, and its API under <base>/api, where one authentication hook
 * stands before every route but the login. Every answer carries the security
 * headers; every request must name an allowed host; errors are JSON that say
 * what was wrong, and only a real fault (500) is logged with its stack.
 */
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { allowedHostNames, assertAllowedHost, assertCsrfToken, assertSameOrigin, changesState } from './guards.ts';
import { HttpError, maxBodyBytes, securityHeaders } from './http.ts';
import { eventRoutes } from './routes/event-routes.ts';
import { executionRoutes } from './routes/execution-routes.ts';
import { fileRoutes } from './routes/file-routes.ts';
import { loginRoutes, sessionRoutes } from './routes/login-routes.ts';
import { sessionCookie } from './sessions.ts';
import type { ReviewDeps } from './deps.ts';
import { zodValidatorCompiler } from './zod-validation.ts';

const staticDir = fileURLToPath(new URL('./static/', import.meta.url));

export async function buildReviewApp(deps: ReviewDeps, listenHost: string): Promise<FastifyInstance> {
  const { config, logger, sessions, basePath } = deps;
  const allowedHosts = allowedHostNames(config.ui, listenHost);
  const baseLogger: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance: baseLogger,
    // A line per request would drown the service log: the page logs what matters itself.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBodyBytes,
    trustProxy: config.ui.trusted_proxies.length > 0 ? config.ui.trusted_proxies : false,
    // Open event streams must not hold a shutdown up.
    forceCloseConnections: true,
    // A URL that cannot be decoded is the client's mistake: 400, and no stack trace in the log.
    frameworkErrors: (error, request, reply) => {
      request.log.debug({ url: request.raw.url, code: error.code }, 'review page: malformed request');
      // Answered before routing, so before the hooks: the security headers are set here.
      void (reply as FastifyReply).code(400).headers(securityHeaders).send({ error: 'malformed URL' });
    },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.decorateRequest('operatorSession', null);

  app.addHook('onRequest', async (request) => assertAllowedHost(allowedHosts, request));
  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(securityHeaders)) if (!reply.hasHeader(name)) reply.header(name, value);
  });
  app.setErrorHandler((error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    const status = error instanceof HttpError ? error.status : (error.statusCode ?? 500);
    if (status >= 500) {
      logger.error({ err: error, url: request.url }, 'review page: request failed');
      return reply.code(500).send({ error: 'internal error (see the server log)' });
    }
    if (error instanceof HttpError) reply.headers(error.headers);
    return reply.code(status).send({ error: error.message });
  });
  app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ error: `nothing at ${request.method} ${request.url}` }));

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new HttpError(429, `too many requests from this address: try again in ${context.after}`),
  });
  await app.register(fastifyStatic, { root: staticDir, prefix: `${basePath}/`, cacheControl: false });
  // The page's relative URLs need the slash: "/pyexec" goes to "/pyexec/".
  if (basePath) app.get(basePath, async (_request, reply) => reply.redirect(`${basePath}/`));

  await app.register(
    async (api) => {
      await api.register(loginRoutes(deps));
      await api.register(async (authenticated) => {
        // The one authentication hook: a session for every route here, and for a change, this origin and the session's CSRF token.
        authenticated.addHook('onRequest', async (request) => {
          if (changesState(request)) assertSameOrigin(request);
          const session = sessions.fromCookie(request.cookies[sessionCookie]);
          if (!session) throw new HttpError(401, 'log in first');
          if (changesState(request)) assertCsrfToken(session, request);
          request.operatorSession = session;
        });
        await authenticated.register(sessionRoutes(deps));
        await authenticated.register(eventRoutes(deps));
        await authenticated.register(executionRoutes(deps));
        await authenticated.register(fileRoutes(deps));
      });
    },
    { prefix: `${basePath}/api` },
  );
  return app;
}
