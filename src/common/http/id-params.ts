import { ParseUUIDPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import type { ErrorCode } from '../errors/error-codes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a UUID, the form of every id we hand out. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * A path parameter that must be one of our ids. One that is not a UUID names nothing here, so it is
 * answered as an unknown one is: 404 with the code of what it would have named (and never a 400
 * that blames the body).
 */
export function idParam(code: ErrorCode, message: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new AppError(code, message) });
}
