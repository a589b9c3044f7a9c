import { Injectable } from '@nestjs/common';
import type { DokuResult, MoneyCallOptions } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import type { KkiCardPayment, KkiPaymentStarted, KkiPaymentStatus } from './kki.mapper';
import {
  toKkiPaymentRequest,
  toKkiPaymentStarted,
  toKkiPaymentStatus,
  toKkiRefundRequest,
  toKkiRefundResult,
  toKkiStatusRequest,
} from './kki.mapper';
import { KkiRefundNumbers } from './kki-refund-number';
import type { PurchaseReference } from '../snap/payment.types';
import type { PurchaseRefund, RefundResult } from '../snap/payment.types';

/**
 * KKI card payments at DOKU in our own types (docs/channels.md#kki-card-host-to-host): pay with a
 * card token or CPAN and the customer's OTP, refund in full or in part, ask for the status. Each
 * method is one `DokuClient` call over the shared SNAP signing, B2B token and exchange records, and
 * throws what the client throws. Results are the purchase feature's own types, as for every channel.
 */
@Injectable()
export class DokuKkiCards {
  constructor(
    private readonly client: DokuClient,
    private readonly refundNumbers: KkiRefundNumbers,
  ) {}

  /** A fresh X-EXTERNAL-ID for a payment or a refund, to store before it is sent. */
  newExternalId(): Promise<string> {
    return this.client.newExternalId();
  }

  /** A fresh refund reference of at most 12 characters, to store with the refund before it is sent. */
  newRefundNo(): Promise<string> {
    return this.refundNumbers.next();
  }

  /** The payment, with the customer token DOKU's page requires on it; `webRedirectUrl` is set while the customer must confirm. */
  async pay(customerToken: string, payment: KkiCardPayment, options?: MoneyCallOptions): Promise<DokuResult<KkiPaymentStarted>> {
    return mapResult(await this.client.kkiPayment(customerToken, toKkiPaymentRequest(payment), options), toKkiPaymentStarted);
  }

  /** An online refund, full or partial; DOKU applies one refund per `partnerRefundNo` (from `newRefundNo`). */
  async refund(refund: PurchaseRefund, options?: MoneyCallOptions & { channel?: string }): Promise<DokuResult<RefundResult>> {
    return mapResult(await this.client.kkiRefund(toKkiRefundRequest(refund, options?.channel), options), toKkiRefundResult);
  }

  /** What DOKU knows of the payment and its refunds. */
  async status(payment: PurchaseReference, channel?: string): Promise<DokuResult<KkiPaymentStatus>> {
    return mapResult(await this.client.kkiStatus(toKkiStatusRequest(payment, channel)), toKkiPaymentStatus);
  }
}
