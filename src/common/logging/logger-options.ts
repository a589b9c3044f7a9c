import { IncomingMessage } from 'node:http';
import { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { AppConfigService } from '../../config/app-config.service';
import { PINO_REDACT_PATHS, redactUrl } from './redaction';

/**
 * Structured JSON logs: one line per request, with its request id, and no secrets.
 * `destination` replaces stdout (the reliability battery reads the logs back; the same redaction applies).
 */
export function loggerOptions(config: AppConfigService, destination?: DestinationStream): Params {
  const options: Options = {
    level: config.app.logLevel,
    // The request id is settled by fastify (see request-id.ts) and copied onto the raw request.
    genReqId: (req: IncomingMessage) => String(req.headers['x-request-id'] ?? ''),
    redact: { paths: PINO_REDACT_PATHS, censor: '[redacted]' },
    customProps: () => ({ service: 'doku-wallet-partner' }),
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        headers: req.headers,
      }),
    },
    autoLogging: { ignore: (req) => req.url === '/metrics' || req.url?.startsWith('/health') === true },
  };
  return { pinoHttp: destination ? [options, destination] : options };
}
