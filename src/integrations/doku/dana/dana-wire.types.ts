import type { SnapAdditionalInfo, SnapMoney, SnapResponseEnvelope } from '../snap/snap-wire.types';

/**
 * DANA one-time payment through DOKU (docs/channels.md#dana-one-time-payment-jump-app): the request
 * and answer shapes, with DOKU's field names exactly. Only `dana.mapper.ts` builds or reads them.
 */

/** DOKU's channel name for DANA, sent in `additionalInfo.channel` on every DANA call. */
export const DANA_CHANNEL = 'EMONEY_DANA_SNAP';

/** DOKU spells this channel's fields `urlParam` and `isDeepLink` (SNAP: `urlParams`, `isDeeplink`). */
export interface DanaUrlParam {
  url: string;
  type: 'PAY_RETURN';
  isDeepLink: 'Y' | 'N';
}

export interface DanaPaymentRequest {
  partnerReferenceNo: string;
  amount: SnapMoney;
  urlParam: DanaUrlParam[];
  validUpTo: string;
  pointOfInitiation: 'app' | 'pc' | 'mweb';
  additionalInfo: {
    channel: typeof DANA_CHANNEL;
    orderTitle?: string;
    supportDeepLinkCheckoutUrl: boolean;
  };
}

export interface DanaPaymentResponse extends SnapResponseEnvelope {
  /** DOKU's reference; one of DOKU's samples renders it as a JSON number, which we do not trust. */
  referenceNo?: string;
  partnerReferenceNo?: string;
  webRedirectUrl?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface DanaRefundRequest {
  originalPartnerReferenceNo: string;
  originalReferenceNo?: string;
  /** At most 36 characters on this channel. */
  originalExternalId?: string;
  partnerRefundNo: string;
  refundAmount: SnapMoney;
  reason: string;
  additionalInfo: { channel: typeof DANA_CHANNEL };
}

export interface DanaRefundResponse extends SnapResponseEnvelope {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  refundNo?: string;
  partnerRefundNo?: string;
  refundAmount?: SnapMoney;
  /** `yyyy-MM-ddTHH:mm:ssXXX`, sometimes with milliseconds and no offset: never used to decide. */
  refundTime?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface DanaStatusRequest {
  originalPartnerReferenceNo: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  /** DOKU's SDKs send "55" for this query. */
  serviceCode: '55';
  additionalInfo: { channel: typeof DANA_CHANNEL };
}

/** A refund line: SNAP names ours `partnerRefundNo`, DOKU's SDK models `partnerReferenceNo`. */
export interface DanaRefundHistoryItem {
  refundNo?: string;
  partnerRefundNo?: string;
  partnerReferenceNo?: string;
  refundAmount?: SnapMoney;
  refundStatus?: string;
  refundDate?: string;
  reason?: string;
}

export interface DanaStatusResponse extends SnapResponseEnvelope {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  serviceCode?: string;
  approvalCode?: string;
  latestTransactionStatus?: string;
  transactionStatusDesc?: string;
  originalResponseCode?: string;
  originalResponseMessage?: string;
  refundHistory?: DanaRefundHistoryItem[];
  transAmount?: SnapMoney;
  feeAmount?: SnapMoney;
  paidTime?: string;
  additionalInfo?: SnapAdditionalInfo;
}

/** The DANA rows of the wire map (joined into `DokuWireMap`). */
export interface DanaWireMap {
  danaPayment: { request: DanaPaymentRequest; response: DanaPaymentResponse };
  danaRefund: { request: DanaRefundRequest; response: DanaRefundResponse };
  danaStatus: { request: DanaStatusRequest; response: DanaStatusResponse };
}
