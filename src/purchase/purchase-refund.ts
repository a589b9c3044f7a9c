import type { PurchaseReference } from '../integrations/doku/snap/payment.types';
import type { PurchaseRefund } from '../integrations/doku/snap/payment.types';
import type { Transaction } from '../transactions/entities/transaction.entity';

/** How DOKU finds a purchase of ours: its reference, and DOKU's reference and X-EXTERNAL-ID once stored. */
export function purchaseReferenceOf(purchase: Transaction): PurchaseReference {
  return {
    partnerReferenceNo: purchase.partnerReferenceNo,
    referenceNo: purchase.dokuReferenceNo,
    externalId: purchase.dokuExternalId,
    amount: purchase.amount,
  };
}

/**
 * One refund of one purchase, as sent with Refund Purchase (docs/doku-integration.md#refund). Built
 * from the stored rows only, so the first send and any later one carry the same business fields and
 * the same partnerRefundNo, which DOKU deduplicates on.
 */
export function purchaseRefundOf(purchase: Transaction, refund: Transaction): PurchaseRefund {
  const reason = (refund.details as { reason?: unknown }).reason;
  return {
    purchase: purchaseReferenceOf(purchase),
    partnerRefundNo: refund.partnerReferenceNo,
    amount: refund.amount,
    reason: typeof reason === 'string' ? reason : (refund.description ?? ''),
  };
}
