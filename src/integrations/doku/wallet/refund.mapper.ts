import { toSnapMoney } from '../snap/doku-mapper';
import type { RefundPurchaseRequest, RefundPurchaseResponse } from './wallet-wire.types';
import type { PurchaseRefund, RefundResult } from '../snap/payment.types';
import { originalReferences } from './purchase.mapper';

/**
 * Refund Purchase (docs/doku-integration.md#refund) in our own words. DOKU deduplicates refunds on
 * `partnerRefundNo`, so every send of one refund must carry the same fields: build it from the
 * stored rows only.
 */

export function toRefundPurchaseRequest(refund: PurchaseRefund): RefundPurchaseRequest {
  return {
    ...originalReferences(refund.purchase),
    partnerRefundNo: refund.partnerRefundNo,
    refundAmount: toSnapMoney(refund.amount),
    reason: refund.reason,
    additionalInfo: {},
  };
}

export function toRefundResult(body: RefundPurchaseResponse): RefundResult {
  return { refundNo: body.refundNo };
}
