import type { Money } from '../../../common/money/money';
import { toSnapMoney, tryFromSnapMoney } from '../snap/doku-mapper';
import type { DokuTransactionStatus } from '../snap/doku-response-codes';
import { mapTransactionStatus } from '../snap/doku-response-codes';
import type {
  QueryTopUpRequest,
  QueryTopUpResponse,
  TopUpInquiryRequest,
  TopUpInquiryResponse,
  TopUpRequest,
  TopUpResponse,
} from './wallet-wire.types';

/**
 * Account Inquiry Top Up, Account Top Up and Query Top Up (docs/doku-integration.md#top-up) in our
 * own words.
 */

/** Query Top Up names the original service: Account Top Up. */
export const TOP_UP_SERVICE_CODE = '38';
/** DOKU keeps at most 25 characters of an inquiry's session id. */
const SESSION_ID_MAX = 25;

/** Asks DOKU whether a wallet can take an amount, and at what fee. */
export interface TopUpCheck {
  partnerReferenceNo: string;
  /** The wallet's phone number. */
  customerNumber: string;
  amount: Money;
  /** The wallet's DOKU account id. */
  accountId: string;
}

/** DOKU's answer to a top-up check. */
export interface TopUpQuote {
  referenceNo?: string;
  sessionId?: string;
  /** The wallet holder's name as DOKU shows it. */
  customerName?: string;
  /** The fee DOKU quotes; undefined when absent or unreadable. */
  feeAmount?: Money;
}

/** A top-up of a wallet from the partner's corporate balance, for an earlier check. */
export interface TopUpOrder {
  partnerReferenceNo: string;
  customerNumber: string;
  amount: Money;
  /** The fee the check quoted, sent back when there was one. */
  feeAmount: Money | null;
  /** The check's session id, sent when there was one. */
  sessionId: string | null;
  accountId: string;
}

/** DOKU applied the top-up. */
export interface TopUpResult {
  referenceNo?: string;
}

/** How DOKU finds a top-up. */
export interface TopUpReference {
  partnerReferenceNo: string;
  referenceNo?: string | null;
  /** The X-EXTERNAL-ID the top-up was sent with, when we have it. */
  externalId?: string | null;
}

/** What Query Top Up says about a top-up DOKU knows. */
export interface TopUpStatus {
  /** Our reading of DOKU's status (an unknown one is PENDING, never success). */
  status: DokuTransactionStatus;
  /** DOKU's reference of the top-up. */
  referenceNo?: string;
  /** The amount DOKU reports; undefined when absent or unreadable. */
  amount?: Money;
}

export function toTopUpInquiryRequest(check: TopUpCheck): TopUpInquiryRequest {
  return {
    partnerReferenceNo: check.partnerReferenceNo,
    customerNumber: check.customerNumber,
    amount: toSnapMoney(check.amount),
    additionalInfo: { accountId: check.accountId },
  };
}

export function toTopUpQuote(body: TopUpInquiryResponse): TopUpQuote {
  return {
    referenceNo: body.referenceNo,
    sessionId: body.sessionId,
    customerName: body.customerName,
    feeAmount: tryFromSnapMoney(body.feeAmount),
  };
}

export function toTopUpRequest(order: TopUpOrder): TopUpRequest {
  return {
    partnerReferenceNo: order.partnerReferenceNo,
    customerNumber: order.customerNumber,
    amount: toSnapMoney(order.amount),
    ...(order.feeAmount !== null ? { feeAmount: toSnapMoney(order.feeAmount) } : {}),
    ...(order.sessionId ? { sessionId: order.sessionId.slice(0, SESSION_ID_MAX) } : {}),
    additionalInfo: { accountId: order.accountId },
  };
}

export function toTopUpResult(body: TopUpResponse): TopUpResult {
  return { referenceNo: body.referenceNo };
}

export function toQueryTopUpRequest(topUp: TopUpReference): QueryTopUpRequest {
  return {
    serviceCode: TOP_UP_SERVICE_CODE,
    originalPartnerReferenceNo: topUp.partnerReferenceNo,
    ...(topUp.referenceNo ? { originalReferenceNo: topUp.referenceNo } : {}),
    ...(topUp.externalId ? { originalExternalId: topUp.externalId } : {}),
  };
}

export function toTopUpStatus(body: QueryTopUpResponse): TopUpStatus {
  return {
    status: mapTransactionStatus(body.latestTransactionStatus),
    referenceNo: body.originalReferenceNo,
    amount: tryFromSnapMoney(body.amount),
  };
}
