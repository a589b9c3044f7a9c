import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable, isStatementCanceled } from '../database/database-unavailable';
import { AppError } from './app-error';
import type { ErrorCode } from './error-codes';
import { httpStatusFor } from './error-codes';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; requestId: string };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the error is ours to fix: logged with its cause, answered without internals. */
  unexpected: boolean;
}

// Errors fastify raises itself while reading a request, before any route runs.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'REQUEST.BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'REQUEST.MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'REQUEST.MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'REQUEST.MALFORMED_JSON',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'REQUEST.VALIDATION_FAILED',
  401: 'AUTH.UNAUTHENTICATED',
  403: 'AUTH.FORBIDDEN',
  404: 'REQUEST.NOT_FOUND',
  405: 'REQUEST.METHOD_NOT_ALLOWED',
  413: 'REQUEST.BODY_TOO_LARGE',
  415: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  429: 'REQUEST.RATE_LIMITED',
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  'REQUEST.NOT_FOUND': 'No such route',
  'REQUEST.BODY_TOO_LARGE': 'The request body is too large',
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 'Send the body as application/json',
  'REQUEST.MALFORMED_JSON': 'The request body is not valid JSON',
  'REQUEST.RATE_LIMITED': 'Too many requests; retry later',
  'AUTH.UNAUTHENTICATED': 'The access token is missing, invalid or expired',
  'AUTH.FORBIDDEN': 'This token does not allow this operation',
  'INTERNAL.ERROR': 'Something went wrong on our side; quote the request id to support',
  'INTERNAL.UNAVAILABLE': 'The service is briefly unavailable; retry shortly (with the same Idempotency-Key)',
};

/**
 * Every 503 says when to try again (RFC 9110 §10.2.3): an error that knows better sets its own;
 * any other waits a second. A 503 means nothing was decided (DOKU or the database could not be
 * reached in time, nothing was written, or the outcome is checked again), so a retry with the
 * same Idempotency-Key is always safe (docs/error-codes.md).
 */
const RETRY_AFTER_503 = '1';

function build(
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: unknown,
  headers: Record<string, string> = {},
  unexpected = false,
): ErrorResponse {
  const status = httpStatusFor(code);
  const retry = status === 503 && !Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after');
  return {
    status,
    body: { error: { code, message, ...(details === undefined ? {} : { details }), requestId } },
    headers: retry ? { ...headers, 'Retry-After': RETRY_AFTER_503 } : headers,
    unexpected,
  };
}

/**
 * Turns anything thrown while serving a request into the one error body of this API:
 * `{"error":{"code","message","details","requestId"}}`. Nothing internal (stack, SQL, upstream
 * message) leaves through here; unexpected errors become a generic 500.
 */
export function toErrorResponse(exception: unknown, requestId: string): ErrorResponse {
  if (exception instanceof AppError) {
    return build(exception.code, exception.message, requestId, exception.details, exception.headers);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Our validation pipe throws AppError, so a plain 400 here comes from reading the body.
    const code = status === 400 ? 'REQUEST.MALFORMED_JSON' : STATUS_CODES[status];
    if (code) return build(code, MESSAGES[code] ?? exception.message, requestId);
    return build('INTERNAL.ERROR', MESSAGES['INTERNAL.ERROR']!, requestId, undefined, {}, true);
  }
  if (isDatabaseUnavailable(exception) || isStatementCanceled(exception)) {
    return build('INTERNAL.UNAVAILABLE', MESSAGES['INTERNAL.UNAVAILABLE']!, requestId, undefined, { 'Retry-After': '1' });
  }
  const fastifyError = exception as { code?: string; statusCode?: number; message?: string };
  if (fastifyError && typeof fastifyError === 'object') {
    const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
    if (mapped) return build(mapped, MESSAGES[mapped]!, requestId);
    // fastify's JSON parser (secure-json-parse) reports syntax errors and prototype-poisoning
    // attempts as plain 400 errors.
    if (fastifyError.statusCode === 400) return build('REQUEST.MALFORMED_JSON', MESSAGES['REQUEST.MALFORMED_JSON']!, requestId);
    if (fastifyError.statusCode && STATUS_CODES[fastifyError.statusCode]) {
      const c = STATUS_CODES[fastifyError.statusCode];
      return build(c, MESSAGES[c] ?? 'Request refused', requestId);
    }
  }
  return build('INTERNAL.ERROR', MESSAGES['INTERNAL.ERROR']!, requestId, undefined, {}, true);
}
