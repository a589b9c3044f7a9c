import type { ErrorCode } from './error-codes';
import { httpStatusFor } from './error-codes';

/**
 * The one error type services throw. The global filter turns it into
 * `{"error":{"code","message","details","requestId"}}` with the status of its code.
 * `details` must never hold secrets: it is sent to the caller.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, such as Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = httpStatusFor(code);
  }
}
