import type { AppError } from '../common/errors/app-error';
import type { ErrorCode } from '../common/errors/error-codes';
import { httpStatusFor } from '../common/errors/error-codes';
import type { StoredResponse } from './idempotency/idempotency.service';

/** A stored decline: the global filter's error shape; the idempotency runner adds the request id. */
export interface StoredErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown>; requestId?: string };
}

/** What a money POST answers, fresh or replayed: its success body, or a decline. */
export type MoneyAnswer<TSuccess> = TSuccess | StoredErrorBody;

/**
 * The stored answer of a money POST that DOKU declined: the `{"error":{…}}` shape of the global
 * filter with the status of its code, so a replay of the Idempotency-Key gives the same 4xx.
 * The idempotency runner adds the id of the request that produced it.
 */
export function rejectionResponse(code: ErrorCode, message: string, details: Record<string, unknown>): StoredResponse<StoredErrorBody> {
  return { status: httpStatusFor(code), body: { error: { code, message, details } } };
}

/** DOKU's raw response code, kept for the back office, never DOKU's message (docs/ARCHITECTURE.md#conventions). */
export function dokuCodeOf(error: AppError | Error): string | undefined {
  const details = (error as AppError).details as { responseCode?: unknown } | undefined;
  return typeof details?.responseCode === 'string' ? details.responseCode : undefined;
}
