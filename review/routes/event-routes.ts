/**
 * Live state: every execution event from the bus, as server-sent events. A
 * stream belongs to the session that opened it and is closed when that
 * session ends (logout, idle expiry), so a logged-out browser hears nothing.
 */
import type { FastifyInstance } from 'fastify';
import { executionEventSchema } from '../../protocol/public.ts';
import { subjects } from '../../protocol/subjects.ts';
import { securityHeaders } from '../http.ts';
import { sessionOf, type ReviewDeps } from '../deps.ts';

/** A comment now and then keeps proxies from closing an idle stream. */
const keepAliveMs = 15_000;

export function eventRoutes(deps: ReviewDeps) {
  return async (app: FastifyInstance) => {
    app.get('/events', async (request, reply) => {
      const session = sessionOf(request);
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, { ...securityHeaders, 'Content-Type': 'text/event-stream', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      response.write(': connected\n\n');
      const subscription = deps.transport.bus.subscribe(subjects.allEvents, (message) => {
        const event = executionEventSchema.safeParse(message.data);
        if (event.success) response.write(`data: ${JSON.stringify(event.data)}\n\n`);
      });
      const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), keepAliveMs);
      let detach = () => {};
      const stop = () => {
        clearInterval(keepAlive);
        detach();
        void subscription.unsubscribe();
      };
      detach = deps.sessions.attachStream(session, () => {
        stop();
        response.end();
      });
      request.raw.on('close', stop);
    });
  };
}
