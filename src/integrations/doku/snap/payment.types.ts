import type { Money } from '../../../common/money/money';
import type { MoneyReading } from './doku-mapper';
import type { DokuTransactionStatus } from './doku-response-codes';

/**
 * What every DOKU payment product answers in, in our own words: the wallet's Purchase Web, DANA's
 * one-time payment and the KKI card each map their own wire shapes to these, so the purchase feature
 * reads every channel alike (docs/channels.md#how-a-channel-plugs-in).
 */

/** How DOKU finds a purchase: our reference, and DOKU's reference and the X-EXTERNAL-ID once known. */
export interface PurchaseReference {
  partnerReferenceNo: string;
  /** DOKU's referenceNo, once DOKU gave one. */
  referenceNo?: string | null;
  /** The X-EXTERNAL-ID the purchase was sent with, when we have it. */
  externalId?: string | null;
  /** Our amount, for a channel that checks the amount its status query states (never sent). */
  amount?: Money;
}

/** DOKU accepted the purchase: the user pays it on the PIN page at `webRedirectUrl`. */
export interface PurchaseStarted {
  referenceNo: string | null;
  webRedirectUrl: string | null;
}

/** One refund of a purchase as Query Purchase lists it. */
export interface RefundLine {
  /** Our reference of the refund. */
  partnerRefundNo?: string;
  /** DOKU's reference of the refund. */
  refundNo?: string;
  amount: MoneyReading;
  /** Our reading of DOKU's refund status (an unknown one is PENDING). */
  status: DokuTransactionStatus;
}

/** What Query Purchase says about a purchase DOKU knows. */
export interface PurchaseStatus {
  /** Our reading of DOKU's status (an unknown one is PENDING, never success). */
  status: DokuTransactionStatus;
  /** DOKU's own status code, for the record. */
  statusCode?: string;
  /** DOKU's description of the status. */
  statusDescription?: string;
  /** DOKU's reference of the purchase. */
  referenceNo?: string;
  /** DOKU's record of the X-EXTERNAL-ID that created the purchase, when it gives one as text. */
  externalId?: string;
  paidTime?: string;
  approvalCode?: string;
  /** The refunds DOKU lists; DOKU may leave the list out, and then it says nothing about any refund. */
  refunds: RefundLine[];
}

/** One refund of one paid purchase. */
export interface PurchaseRefund {
  purchase: PurchaseReference;
  /** Our reference of the refund: DOKU applies one refund per reference. */
  partnerRefundNo: string;
  amount: Money;
  reason: string;
}

/** DOKU applied the refund. */
export interface RefundResult {
  /** DOKU's reference of the refund. */
  refundNo?: string;
}
