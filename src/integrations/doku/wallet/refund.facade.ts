import { Injectable } from '@nestjs/common';
import type { DokuResult, MoneyCallOptions } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import type { PurchaseRefund, RefundResult } from '../snap/payment.types';
import { toRefundPurchaseRequest, toRefundResult } from './refund.mapper';

/** Refunds of purchases at DOKU in our own types (Refund Purchase). */
@Injectable()
export class DokuRefunds {
  constructor(private readonly client: DokuClient) {}

  /** A fresh X-EXTERNAL-ID for a refund, to store before it is sent. */
  newExternalId(): Promise<string> {
    return this.client.newExternalId();
  }

  /** Refund Purchase; DOKU applies one refund per `partnerRefundNo`. */
  async refund(refund: PurchaseRefund, options?: MoneyCallOptions): Promise<DokuResult<RefundResult>> {
    return mapResult(await this.client.refundPurchase(toRefundPurchaseRequest(refund), options), toRefundResult);
  }
}
