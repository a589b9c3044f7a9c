import { ParseUUIDPipe } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';

/** A purchase id that is not a UUID names no purchase: 404, like another user's purchase. */
export const purchaseIdPipe = new ParseUUIDPipe({ exceptionFactory: () => new AppError('PURCHASE.NOT_FOUND', 'No such purchase') });

/** A user id that is not a UUID names no user. */
export const userIdPipe = new ParseUUIDPipe({ exceptionFactory: () => new AppError('USER.NOT_FOUND', 'No such user') });
