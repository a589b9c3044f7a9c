import { ParseUUIDPipe } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';

/** A malformed id names no subscription or delivery: 404, like an unknown one. */
export const webhookIdPipe = new ParseUUIDPipe({ exceptionFactory: () => new AppError('WEBHOOK.NOT_FOUND', 'No such webhook subscription') });
export const webhookDeliveryIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new AppError('WEBHOOK.DELIVERY_NOT_FOUND', 'No such webhook delivery'),
});
