import { AppError } from '../../../common/errors/app-error';
import type { ErrorCode } from '../../../common/errors/error-codes';
import type { DokuEndpointName } from './doku-endpoints';
import type { DokuOutcomeKind } from './doku-response-codes';

/**
 * Errors of the DOKU edge, translated there (docs/ARCHITECTURE.md#conventions). All are `AppError`s
 * with `DOKU.*` codes, so the global filter answers them without further mapping; `details` holds
 * only the raw SNAP code and our own identifiers, never DOKU's free-text message (kept in
 * `upstreamMessage` for logs).
 *
 * `outcomeUnknown` is the money-safety bit (docs/doku-integration.md#uncertain-outcomes): true means
 * DOKU may have applied the operation, so the intent stays UNKNOWN until a status query or
 * notification settles it; it must never be marked failed or re-sent under a new reference.
 */

export interface DokuErrorContext {
  endpoint: DokuEndpointName;
  externalId?: string;
}

/** No answer within the configured time after the request was sent: the outcome is unknown. */
export class DokuTimeoutError extends AppError {
  readonly outcomeUnknown = true;

  constructor(
    readonly context: DokuErrorContext | undefined,
    readonly phase: 'headers' | 'body' | 'deadline',
    cause?: unknown,
  ) {
    super('DOKU.TIMEOUT', 'DOKU did not answer in time', { ...context, phase });
    this.name = 'DokuTimeoutError';
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * The exchange failed below HTTP: connection refused or reset, oversized or unreadable response.
 * `requestSent=false` (connection never established) is the only case known not to have reached DOKU.
 */
export class DokuTransportError extends AppError {
  readonly outcomeUnknown: boolean;

  constructor(
    readonly context: DokuErrorContext | undefined,
    readonly reason: 'CONNECT_FAILED' | 'CONNECTION_LOST' | 'RESPONSE_TOO_LARGE' | 'PROTOCOL',
    readonly requestSent: boolean,
    cause?: unknown,
  ) {
    super(requestSent ? 'DOKU.OUTCOME_UNKNOWN' : 'DOKU.UNAVAILABLE', 'DOKU could not be reached', {
      ...context,
      reason,
    });
    this.name = 'DokuTransportError';
    this.outcomeUnknown = requestSent;
    if (cause !== undefined) this.cause = cause;
  }
}

/** DOKU answered, and the answer is not this endpoint's success. `kind` says what it means. */
export class DokuResponseError extends AppError {
  constructor(
    code: ErrorCode,
    readonly kind: DokuOutcomeKind,
    readonly outcomeUnknown: boolean,
    readonly responseCode: string | undefined,
    readonly httpStatus: number,
    readonly replayed: boolean,
    readonly context: DokuErrorContext,
    /** DOKU's responseMessage, for logs only: never forwarded to API callers. */
    readonly upstreamMessage: string | undefined,
  ) {
    super(code, `DOKU answered ${responseCode ?? `HTTP ${httpStatus}`}`, {
      ...context,
      responseCode,
      httpStatus,
      ...(replayed ? { replayed } : {}),
    });
    this.name = 'DokuResponseError';
  }
}

export type DokuError = DokuTimeoutError | DokuTransportError | DokuResponseError;

export function isDokuError(error: unknown): error is DokuError {
  return error instanceof DokuTimeoutError || error instanceof DokuTransportError || error instanceof DokuResponseError;
}

/** True when the failed call may still have been applied by DOKU. */
export function isOutcomeUnknown(error: unknown): boolean {
  return isDokuError(error) && error.outcomeUnknown;
}

/**
 * True when `error` is a definitive decline with the given code: what a money flow reads as
 * "rejected" (`captureDokuOutcome` in src/transactions/doku-outcome.ts), so a fallback inside the
 * integration reacts to exactly the answers the feature would have reacted to.
 */
export function isDeclinedWith(error: unknown, code: ErrorCode): boolean {
  return error instanceof AppError && !isOutcomeUnknown(error) && error.code === code;
}
