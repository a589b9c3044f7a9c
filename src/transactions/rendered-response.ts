import type { StoredResponse } from './idempotency/idempotency.service';
import type { ErrorCode } from '../common/errors/error-codes';
import { ERROR_CODES } from '../common/errors/error-codes';
import { rejectionResponse } from './stored-response';
import type { StoredErrorBody } from './stored-response';
import type { Transaction } from './entities/transaction.entity';

/**
 * The decline answer of a FAILED transaction, for a renderer: the `{"error":{…}}` body of its
 * failure code (the code its own POST would have answered with), or of `fallback` when the failure
 * was found by a status query rather than answered by DOKU (`DOKU.NOT_FOUND` there means "never
 * applied", not "no such resource", so it is answered as the fallback decline too).
 * DOKU's raw response code is kept, as the POST keeps it; DOKU's message never is.
 */
export function renderedRejection(
  transaction: Transaction,
  fallback: ErrorCode,
  message: string,
  details: Record<string, unknown>,
): StoredResponse<StoredErrorBody> {
  const known =
    transaction.failureCode !== null &&
    transaction.failureCode !== 'DOKU.NOT_FOUND' &&
    Object.prototype.hasOwnProperty.call(ERROR_CODES, transaction.failureCode);
  const code = known ? (transaction.failureCode as ErrorCode) : fallback;
  return rejectionResponse(code, message, {
    ...details,
    ...(transaction.dokuResponseCode ? { responseCode: transaction.dokuResponseCode } : {}),
  });
}
