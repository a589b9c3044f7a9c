import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RequestLogScope, requestLogScope } from './app-logs';

const kScope = Symbol('requestLogScope');

/** Probes and scrapes are answered but not logged: they come every few seconds and say nothing. */
function unlogged(url: string): boolean {
  return url === '/metrics' || url.startsWith('/metrics?') || url.startsWith('/health/');
}

/**
 * The access log and the request's log scope, as two Fastify hooks. Added first, so a request
 * refused by a later hook is logged too.
 *
 * - onRequest: every line written while the request is served (its handler, the exception filter,
 *   the DOKU exchange records) carries the request (app-logs.ts), through an AsyncLocalStorage
 *   entered for the rest of the request.
 * - onResponse: one line, `request completed`, with the request, the status, the size and the
 *   duration in milliseconds.
 *
 * Plain hooks rather than Express-style middleware: a middleware layer for this one job cost about
 * a tenth of the backend's CPU per purchase (docs/performance.md).
 */
export function installRequestLogging(fastify: FastifyInstance, root: Logger): void {
  fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const scope = new RequestLogScope(root, { id: String(request.id), method: request.method, url: request.url, headers: request.headers });
    (request as unknown as Record<symbol, RequestLogScope>)[kScope] = scope;
    requestLogScope.run(scope, done);
  });
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!unlogged(request.url) && root.isLevelEnabled('info')) {
      const scope = (request as unknown as Record<symbol, RequestLogScope | undefined>)[kScope];
      const responseTime = Math.round(reply.elapsedTime);
      const made = scope?.madeLogger;
      if (made) {
        made.info({ res: reply.raw, responseTime }, 'request completed');
      } else {
        const req = scope?.req ?? { id: String(request.id), method: request.method, url: request.url, headers: request.headers };
        root.info({ req, res: reply.raw, responseTime }, 'request completed');
      }
    }
    done();
  });
}
