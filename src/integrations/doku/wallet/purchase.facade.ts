import { Injectable } from '@nestjs/common';
import type { DokuResult, MoneyCallOptions } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import { isDeclinedWith } from '../snap/doku.errors';
import type { QueryPurchaseResponse } from './wallet-wire.types';
import type { PurchaseCanceled, PurchaseCancellation, PurchaseOrder } from './purchase.mapper';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus } from '../snap/payment.types';
import {
  QUERY_PURCHASE_SDK_SERVICE_CODE,
  toCancelPurchaseRequest,
  toPurchaseCanceled,
  toPurchaseStarted,
  toPurchaseStatus,
  toPurchaseWebRequest,
  toQueryPurchaseRequest,
} from './purchase.mapper';

/**
 * Purchases at DOKU in our own types: open one (Purchase Web), ask what became of it (Query
 * Purchase), cancel it (Cancel Purchase). Each method is one `DokuClient` call (or, for the status,
 * the fixed sequence below) and throws what the client throws.
 */
@Injectable()
export class DokuPurchases {
  constructor(private readonly client: DokuClient) {}

  /** A fresh X-EXTERNAL-ID for a purchase or a cancel, to store before it is sent. */
  newExternalId(): Promise<string> {
    return this.client.newExternalId();
  }

  /** Purchase Web with the user's customer token: DOKU's reference and the PIN page. */
  async start(customerToken: string, order: PurchaseOrder, options?: MoneyCallOptions): Promise<DokuResult<PurchaseStarted>> {
    return mapResult(await this.client.purchaseWeb(customerToken, toPurchaseWebRequest(order), options), toPurchaseStarted);
  }

  /**
   * Query Purchase. Asked with service code "54"; refused as a bad request, asked again with "55"
   * (see QUERY_PURCHASE_SERVICE_CODE). When DOKU then does not know the purchase and the
   * X-EXTERNAL-ID was sent, asked once more without it: the stored id may not be the one DOKU saw
   * (a process that died after a token renewal never stored the new one), so "not found" counts
   * only without it. The last answer is the result, or its error is thrown.
   */
  async status(purchase: PurchaseReference): Promise<DokuResult<PurchaseStatus>> {
    return mapResult(await this.queryPurchase(purchase), toPurchaseStatus);
  }

  /** Cancel Purchase. */
  async cancel(cancellation: PurchaseCancellation, options?: MoneyCallOptions): Promise<DokuResult<PurchaseCanceled>> {
    return mapResult(await this.client.cancelPurchase(toCancelPurchaseRequest(cancellation), options), toPurchaseCanceled);
  }

  private async queryPurchase(purchase: PurchaseReference): Promise<DokuResult<QueryPurchaseResponse>> {
    const request = toQueryPurchaseRequest(purchase);
    let failure: unknown;
    try {
      return await this.client.queryPurchase(request);
    } catch (error) {
      failure = error;
    }
    if (isDeclinedWith(failure, 'DOKU.BAD_REQUEST')) {
      try {
        return await this.client.queryPurchase({ ...request, serviceCode: QUERY_PURCHASE_SDK_SERVICE_CODE });
      } catch (error) {
        failure = error;
      }
    }
    if (isDeclinedWith(failure, 'DOKU.NOT_FOUND') && request.originalExternalId !== undefined) {
      const { originalExternalId: _stale, ...withoutExternalId } = request;
      return this.client.queryPurchase(withoutExternalId);
    }
    throw failure;
  }
}
