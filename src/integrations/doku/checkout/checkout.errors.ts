import { AppError } from '../../../common/errors/app-error';
import type { ErrorCode } from '../../../common/errors/error-codes';

/** The two calls of the checkout client. */
export type CheckoutCallName = 'checkoutPayment' | 'checkoutStatus';

/**
 * What a failed checkout call means. DOKU documents no error codes for this API, so the HTTP status
 * decides (docs/channels.md#doku-e-wallet-checkout):
 * - REJECTED (400, other 4xx): DOKU refused the request; nothing was created.
 * - REQUEST_SIGNATURE_REFUSED (401): DOKU did not accept our signature; nothing was created.
 * - NOT_FOUND (404 on the status query): DOKU does not know the invoice.
 * - RESPONSE_SIGNATURE_INVALID: an answer whose signature, Client-Id or Request-Id does not check
 *   out: it is not believed, and the order may exist.
 * - DUPLICATE (409 without the first answer): the Request-Id was used with another body.
 * - UNKNOWN: 5xx, a timeout, a lost connection or an unreadable answer.
 */
export type CheckoutFailureKind =
  'REJECTED' | 'REQUEST_SIGNATURE_REFUSED' | 'NOT_FOUND' | 'RESPONSE_SIGNATURE_INVALID' | 'DUPLICATE' | 'UNKNOWN';

const CODES: Record<CheckoutFailureKind, ErrorCode> = {
  REJECTED: 'DOKU.REJECTED',
  REQUEST_SIGNATURE_REFUSED: 'DOKU.INVALID_SIGNATURE',
  NOT_FOUND: 'DOKU.NOT_FOUND',
  RESPONSE_SIGNATURE_INVALID: 'DOKU.OUTCOME_UNKNOWN',
  DUPLICATE: 'DOKU.DUPLICATE_REFERENCE',
  UNKNOWN: 'DOKU.OUTCOME_UNKNOWN',
};

/**
 * A checkout call that did not succeed. `outcomeUnknown` is the money-safety bit: true means DOKU
 * may have created the order, so it stays UNKNOWN until the status query or a notification says
 * otherwise; it is resent only with the same Request-Id and the same body.
 */
export class CheckoutCallError extends AppError {
  readonly outcomeUnknown: boolean;

  constructor(
    readonly call: CheckoutCallName,
    readonly kind: CheckoutFailureKind,
    readonly httpStatus: number | undefined,
    readonly requestId: string,
    /** False only when the connection was never made. */
    requestSent = true,
  ) {
    const code = !requestSent ? 'DOKU.UNAVAILABLE' : httpStatus === undefined && kind === 'UNKNOWN' ? 'DOKU.TIMEOUT' : CODES[kind];
    super(code, `DOKU checkout ${call} failed: ${kind}${httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`}`, {
      endpoint: call,
      requestId,
      ...(httpStatus === undefined ? {} : { httpStatus }),
    });
    this.name = 'CheckoutCallError';
    this.outcomeUnknown = requestSent && (kind === 'UNKNOWN' || kind === 'RESPONSE_SIGNATURE_INVALID' || kind === 'DUPLICATE');
  }
}
