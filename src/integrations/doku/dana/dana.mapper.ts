import type { Money } from '../../../common/money/money';
import { readSnapMoney, toSnapMoney } from '../snap/doku-mapper';
import { mapTransactionStatus } from '../snap/doku-response-codes';
import { jakartaTimestamp } from '../snap/doku-signature';
import type {
  DanaPaymentRequest,
  DanaPaymentResponse,
  DanaRefundHistoryItem,
  DanaRefundRequest,
  DanaRefundResponse,
  DanaStatusRequest,
  DanaStatusResponse,
} from './dana-wire.types';
import { DANA_CHANNEL } from './dana-wire.types';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus, RefundLine } from '../snap/payment.types';
import type { PurchaseRefund, RefundResult } from '../snap/payment.types';

/**
 * DANA one-time payment through DOKU (docs/channels.md#dana-one-time-payment-jump-app) in our own
 * words. The answers are read into the same result types as the wallet's purchases, so the purchase
 * feature settles a DANA payment exactly as it settles a wallet one.
 */

/** Where the customer pays: the partner's mobile app, a desktop browser, or a mobile browser. */
export type PointOfInitiation = 'app' | 'pc' | 'mweb';

/** The customer's device, passed on as `X-DEVICE-ID` and `X-IP-ADDRESS` (docs/channels.md#headers). */
export interface CustomerDevice {
  /** Letters and digits only, at most 64. */
  deviceId: string;
  /** IPv4, when the app knows it. */
  ipAddress?: string;
}

/** A one-time payment to open at DOKU: the customer approves it in DANA. */
export interface DanaPaymentOrder {
  partnerReferenceNo: string;
  amount: Money;
  /** Where DANA sends the browser back (PAY_RETURN); never evidence of payment. */
  returnUrl: string;
  /** Until when DANA accepts the payment (judged on DOKU's clock). */
  payableUntil: Date;
  pointOfInitiation: PointOfInitiation;
  /** Shown to the customer in DANA; an empty one is not sent. */
  title?: string | null;
}

/**
 * The device id we send on a refund: a refund is started by the partner's back office or a service,
 * not on the customer's device, so it names our server (letters and digits, as DOKU requires).
 */
export const DANA_SERVER_DEVICE_ID = 'PARTNERBACKEND';

/** DOKU's limit for `originalExternalId` on this channel's refunds. */
const ORIGINAL_EXTERNAL_ID_MAX = 36;

/** The references naming the original payment, each only when known (and within DANA's limits). */
function danaOriginal(purchase: PurchaseReference): {
  originalPartnerReferenceNo: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
} {
  return {
    originalPartnerReferenceNo: purchase.partnerReferenceNo,
    ...(purchase.referenceNo ? { originalReferenceNo: purchase.referenceNo } : {}),
    ...(purchase.externalId && purchase.externalId.length <= ORIGINAL_EXTERNAL_ID_MAX ? { originalExternalId: purchase.externalId } : {}),
  };
}

export function toDanaPaymentRequest(order: DanaPaymentOrder): DanaPaymentRequest {
  return {
    partnerReferenceNo: order.partnerReferenceNo,
    amount: toSnapMoney(order.amount),
    urlParam: [{ url: order.returnUrl, type: 'PAY_RETURN', isDeepLink: 'N' }],
    // DOKU's time, like X-TIMESTAMP: the payment's validity is judged on DOKU's clock.
    validUpTo: jakartaTimestamp(order.payableUntil),
    pointOfInitiation: order.pointOfInitiation,
    additionalInfo: {
      channel: DANA_CHANNEL,
      ...(order.title ? { orderTitle: order.title } : {}),
      supportDeepLinkCheckoutUrl: false,
    },
  };
}

/** DOKU's reference and DANA's page, each only when it is text. */
export function toDanaStarted(body: DanaPaymentResponse): PurchaseStarted {
  const { referenceNo, webRedirectUrl } = body as { referenceNo?: unknown; webRedirectUrl?: unknown };
  return {
    referenceNo: typeof referenceNo === 'string' && referenceNo.length > 0 ? referenceNo : null,
    webRedirectUrl: typeof webRedirectUrl === 'string' && webRedirectUrl.length > 0 ? webRedirectUrl : null,
  };
}

export function toDanaStatusRequest(purchase: PurchaseReference): DanaStatusRequest {
  return { ...danaOriginal(purchase), serviceCode: '55', additionalInfo: { channel: DANA_CHANNEL } };
}

export function toDanaStatus(body: DanaStatusResponse): PurchaseStatus {
  const externalId: unknown = body.originalExternalId;
  return {
    status: mapTransactionStatus(body.latestTransactionStatus),
    statusCode: body.latestTransactionStatus,
    statusDescription: body.transactionStatusDesc,
    referenceNo: typeof body.originalReferenceNo === 'string' ? body.originalReferenceNo : undefined,
    externalId: typeof externalId === 'string' ? externalId : undefined,
    paidTime: body.paidTime,
    approvalCode: body.approvalCode,
    refunds: Array.isArray(body.refundHistory) ? body.refundHistory.map(toDanaRefundLine) : [],
  };
}

function toDanaRefundLine(line: DanaRefundHistoryItem): RefundLine {
  const item: Partial<DanaRefundHistoryItem> = line ?? {};
  return {
    // SNAP names our reference partnerRefundNo; DOKU's SDK models name it partnerReferenceNo.
    partnerRefundNo: item.partnerRefundNo ?? item.partnerReferenceNo,
    refundNo: item.refundNo,
    amount: readSnapMoney(item.refundAmount),
    status: mapTransactionStatus(item.refundStatus),
  };
}

export function toDanaRefundRequest(refund: PurchaseRefund): DanaRefundRequest {
  return {
    ...danaOriginal(refund.purchase),
    partnerRefundNo: refund.partnerRefundNo,
    refundAmount: toSnapMoney(refund.amount),
    reason: refund.reason,
    additionalInfo: { channel: DANA_CHANNEL },
  };
}

export function toDanaRefundResult(body: DanaRefundResponse): RefundResult {
  return { refundNo: typeof body.refundNo === 'string' ? body.refundNo : undefined };
}
