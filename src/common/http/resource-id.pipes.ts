import type { PipeTransform } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { idParam } from './id-params';

/** A purchase id that is not a UUID names no purchase: 404, like another user's purchase. */
export const purchaseIdPipe = idParam('PURCHASE.NOT_FOUND', 'No such purchase');

/** A user id that is not a UUID names no user. */
export const userIdPipe = idParam('USER.NOT_FOUND', 'No such user');

/**
 * A service client id as we hand them out (`svc_` and base64url). Anything else names no client:
 * 404, and it never reaches the database (PostgreSQL refuses a NUL byte in text with an error).
 */
export const serviceClientIdPipe: PipeTransform<string, string> = {
  transform(value: string): string {
    if (!/^svc_[A-Za-z0-9_-]{1,64}$/.test(value)) throw new AppError('CLIENT.NOT_FOUND', 'No service client with this id');
    return value;
  },
};
