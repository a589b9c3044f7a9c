import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import type { PaymentMethod } from '../../transactions/payment-method';
import type { PurchaseChannel } from './purchase-channel';

/** The payment channels the running app knows, by payment method (docs/channels.md#how-a-channel-plugs-in). */
@Injectable()
export class PurchaseChannels {
  private readonly channels = new Map<PaymentMethod, PurchaseChannel>();

  /** Called by each channel at module init. */
  register(channel: PurchaseChannel): void {
    if (this.channels.has(channel.method)) throw new Error(`payment channel ${channel.method} registered twice`);
    this.channels.set(channel.method, channel);
  }

  /** The channel of a method, or a 400 when this app does not offer it (a 422 while it is switched off). */
  get(method: PaymentMethod): PurchaseChannel {
    const channel = this.channels.get(method);
    if (!channel) {
      throw new AppError('REQUEST.VALIDATION_FAILED', 'The request has invalid fields', {
        fields: [{ field: 'paymentMethod', reasons: [`paymentMethod ${method} is not offered`] }],
      });
    }
    if (channel.available?.() === false) {
      throw new AppError('PURCHASE.PAYMENT_METHOD_UNAVAILABLE', 'This payment method is not available at the moment', {
        paymentMethod: method,
      });
    }
    return channel;
  }

  /** The channel a stored purchase (or its refund) went through. */
  of(transaction: { paymentMethod: PaymentMethod }): PurchaseChannel {
    const channel = this.channels.get(transaction.paymentMethod);
    if (!channel) throw new Error(`no payment channel ${transaction.paymentMethod} is registered`);
    return channel;
  }
}
