import { randomUUID } from 'node:crypto';
import type { Money } from '../../../common/money/money';
import type { MoneyReading } from '../snap/doku-mapper';
import { readSnapMoney, toSnapMoney } from '../snap/doku-mapper';
import { mapTransactionStatus } from '../snap/doku-response-codes';
import type {
  KkiPaymentRequest,
  KkiPaymentResponse,
  KkiRefundHistoryItem,
  KkiRefundRequest,
  KkiRefundResponse,
  KkiStatusRequest,
  KkiStatusResponse,
} from './kki-wire.types';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus, RefundLine } from '../snap/payment.types';
import type { PurchaseRefund, RefundResult } from '../snap/payment.types';

/**
 * The KKI card channel (docs/channels.md#kki-card-host-to-host) in our own words: a card payment,
 * its refunds and its status, read into the same result types as the wallet's purchases
 * (`PurchaseStarted`, `PurchaseStatus`, `RefundResult`) so the purchase feature treats every channel
 * alike. The card's token or CPAN and the customer's OTP pass through these functions into one
 * request body and are kept nowhere: the exchange record redacts them.
 */

/** Our reference of a card payment: exactly 32 letters and digits. */
export const KKI_PARTNER_REFERENCE = /^[A-Za-z0-9]{32}$/;
/** The customer's one-time code from the issuer. */
export const KKI_OTP = /^[0-9]{8}$/;
/** A refund reference DOKU accepts for this channel: at most 12 characters. */
export const KKI_REFUND_NO = /^[A-Za-z0-9]{1,12}$/;
const CPAN = /^[0-9]{12,20}$/;
const CARD_TOKEN = /^[\x21-\x7e]{1,64}$/;

/** Service code the status query names (DOKU's libraries send "55"). */
export const KKI_STATUS_SERVICE_CODE = '55';

/** A fresh reference for a card payment: a UUID's 32 hex digits, so it is unique without a lookup. */
export function newKkiPartnerReference(): string {
  return randomUUID().replace(/-/g, '');
}

/** The card, by DOKU's token when the customer has one, otherwise by its CPAN. */
export type KkiCard = { bankCardToken: string; cpan?: never } | { cpan: string; bankCardToken?: never };

export interface KkiCardPayment {
  partnerReferenceNo: string;
  amount: Money;
  card: KkiCard;
  /** The 8-digit OTP the customer received from the issuer, when the flow has one. */
  otp?: string;
  /** DOKU's channel name for KKI, when the onboarding gives one; not sent otherwise. */
  channel?: string;
}

/**
 * What the card payment answer says: with a confirmation link (`webRedirectUrl`, DOKU's or the
 * issuer's) the customer still has to confirm in the issuer's app and the payment is not paid
 * yet; without one DOKU authorised it. Either way the status query is the proof to settle on.
 */
export type KkiPaymentStarted = PurchaseStarted;

/** The status, with the amount DOKU states for the payment. */
export interface KkiPaymentStatus extends PurchaseStatus {
  amount: MoneyReading;
}

export function toKkiPaymentRequest(payment: KkiCardPayment): KkiPaymentRequest {
  if (!KKI_PARTNER_REFERENCE.test(payment.partnerReferenceNo)) throw new RangeError('KKI partnerReferenceNo must be 32 letters or digits');
  if (payment.otp !== undefined && !KKI_OTP.test(payment.otp)) throw new RangeError('KKI OTP must be 8 digits');
  const request: KkiPaymentRequest = {
    partnerReferenceNo: payment.partnerReferenceNo,
    amount: toSnapMoney(payment.amount),
    additionalInfo: payment.channel ? { channel: payment.channel } : {},
  };
  if (payment.card.bankCardToken !== undefined) {
    if (!CARD_TOKEN.test(payment.card.bankCardToken)) throw new RangeError('KKI card token must be 1 to 64 printable characters');
    request.bankCardToken = payment.card.bankCardToken;
  } else {
    if (!CPAN.test(payment.card.cpan)) throw new RangeError('KKI CPAN must be 12 to 20 digits');
    request.additionalInfo.cpan = payment.card.cpan;
  }
  if (payment.otp !== undefined) request.otp = payment.otp;
  return request;
}

export function toKkiPaymentStarted(body: KkiPaymentResponse): KkiPaymentStarted {
  const link = [body.webRedirectUrl, body.appRedirectUrl].find((u) => typeof u === 'string' && u.length > 0);
  return { referenceNo: typeof body.referenceNo === 'string' ? body.referenceNo : null, webRedirectUrl: link ?? null };
}

function originals(
  payment: PurchaseReference,
): Pick<KkiRefundRequest, 'originalPartnerReferenceNo' | 'originalReferenceNo' | 'originalExternalId'> {
  return {
    originalPartnerReferenceNo: payment.partnerReferenceNo,
    ...(payment.referenceNo ? { originalReferenceNo: payment.referenceNo } : {}),
    ...(payment.externalId ? { originalExternalId: payment.externalId } : {}),
  };
}

/** A refund of a card payment; its `partnerRefundNo` comes from `KkiRefundNumbers` (at most 12 characters). */
export function toKkiRefundRequest(refund: PurchaseRefund, channel?: string): KkiRefundRequest {
  if (!KKI_REFUND_NO.test(refund.partnerRefundNo)) throw new RangeError('KKI partnerRefundNo must be 1 to 12 letters or digits');
  const request: KkiRefundRequest = {
    ...originals(refund.purchase),
    partnerRefundNo: refund.partnerRefundNo,
    refundAmount: toSnapMoney(refund.amount),
    additionalInfo: channel ? { channel } : {},
  };
  if (refund.reason) request.reason = refund.reason.slice(0, 255);
  return request;
}

export function toKkiRefundResult(body: KkiRefundResponse): RefundResult {
  return { refundNo: body.refundNo };
}

export function toKkiStatusRequest(payment: PurchaseReference, channel?: string): KkiStatusRequest {
  return { ...originals(payment), serviceCode: KKI_STATUS_SERVICE_CODE, additionalInfo: channel ? { channel } : {} };
}

export function toKkiPaymentStatus(body: KkiStatusResponse): KkiPaymentStatus {
  const externalId: unknown = body.originalExternalId;
  return {
    status: mapTransactionStatus(body.latestTransactionStatus),
    statusCode: body.latestTransactionStatus,
    statusDescription: body.transactionStatusDesc,
    referenceNo: body.originalReferenceNo,
    externalId: typeof externalId === 'string' ? externalId : undefined,
    amount: readSnapMoney(body.transAmount),
    paidTime: body.paidTime,
    refunds: Array.isArray(body.refundHistory) ? body.refundHistory.map(toRefundLine) : [],
  };
}

function toRefundLine(line: KkiRefundHistoryItem): RefundLine {
  const item: Partial<KkiRefundHistoryItem> = line ?? {};
  return {
    // DOKU's libraries name the refund's own reference `partnerReferenceNo` here; SNAP says `partnerRefundNo`.
    partnerRefundNo: item.partnerRefundNo ?? item.partnerReferenceNo,
    refundNo: item.refundNo,
    amount: readSnapMoney(item.refundAmount),
    status: mapTransactionStatus(item.refundStatus),
  };
}
