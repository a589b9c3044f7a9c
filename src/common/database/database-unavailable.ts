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
  return causes(error).some((e) => e.code === '57014');
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some(({ code, message }) => {
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_ERRNOS.has(code))) return true;
    return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message));
  });
}

/** The error and what it wraps, four deep: TypeORM wraps the driver's error (QueryFailedError.driverError); Node wraps causes. */
function causes(error: unknown): Array<{ code?: unknown; message?: unknown }> {
  const chain: Array<{ code?: unknown; message?: unknown }> = [];
  for (let e = error; e && typeof e === 'object' && chain.length < 4;) {
    chain.push(e);
    e = (e as { driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return chain;
}
