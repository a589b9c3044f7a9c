import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { destination as pinoDestination } from 'pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import type { AppConfigService } from '../../config/app-config.service';
import { PINO_REDACT_PATHS, redactUrl } from './redaction';

/**
 * Structured JSON logs: one line per request, with its request id, and no secrets.
 * `destination` replaces stdout (the reliability battery reads the logs back; the same redaction applies).
 *
 * Stdout is written asynchronously: the lines of one turn of the event loop go out in one write
 * instead of a blocking write each (two lines per purchase under load). pino flushes what is left
 * when the process exits normally; a SIGKILL can lose the last turn's lines, never a stored record.
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
  };
  return {
    pinoHttp: [options, destination ?? pinoDestination({ dest: 1, sync: false })],
    // nestjs-pino's default route pattern does not match under Nest 12's Fastify adapter, so the
    // request logger would never run: name every route explicitly. Probes and scrapes are not logged.
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
    exclude: [
      { path: 'health/*path', method: RequestMethod.ALL },
      { path: 'metrics', method: RequestMethod.ALL },
    ],
  };
}
