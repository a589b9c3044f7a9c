import { Injectable } from '@nestjs/common';
import type { DokuResult, MoneyCallOptions } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import { isDeclinedWith } from '../snap/doku.errors';
import type { DanaStatusResponse } from './dana-wire.types';
import type { CustomerDevice, DanaPaymentOrder } from './dana.mapper';
import {
  DANA_SERVER_DEVICE_ID,
  toDanaPaymentRequest,
  toDanaRefundRequest,
  toDanaRefundResult,
  toDanaStarted,
  toDanaStatus,
  toDanaStatusRequest,
} from './dana.mapper';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus } from '../snap/payment.types';
import type { PurchaseRefund, RefundResult } from '../snap/payment.types';

/**
 * DANA one-time payments through DOKU in our own types (docs/channels.md#dana-one-time-payment-jump-app):
 * open one, ask what became of it, refund it. B2B token only: no customer token, no binding.
 */
@Injectable()
export class DokuDana {
  constructor(private readonly client: DokuClient) {}

  /** A fresh X-EXTERNAL-ID for a payment or a refund, to store before it is sent. */
  newExternalId(): Promise<string> {
    return this.client.newExternalId();
  }

  /** The payment: DOKU's reference and DANA's page, where the customer approves. */
  async start(order: DanaPaymentOrder, device: CustomerDevice, options?: MoneyCallOptions): Promise<DokuResult<PurchaseStarted>> {
    return mapResult(await this.client.danaPayment(toDanaPaymentRequest(order), device, options), toDanaStarted);
  }

  /**
   * The status query. When DOKU does not know the payment and the X-EXTERNAL-ID was sent, asked once
   * more without it (the stored id may not be the one DOKU saw), as for the wallet's purchases.
   */
  async status(purchase: PurchaseReference): Promise<DokuResult<PurchaseStatus>> {
    return mapResult(await this.query(purchase), toDanaStatus);
  }

  /** The refund, sent with our server's device id (a refund is not started on the customer's device). */
  async refund(refund: PurchaseRefund, options?: MoneyCallOptions): Promise<DokuResult<RefundResult>> {
    return mapResult(
      await this.client.danaRefund(toDanaRefundRequest(refund), { deviceId: DANA_SERVER_DEVICE_ID }, options),
      toDanaRefundResult,
    );
  }

  private async query(purchase: PurchaseReference): Promise<DokuResult<DanaStatusResponse>> {
    const request = toDanaStatusRequest(purchase);
    try {
      return await this.client.danaStatus(request);
    } catch (error) {
      if (!isDeclinedWith(error, 'DOKU.NOT_FOUND') || request.originalExternalId === undefined) throw error;
    }
    const { originalExternalId: _stale, ...withoutExternalId } = request;
    return this.client.danaStatus(withoutExternalId);
  }
}
