import type { Money } from '../../../common/money/money';
import { readSnapMoney, toSnapMoney } from '../snap/doku-mapper';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus, RefundLine } from '../snap/payment.types';
import { mapTransactionStatus } from '../snap/doku-response-codes';
import { jakartaTimestamp } from '../snap/doku-signature';
import type {
  CancelPurchaseRequest,
  CancelPurchaseResponse,
  PurchaseWebRequest,
  PurchaseWebResponse,
  QueryPurchaseRequest,
  QueryPurchaseResponse,
  SnapRefundHistoryItem,
} from './wallet-wire.types';

/**
 * Purchase Web, Query Purchase and Cancel Purchase (docs/doku-integration.md#purchase) in our own
 * words: what a purchase is made of on our side, and what DOKU's answers tell us. The wire shapes
 * are built and read here only; the features see the types below.
 */

/** One line of what is bought; `price` is the unit price. */
export interface PurchaseItem {
  name: string;
  price: Money;
  quantity: number;
}

/** A purchase to open at DOKU: the user then pays it on DOKU's PIN page. */
export interface PurchaseOrder {
  partnerReferenceNo: string;
  amount: Money;
  /** Where DOKU's PIN page sends the browser back. */
  returnUrl: string;
  /** The return URL is the partner app's own link (deep link or universal link): DOKU opens the app. */
  returnIsAppLink?: boolean;
  /** Where DOKU sends its payment notification. */
  notifyUrl: string;
  /** Until when the PIN page accepts the payment (judged on DOKU's clock). */
  payableUntil: Date;
  /** Shown to the user; an empty one is not sent. */
  description?: string | null;
  items?: readonly PurchaseItem[];
}

/** A cancel of a purchase not yet paid, or paid today and not refunded. */
export interface PurchaseCancellation {
  purchase: PurchaseReference;
  amount: Money;
  /** Sent only when not empty. */
  reason?: string | null;
}

/** DOKU canceled the purchase. */
export interface PurchaseCanceled {
  cancelTime?: string;
}

/**
 * The service code Query Purchase names: SNAP asks for the original service "54"; DOKU's Node SDK
 * sends "55" (docs/doku-integration.md#purchase), so a refused "54" is asked again with "55".
 */
export const QUERY_PURCHASE_SERVICE_CODE = '54';
export const QUERY_PURCHASE_SDK_SERVICE_CODE = '55';

/** The `original…` fields every follow-up of a purchase carries, each only when known. */
export function originalReferences(purchase: PurchaseReference): {
  originalPartnerReferenceNo: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
} {
  return {
    originalPartnerReferenceNo: purchase.partnerReferenceNo,
    ...(purchase.referenceNo ? { originalReferenceNo: purchase.referenceNo } : {}),
    ...(purchase.externalId ? { originalExternalId: purchase.externalId } : {}),
  };
}

export function toPurchaseWebRequest(order: PurchaseOrder): PurchaseWebRequest {
  return {
    partnerReferenceNo: order.partnerReferenceNo,
    amount: toSnapMoney(order.amount),
    urlParams: [
      { url: order.returnUrl, type: 'PAY_RETURN', isDeeplink: order.returnIsAppLink === true ? 'Y' : 'N' },
      { url: order.notifyUrl, type: 'PAY_NOTIFY', isDeeplink: 'N' },
    ],
    // DOKU's time, like X-TIMESTAMP: the page validity is judged on DOKU's clock.
    validUpTo: jakartaTimestamp(order.payableUntil),
    additionalInfo: {
      ...(order.description ? { remarks: order.description } : {}),
      ...(order.items !== undefined && order.items.length > 0
        ? { lineItems: order.items.map((i) => ({ name: i.name, price: `${i.price.toString()}.00`, quantity: i.quantity })) }
        : {}),
    },
  };
}

export function toPurchaseStarted(body: PurchaseWebResponse): PurchaseStarted {
  const { referenceNo, webRedirectUrl } = body as { referenceNo?: unknown; webRedirectUrl?: unknown };
  return {
    referenceNo: typeof referenceNo === 'string' ? referenceNo : null,
    webRedirectUrl: typeof webRedirectUrl === 'string' ? webRedirectUrl : null,
  };
}

export function toQueryPurchaseRequest(purchase: PurchaseReference): QueryPurchaseRequest {
  return { serviceCode: QUERY_PURCHASE_SERVICE_CODE, ...originalReferences(purchase), additionalInfo: {} };
}

export function toPurchaseStatus(body: QueryPurchaseResponse): PurchaseStatus {
  const externalId: unknown = body.originalExternalId;
  return {
    status: mapTransactionStatus(body.latestTransactionStatus),
    statusCode: body.latestTransactionStatus,
    statusDescription: body.transactionStatusDesc,
    referenceNo: body.originalReferenceNo,
    externalId: typeof externalId === 'string' ? externalId : undefined,
    paidTime: body.paidTime,
    approvalCode: body.approvalCode,
    refunds: Array.isArray(body.refundHistory) ? body.refundHistory.map(toRefundLine) : [],
  };
}

function toRefundLine(line: SnapRefundHistoryItem): RefundLine {
  const item: Partial<SnapRefundHistoryItem> = line ?? {};
  return {
    partnerRefundNo: item.partnerRefundNo,
    refundNo: item.refundNo,
    amount: readSnapMoney(item.refundAmount),
    status: mapTransactionStatus(item.refundStatus),
  };
}

export function toCancelPurchaseRequest(cancellation: PurchaseCancellation): CancelPurchaseRequest {
  return {
    ...originalReferences(cancellation.purchase),
    ...(cancellation.reason ? { reason: cancellation.reason } : {}),
    amount: toSnapMoney(cancellation.amount),
    additionalInfo: {},
  };
}

export function toPurchaseCanceled(body: CancelPurchaseResponse): PurchaseCanceled {
  return { cancelTime: body.cancelTime };
}
