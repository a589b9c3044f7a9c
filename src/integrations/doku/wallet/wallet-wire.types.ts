import type { SnapAdditionalInfo, SnapMoney, SnapResponseEnvelope } from '../snap/snap-wire.types';

/**
 * Request and response bodies of the DOKU Wallet SNAP endpoints, with SNAP's field names exactly
 * (docs/doku-integration.md#endpoint-map). Every response is DOKU's JSON as received, so response
 * fields are optional unless the envelope guarantees them. Amounts are SNAP strings here; convert
 * only through the mappers.
 */

// ---- Account Creation (06) ----

export interface SnapDeviceInfo {
  os?: string;
  osVersion?: string;
  model?: string;
  manufacturer?: string;
}

export interface AccountCreationRequest {
  partnerReferenceNo: string;
  name: string;
  email: string;
  phoneNo: string;
  redirectUrl: string;
  countryCode?: string;
  customerId?: string;
  deviceInfo?: SnapDeviceInfo;
  lang?: string;
  locale?: string;
  onboardingPartner?: string;
  scopes?: string;
  seamlessData?: string;
  seamlessSign?: string;
  state?: string;
  merchantId?: string;
  subMerchantId?: string;
  terminalType?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface AccountCreationResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  authCode?: string;
  apiKey?: string;
  accountId?: string;
  state?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Verify OTP (04) ----

export interface VerifyOtpRequest {
  originalPartnerReferenceNo: string;
  originalReferenceNo: string;
  otp: string;
  additionalInfo?: SnapAdditionalInfo;
  action?: string;
  merchantId?: string;
  chargeToken?: string;
  type?: string;
}

export interface VerifyOtpResponse extends SnapResponseEnvelope {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  email?: string;
  phoneNo?: string;
  sendOtpFlag?: string;
  /** DOKU's SDK spelling; SNAP spells it `qParamsURL`. Parse both. */
  qparamsURL?: string;
  qParamsURL?: string;
  qparams?: { token?: string };
  qParams?: { token?: string };
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Request OTP (81) [INF] ----

export interface RequestOtpRequest {
  journeyId: string;
  partnerReferenceNo?: string;
  merchantId?: string;
  /** Sic: SNAP spells it `subMerchant`, not `subMerchantId`. */
  subMerchant?: string;
  externalStoreId?: string;
  trxDateTime?: string;
  bankCardToken?: string;
  otpTrxCode?: string;
  otpReasonCode?: string;
  otpReasonMessage?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface RequestOtpResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  chargeToken?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Account Binding (07) ----

export interface AccountBindingRequest {
  partnerReferenceNo: string;
  redirectUrl: string;
  successParams: { accountId: string };
  merchantId?: string;
  phoneNo?: string;
  authCode?: string;
  grantType?: string;
  lang?: string;
  locale?: string;
  platformType?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface AccountBindingResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  linkId?: string;
  nextAction?: string;
  redirectUrl?: string;
  userInfo?: { publicUserId?: string };
  accountToken?: string;
  accessTokenInfo?: {
    accessToken?: string;
    expiresIn?: string | number;
    refreshToken?: string;
    reExpiresIn?: string | number;
    tokenStatus?: string;
  };
  linkageToken?: string;
  params?: Record<string, unknown>;
  pinWebViewUrl?: string;
  redirectToDeeplink?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Query Account Binding (08) ----

export interface QueryAccountBindingRequest {
  partnerReferenceNo: string;
  additionalInfo: { accountId: string } & SnapAdditionalInfo;
}

export interface QueryAccountBindingResponse extends SnapResponseEnvelope {
  partnerReferenceNo?: string;
  referenceNo?: string;
  accountCurrency?: string;
  accountName?: string;
  accountNo?: string;
  accountTransactionLimit?: string;
  startDatePeriod?: string;
  endDatePeriod?: string;
  additionalInfo?: {
    linkId?: string;
    /** Encrypted: decrypt with `decryptAuthCode` (docs/doku-integration.md#credentials). */
    authCode?: string;
    remarks?: string;
    merchantId?: string;
  } & SnapAdditionalInfo;
}

// ---- Account Unbinding (09) [INF] ----

export interface AccountUnbindingRequest {
  merchantId: string;
  partnerReferenceNo?: string;
  linkId?: string;
  subMerchantId?: string;
  tokenId?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface AccountUnbindingResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  merchantId?: string;
  subMerchantId?: string;
  linkId?: string;
  unlinkResult?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Balance Inquiry (11) ----

export interface BalanceInquiryRequest {
  partnerReferenceNo?: string;
  bankCardToken?: string;
  accountNo?: string;
  balanceTypes?: string[];
  additionalInfo?: SnapAdditionalInfo;
}

export interface SnapAccountInfo {
  balanceType?: string;
  amount?: SnapMoney;
  floatAmount?: SnapMoney;
  holdAmount?: SnapMoney;
  availableBalance?: SnapMoney;
  ledgerBalance?: SnapMoney;
  currentMultilateralLimit?: SnapMoney;
  registrationStatusCode?: string;
  status?: string;
}

export interface BalanceInquiryResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  accountNo?: string;
  name?: string;
  accountInfos?: SnapAccountInfo[];
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Transfer Bank Account Inquiry (42) ----

export interface TransferBankInquiryRequest {
  partnerReferenceNo: string;
  customerNumber: string;
  amount: SnapMoney;
  beneficiaryAccountNumber: string;
  /** Keys DOKU requires are unconfirmed; the SDK model offers `bankCode` and `accountId`. */
  additionalInfo: SnapAdditionalInfo;
}

export interface TransferBankInquiryResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  beneficiaryAccountNumber?: string;
  beneficiaryAccountName?: string;
  beneficiaryBankCode?: string;
  amount?: SnapMoney;
  accountType?: string;
  beneficiaryBankShortName?: string;
  beneficiaryBankName?: string;
  sessionId?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Transfer Bank Account Payment (43) ----

export interface TransferBankPaymentRequest {
  partnerReferenceNo: string;
  customerNumber: string;
  accountType: string;
  beneficiaryAccountNumber: string;
  beneficiaryBankCode: string;
  amount: SnapMoney;
  additionalInfo: SnapAdditionalInfo;
  sessionId?: string;
  feeType?: string;
}

export interface TransferBankPaymentResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  transactionDate?: string;
  referenceNumber?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Account Inquiry Top Up (37) [INF] ----

export interface TopUpInquiryRequest {
  amount: SnapMoney;
  partnerReferenceNo?: string;
  customerNumber?: string;
  transactionDate?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface TopUpInquiryResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  sessionId?: string;
  customerNumber?: string;
  customerName?: string;
  customerMonthlyInLimit?: string | number;
  minAmount?: SnapMoney;
  maxAmount?: SnapMoney;
  amount?: SnapMoney;
  feeAmount?: SnapMoney;
  feeType?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Account Top Up (38) [INF] ----

export interface TopUpRequest {
  partnerReferenceNo: string;
  customerNumber?: string;
  customerName?: string;
  amount?: SnapMoney;
  feeAmount?: SnapMoney;
  transactionDate?: string;
  sessionId?: string;
  categoryId?: string | number;
  notes?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface TopUpResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  sessionId?: string;
  customerNumber?: string;
  amount?: SnapMoney;
  referenceNumber?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Query Top Up (39) [INF] ----

export interface QueryTopUpRequest {
  /** The original service code, `"38"`. */
  serviceCode: string;
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface QueryTopUpResponse extends SnapResponseEnvelope {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  serviceCode?: string;
  amount?: SnapMoney;
  /** Map with `mapTransactionStatus` (docs/doku-integration.md#transaction-statuses). */
  latestTransactionStatus?: string;
  transactionStatusDesc?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Auth Payment (63), Capture (65), Void (67) [INF] ----

export interface SnapItem {
  goodsId?: string;
  price?: SnapMoney;
  category?: string;
  unit?: string;
  quantity?: string | number;
}

export interface AuthPaymentRequest {
  partnerReferenceNo: string;
  merchantId: string;
  amount: SnapMoney;
  title: string;
  subMerchantId?: string;
  feeType?: string;
  mcc?: string;
  productCode?: string;
  items?: SnapItem[];
  additionalInfo?: SnapAdditionalInfo;
}

export interface AuthPaymentResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  amount?: SnapMoney;
  paidTime?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface CapturePaymentRequest {
  originalReferenceNo: string;
  originalPartnerReferenceNo: string;
  merchantId: string;
  partnerCaptureNo: string;
  title: string;
  subMerchantId?: string;
  captureAmount?: SnapMoney;
  /** `"TRUE"`/`"FALSE"` as strings. */
  lastCapture?: 'TRUE' | 'FALSE';
  additionalInfo?: SnapAdditionalInfo;
}

export interface CapturePaymentResponse extends SnapResponseEnvelope {
  captureNo?: string;
  partnerCaptureNo?: string;
  captureAmount?: SnapMoney;
  captureTime?: string;
  originalReferenceNo?: string;
  originalPartnerReferenceNo?: string;
  /** `INIT`/`SUCCESS`/`FAILED`: map with `mapWordStatus`. */
  latestCaptureStatus?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface VoidAuthPaymentRequest {
  originalReferenceNo: string;
  originalPartnerReferenceNo: string;
  merchantId: string;
  partnerVoidNo: string;
  subMerchantId?: string;
  voidAmount?: SnapMoney;
  voidRemainingAmount?: 'TRUE' | 'FALSE';
  reason?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface VoidAuthPaymentResponse extends SnapResponseEnvelope {
  voidNo?: string;
  partnerVoidNo?: string;
  voidAmount?: SnapMoney;
  voidTime?: string;
  originalReferenceNo?: string;
  originalPartnerReferenceNo?: string;
  latestVoidStatus?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Purchase Web (54) [INF] ----

export interface SnapUrlParam {
  url: string;
  type: 'PAY_RETURN' | 'PAY_NOTIFY';
  isDeeplink: 'Y' | 'N';
}

export interface SnapPayOptionDetail {
  payMethod?: string;
  payOption?: string;
  transAmount?: SnapMoney;
  feeAmount?: SnapMoney;
}

export interface PurchaseWebRequest {
  partnerReferenceNo: string;
  amount: SnapMoney;
  merchantId?: string;
  subMerchantId?: string;
  externalStoreId?: string;
  urlParams?: SnapUrlParam[];
  validUpTo?: string;
  pointOfInitiation?: string;
  feeType?: string;
  payOptionDetails?: SnapPayOptionDetail[];
  otp?: string;
  chargeToken?: string;
  bankCardToken?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface PurchaseWebResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  approvalCode?: string;
  appRedirectUrl?: string;
  webRedirectUrl?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Query Purchase (55) [INF] ----

export interface QueryPurchaseRequest {
  /** SNAP: the original service `"54"`; DOKU's Node SDK sends `"55"` (docs/doku-integration.md#purchase). */
  serviceCode: string;
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  transactionDate?: string;
  amount?: SnapMoney;
  merchantId?: string;
  subMerchantId?: string;
  externalStoreId?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface SnapRefundHistoryItem {
  refundNo?: string;
  partnerRefundNo?: string;
  refundAmount?: SnapMoney;
  /** `00`/`03`/`06`: map with `mapTransactionStatus`. */
  refundStatus?: string;
  refundDate?: string;
  reason?: string;
}

export interface QueryPurchaseResponse extends SnapResponseEnvelope {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  serviceCode?: string;
  approvalCode?: string;
  latestTransactionStatus?: string;
  transactionStatusDesc?: string;
  originalResponseCode?: string;
  originalResponseMessage?: string;
  sessionId?: string;
  requestId?: string;
  refundHistory?: SnapRefundHistoryItem[];
  transAmount?: SnapMoney;
  feeAmount?: SnapMoney;
  paidTime?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Cancel Purchase (57) [INF] ----

export interface CancelPurchaseRequest {
  originalPartnerReferenceNo: string;
  originalReferenceNo?: string;
  approvalCode?: string;
  originalExternalId?: string;
  merchantId?: string;
  subMerchantId?: string;
  reason?: string;
  externalStoreId?: string;
  amount?: SnapMoney;
  additionalInfo?: SnapAdditionalInfo;
}

export interface CancelPurchaseResponse extends SnapResponseEnvelope {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  cancelTime?: string;
  transactionDate?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Refund Purchase (58) [INF] ----

export interface RefundPurchaseRequest {
  originalPartnerReferenceNo: string;
  partnerRefundNo: string;
  refundAmount?: SnapMoney;
  originalReferenceNo?: string;
  originalExternalId?: string;
  reason?: string;
  merchantId?: string;
  subMerchantId?: string;
  externalStoreId?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface RefundPurchaseResponse extends SnapResponseEnvelope {
  originalPartnerReferenceNo?: string;
  originalReferenceNo?: string;
  originalExternalId?: string;
  partnerTrxId?: string;
  refundNo?: string;
  partnerRefundNo?: string;
  refundAmount?: SnapMoney;
  refundTime?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Transaction History List (12) [INF] ----

export interface TransactionHistoryListRequest {
  partnerReferenceNo?: string;
  fromDateTime?: string;
  toDateTime?: string;
  /** At most 50. */
  pageSize?: number;
  pageNumber?: number;
  additionalInfo?: SnapAdditionalInfo;
}

export interface SnapSourceOfFunds {
  source?: string;
  amount?: SnapMoney;
}

export interface SnapHistoryDetail {
  dateTime?: string;
  amount?: SnapMoney;
  remark?: string;
  sourceOfFunds?: SnapSourceOfFunds[];
  /** `INIT`/`SUCCESS`/`CLOSED`/`CANCELLED`: map with `mapWordStatus`. */
  status?: string;
  type?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface TransactionHistoryListResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  detailData?: SnapHistoryDetail[];
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Transaction History Detail (13) [INF] ----

export interface TransactionHistoryDetailRequest {
  originalPartnerReferenceNo: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface TransactionHistoryDetailResponse extends SnapResponseEnvelope {
  referenceNo?: string;
  partnerReferenceNo?: string;
  amount?: SnapMoney;
  cancelledTime?: string;
  dateTime?: string;
  refundAmount?: SnapMoney;
  remark?: string;
  sourceOfFunds?: SnapSourceOfFunds[];
  status?: string;
  type?: string;
  additionalInfo?: SnapAdditionalInfo;
}

// ---- Notification from DOKU (SNAP debit notify, 56; docs/doku-integration.md#notifications) ----

export interface DebitNotifyRequest {
  originalReferenceNo: string;
  latestTransactionStatus: string;
  originalPartnerReferenceNo?: string;
  originalExternalId?: string;
  merchantId?: string;
  subMerchantId?: string;
  amount?: SnapMoney;
  transactionStatusDesc?: string;
  createdTime?: string;
  finishedTime?: string;
  externalStoreId?: string;
  additionalInfo?: SnapAdditionalInfo;
}

export interface DebitNotifyResponse extends SnapResponseEnvelope {
  approvalCode?: string;
}
