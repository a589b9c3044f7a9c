import type { SnapMoney } from '../snap/snap-wire.types';

/**
 * DOKU's wire shapes for the KKI card channel (Kartu Kredit Indonesia, host to host), on the SNAP
 * "direct debit core" paths (docs/channels.md#kki-card-host-to-host). Field names DOKU's page lost
 * are our choice and marked there; everything here stays inside src/integrations/.
 */

/** SNAP money, the same shape as every SNAP product's. */
export type KkiMoney = SnapMoney;

/** One refund in the status answer; DOKU's libraries name our refund reference `partnerReferenceNo`, SNAP `partnerRefundNo`. */
export interface KkiRefundHistoryItem {
  refundNo?: string;
  partnerRefundNo?: string;
  partnerReferenceNo?: string;
  refundAmount?: KkiMoney;
  refundStatus?: string;
  refundDate?: string;
  reason?: string;
}

export interface KkiPaymentRequest {
  /** Our reference: exactly 32 letters and digits (fits the payment's 32 and the refund's 32 to 64). */
  partnerReferenceNo: string;
  amount: KkiMoney;
  /** DOKU's token of the card, when the customer has one. */
  bankCardToken?: string;
  /** The customer's one-time code from the issuer, exactly 8 digits. */
  otp?: string;
  additionalInfo: {
    channel?: string;
    /** The card's CPAN, when there is no card token (the page does not name the field). */
    cpan?: string;
  };
}

export interface KkiPaymentResponse {
  responseCode: string;
  responseMessage: string;
  referenceNo?: string;
  partnerReferenceNo?: string;
  /** Present when the issuer wants the customer to confirm in its app: then the payment is pending. */
  webRedirectUrl?: string;
  appRedirectUrl?: string;
  additionalInfo?: Record<string, unknown>;
}

export interface KkiRefundRequest {
  originalPartnerReferenceNo: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  /** At most 12 characters (kki-refund-number.ts). */
  partnerRefundNo: string;
  refundAmount: KkiMoney;
  reason?: string;
  additionalInfo: { channel?: string };
}

export interface KkiRefundResponse {
  responseCode: string;
  responseMessage: string;
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  refundNo?: string;
  partnerRefundNo?: string;
  refundAmount?: KkiMoney;
  refundTime?: string;
}

export interface KkiStatusRequest {
  originalPartnerReferenceNo: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  serviceCode: string;
  additionalInfo: { channel?: string };
}

export interface KkiStatusResponse {
  responseCode: string;
  responseMessage: string;
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  serviceCode?: string;
  latestTransactionStatus?: string;
  transactionStatusDesc?: string;
  transAmount?: KkiMoney;
  paidTime?: string;
  refundHistory?: KkiRefundHistoryItem[];
}
