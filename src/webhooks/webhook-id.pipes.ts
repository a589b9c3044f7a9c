import { idParam } from '../common/http/id-params';

/** A malformed id names no subscription or delivery: 404, like an unknown one. */
export const webhookIdPipe = idParam('WEBHOOK.NOT_FOUND', 'No such webhook subscription');
export const webhookDeliveryIdPipe = idParam('WEBHOOK.DELIVERY_NOT_FOUND', 'No such webhook delivery');
