import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OperatorSection } from '../../config/config.types';
import { AppError } from '../errors/app-error';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when the Authorization header carries the operator's basic-auth credentials. */
export function hasOperatorCredentials(header: string | undefined, expected: { user: string; password: string }): boolean {
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  // Compared as digests of equal length, so the time taken says nothing about how much matched.
  return timingSafeEqual(sha256(Buffer.from(match[1], 'base64').toString('utf8')), sha256(`${expected.user}:${expected.password}`));
}

/**
 * A fastify onRequest hook guarding the operators' pages, /docs (the API description) and /metrics,
 * as DOCS_ACCESS and METRICS_ACCESS say: open, behind basic auth, or absent (404, as if the route
 * did not exist; metrics served on their own port count as absent here).
 */
export function operatorAccessHook(operator: OperatorSection) {
  return (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    const route = request.routeOptions.url ?? '';
    const mode = route === '/metrics' ? operator.metrics : route === '/docs' || route.startsWith('/docs/') ? operator.docs : 'public';
    if (mode === 'public') return done();
    if (mode === 'basic' && operator.basicAuth) {
      if (hasOperatorCredentials(request.headers.authorization, operator.basicAuth)) return done();
      return done(
        new AppError('AUTH.UNAUTHENTICATED', 'Operator credentials are required', undefined, {
          'WWW-Authenticate': 'Basic realm="operators", charset="UTF-8"',
        }),
      );
    }
    done(new AppError('REQUEST.NOT_FOUND', 'No such route'));
  };
}
