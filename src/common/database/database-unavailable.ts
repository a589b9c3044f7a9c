/**
 * Whether an error means "the database cannot be reached right now" (stopped, restarting, failed
 * over, connection cut) rather than a bug in a query. Such a request is answered 503 with
 * Retry-After: the caller retries with the same Idempotency-Key, which is always safe.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '25P03', // idle_in_transaction_session_timeout: the server ended the session
]);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
  /Client was closed and is not queryable/,
];

/**
 * Whether PostgreSQL canceled the statement (57014: the statement timeout, or an operator's
 * cancel). Nothing of it was written and the connection is still good; the request is answered 503
 * with Retry-After like an unreachable database.
 */
export function isStatementCanceled(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if ((e as { code?: unknown }).code === '57014') return true;
    e = (e as { driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  // TypeORM wraps the driver's error (QueryFailedError.driverError); Node wraps causes.
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_ERRNOS.has(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
    e = (e as { driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}
