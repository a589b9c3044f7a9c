import { toSnapMoney } from '../integrations/doku/doku-mapper';
import { RefundPurchaseRequest } from '../integrations/doku/doku-wire.types';
import { Transaction } from '../transactions/entities/transaction.entity';

/**
 * The Refund Purchase request (§3.19) for one refund of one purchase. Built from the stored rows
 * only, so the first send and any later one carry the same business fields and the same
 * partnerRefundNo, which DOKU deduplicates on.
 */
export function refundPurchaseRequest(purchase: Transaction, refund: Transaction): RefundPurchaseRequest {
  const reason = (refund.details as { reason?: unknown }).reason;
  return {
    originalPartnerReferenceNo: purchase.partnerReferenceNo,
    ...(purchase.dokuReferenceNo ? { originalReferenceNo: purchase.dokuReferenceNo } : {}),
    ...(purchase.dokuExternalId ? { originalExternalId: purchase.dokuExternalId } : {}),
    partnerRefundNo: refund.partnerReferenceNo,
    refundAmount: toSnapMoney(refund.amount),
    reason: typeof reason === 'string' ? reason : (refund.description ?? ''),
    additionalInfo: {},
  };
}
