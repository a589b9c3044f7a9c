import { hostname } from 'node:os';
import pino, { destination as pinoDestination, stdSerializers } from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import type { LoggedRequest } from './app-logs';
import type { AppConfigService } from '../../config/app-config.service';
import { REDACTED, redactUrl } from './redaction';

/**
 * The request headers an access log line keeps: enough to tell who called what, and how big it was.
 * The others are left out rather than written and redacted (a line is written for every request,
 * and a browser sends a dozen headers we never read); credentials are shown only as present.
 */
const LOGGED_REQUEST_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'x-forwarded-for', 'origin', 'idempotency-key'];
const CREDENTIAL_HEADERS = ['authorization', 'authorization-customer', 'cookie', 'x-signature', 'x-client-key'];

/** The access log's view of the request headers (exported for its unit test). */
export function loggedRequestHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of LOGGED_REQUEST_HEADERS) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  for (const name of CREDENTIAL_HEADERS) {
    if (headers[name] !== undefined) out[name] = REDACTED;
  }
  return out;
}

/** The access log's view of the response: its status and size (its headers are ours and the same every time). */
export function loggedResponse(res: { statusCode: number; getHeader?: (name: string) => unknown }): Record<string, unknown> {
  const length = res.getHeader?.('content-length');
  return length === undefined ? { statusCode: res.statusCode } : { statusCode: res.statusCode, contentLength: Number(length) };
}

/** Stdout's lines are written in blocks of this size at least, or after LOG_FLUSH_MS. */
const LOG_BLOCK_BYTES = 4096;
const LOG_FLUSH_MS = 100;

/**
 * Structured JSON logs: one line per request, with its request id, and no secrets.
 * `destination` replaces stdout (the reliability battery reads the logs back; the same redaction applies).
 *
 * Stdout is written asynchronously and in blocks: lines gather until there are 4 KiB of them or
 * LOG_FLUSH_MS has passed, then go out in one write made off the event loop. Under load that is one
 * write for a dozen or so lines instead of one for each (every write wakes a thread of libuv's pool:
 * docs/performance.md, sixteenth round); when idle a line waits at most LOG_FLUSH_MS. pino flushes
 * what is left when the process exits normally; a SIGKILL can lose the last LOG_FLUSH_MS of lines,
 * never a stored record.
 */
export function createRootLogger(config: AppConfigService, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.app.logLevel,
    // No pino `redact` paths: the serializers below already keep only the headers we name and
    // mark the credential ones, and a redaction pass costs every line a walk and a copy (about 2%
    // of the backend's busy time under the notification bench).
    // Every line names the service: base bindings, serialised once for the whole process.
    base: { pid: process.pid, hostname: hostname(), service: 'doku-wallet-partner' },
    serializers: {
      req: (req: LoggedRequest) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        headers: req.headers ? loggedRequestHeaders(req.headers) : undefined,
      }),
      res: loggedResponse,
      err: stdSerializers.err,
    },
  };
  return pino(options, destination ?? pinoDestination({ dest: 1, sync: false, minLength: LOG_BLOCK_BYTES, periodicFlush: LOG_FLUSH_MS }));
}
