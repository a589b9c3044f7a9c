import { StoredResponse } from '../common/idempotency/idempotency.service';
import { ERROR_CODES, ErrorCode } from '../common/errors/error-codes';
import { rejectionResponse } from '../transactions/stored-response';
import { Transaction } from '../transactions/entities/transaction.entity';

/**
 * The decline answer of a FAILED transaction, for a renderer: the `{"error":{…}}` body of its
 * failure code (the code its own POST would have answered with), or of `fallback` when the failure
 * was found by a status query rather than answered by DOKU (`DOKU.NOT_FOUND` there means "never
 * applied", not "no such resource", so it is answered as the fallback decline too).
 * DOKU's raw response code is kept, as the POST keeps it; DOKU's message never is.
 */
export function renderedRejection(transaction: Transaction, fallback: ErrorCode, message: string, details: Record<string, unknown>): StoredResponse {
  const known =
    transaction.failureCode !== null && transaction.failureCode !== 'DOKU.NOT_FOUND' && Object.prototype.hasOwnProperty.call(ERROR_CODES, transaction.failureCode);
  const code = known ? (transaction.failureCode as ErrorCode) : fallback;
  return rejectionResponse(code, message, { ...details, ...(transaction.dokuResponseCode ? { responseCode: transaction.dokuResponseCode } : {}) });
}
