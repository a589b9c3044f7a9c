import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest, RawServerDefault } from 'fastify';
import { OAUTH_ROUTES } from '../errors/oauth-error';
import type { AppConfig } from '../../config/config.types';
import { AppError } from '../errors/app-error';

/** The one route that takes a form body: the OAuth2 token endpoint (RFC 6749 §4.4.2). */
const FORM_ROUTES = OAUTH_ROUTES;

const unsupported = (message: string) => new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', message);

/** The charset a Content-Type names, lower-cased, or undefined. */
function charsetOf(request: FastifyRequest): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(String(request.headers['content-type'] ?? ''));
  return match?.[1].toLowerCase();
}

/**
 * Request bodies: JSON in UTF-8 everywhere (RFC 8259 §8.1: JSON exchanged between systems is
 * UTF-8), and a form only on the token endpoint. Anything else is 415 with the API's error body:
 * another charset, a form on a JSON route, text, multipart. fastify's own refusals (oversize, bad
 * JSON) reach the global filter through Nest's fastify error handler, so they answer alike.
 */
export function configureBodyParsers(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser(['text/plain']);
  const utf8Only = (request: FastifyRequest): AppError | undefined => {
    const charset = charsetOf(request);
    return charset && charset !== 'utf-8' && charset !== 'utf8' ? unsupported('Send the body in UTF-8') : undefined;
  };

  // DOKU signs a notification's raw bytes: on the notification route the service parses the JSON
  // only once the signature is verified, so a tampered body is refused as unsigned (401), never
  // answered as malformed JSON. Every other route uses the default (poisoning-safe) JSON parser.
  const json = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: config.app.bodyLimitBytes }, (request, body, done) => {
    if (request.routeOptions.url === config.doku.notificationPath) return done(null, undefined);
    const refused = utf8Only(request);
    if (refused) return done(refused, undefined);
    void json(request, body.toString('utf8'), done);
  });

  app.useBodyParser<RawServerDefault>(
    'application/x-www-form-urlencoded',
    { bodyLimit: config.app.bodyLimitBytes },
    (request, body, done) => {
      if (!FORM_ROUTES.has(request.routeOptions.url ?? '')) return done(unsupported('Send the body as application/json'), undefined);
      const refused = utf8Only(request);
      if (refused) return done(refused, undefined);
      // Object.fromEntries defines `__proto__` as an own key, never as the prototype; it is refused
      // anyway, as in a JSON body.
      const fields = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      if (Object.hasOwn(fields, '__proto__'))
        return done(new AppError('REQUEST.MALFORMED_JSON', 'The request body is malformed'), undefined);
      done(null, fields);
    },
  );
}
