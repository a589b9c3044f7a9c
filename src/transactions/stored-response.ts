import { AppError } from '../common/errors/app-error';
import { ErrorCode, httpStatusFor } from '../common/errors/error-codes';

/**
 * The stored answer of a money POST that DOKU declined: the `{"error":{…}}` shape of the global
 * filter with the status of its code, so a replay of the Idempotency-Key gives the same 4xx.
 * The idempotency runner adds the id of the request that produced it.
 */
export function rejectionResponse(code: ErrorCode, message: string, details: Record<string, unknown>): { status: number; body: unknown } {
  return { status: httpStatusFor(code), body: { error: { code, message, details } } };
}

/** DOKU's raw response code, kept for the back office, never DOKU's message (STYLE.md shape 6). */
export function dokuCodeOf(error: AppError | Error): string | undefined {
  const details = (error as AppError).details as { responseCode?: unknown } | undefined;
  return typeof details?.responseCode === 'string' ? details.responseCode : undefined;
}
