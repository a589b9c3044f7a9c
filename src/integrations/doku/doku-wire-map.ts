import type { DanaWireMap } from './dana/dana-wire.types';
import type { B2b2cTokenRequest, B2b2cTokenResponse, B2bTokenRequest, B2bTokenResponse } from './snap/snap-wire.types';
import type {
  AccountBindingRequest,
  AccountBindingResponse,
  AccountCreationRequest,
  AccountCreationResponse,
  AccountUnbindingRequest,
  AccountUnbindingResponse,
  AuthPaymentRequest,
  AuthPaymentResponse,
  BalanceInquiryRequest,
  BalanceInquiryResponse,
  CancelPurchaseRequest,
  CancelPurchaseResponse,
  CapturePaymentRequest,
  CapturePaymentResponse,
  PurchaseWebRequest,
  PurchaseWebResponse,
  QueryAccountBindingRequest,
  QueryAccountBindingResponse,
  QueryPurchaseRequest,
  QueryPurchaseResponse,
  QueryTopUpRequest,
  QueryTopUpResponse,
  RefundPurchaseRequest,
  RefundPurchaseResponse,
  RequestOtpRequest,
  RequestOtpResponse,
  TopUpInquiryRequest,
  TopUpInquiryResponse,
  TopUpRequest,
  TopUpResponse,
  TransactionHistoryDetailRequest,
  TransactionHistoryDetailResponse,
  TransactionHistoryListRequest,
  TransactionHistoryListResponse,
  TransferBankInquiryRequest,
  TransferBankInquiryResponse,
  TransferBankPaymentRequest,
  TransferBankPaymentResponse,
  VerifyOtpRequest,
  VerifyOtpResponse,
  VoidAuthPaymentRequest,
  VoidAuthPaymentResponse,
} from './wallet/wallet-wire.types';
import type {
  KkiPaymentRequest,
  KkiPaymentResponse,
  KkiRefundRequest,
  KkiRefundResponse,
  KkiStatusRequest,
  KkiStatusResponse,
} from './kki/kki-wire.types';

/** Request and response type of each endpoint, keyed like `DOKU_ENDPOINTS`: each product's from its own folder. */
export interface DokuWireMap extends DanaWireMap {
  b2bToken: { request: B2bTokenRequest; response: B2bTokenResponse };
  b2b2cToken: { request: B2b2cTokenRequest; response: B2b2cTokenResponse };
  accountCreation: { request: AccountCreationRequest; response: AccountCreationResponse };
  verifyOtp: { request: VerifyOtpRequest; response: VerifyOtpResponse };
  requestOtp: { request: RequestOtpRequest; response: RequestOtpResponse };
  accountBinding: { request: AccountBindingRequest; response: AccountBindingResponse };
  queryAccountBinding: { request: QueryAccountBindingRequest; response: QueryAccountBindingResponse };
  accountUnbinding: { request: AccountUnbindingRequest; response: AccountUnbindingResponse };
  balanceInquiry: { request: BalanceInquiryRequest; response: BalanceInquiryResponse };
  transferBankInquiry: { request: TransferBankInquiryRequest; response: TransferBankInquiryResponse };
  transferBankPayment: { request: TransferBankPaymentRequest; response: TransferBankPaymentResponse };
  topUpInquiry: { request: TopUpInquiryRequest; response: TopUpInquiryResponse };
  topUp: { request: TopUpRequest; response: TopUpResponse };
  queryTopUp: { request: QueryTopUpRequest; response: QueryTopUpResponse };
  authPayment: { request: AuthPaymentRequest; response: AuthPaymentResponse };
  capturePayment: { request: CapturePaymentRequest; response: CapturePaymentResponse };
  voidAuthPayment: { request: VoidAuthPaymentRequest; response: VoidAuthPaymentResponse };
  purchaseWeb: { request: PurchaseWebRequest; response: PurchaseWebResponse };
  queryPurchase: { request: QueryPurchaseRequest; response: QueryPurchaseResponse };
  cancelPurchase: { request: CancelPurchaseRequest; response: CancelPurchaseResponse };
  refundPurchase: { request: RefundPurchaseRequest; response: RefundPurchaseResponse };
  transactionHistoryList: { request: TransactionHistoryListRequest; response: TransactionHistoryListResponse };
  transactionHistoryDetail: { request: TransactionHistoryDetailRequest; response: TransactionHistoryDetailResponse };
  kkiPayment: { request: KkiPaymentRequest; response: KkiPaymentResponse };
  kkiRefund: { request: KkiRefundRequest; response: KkiRefundResponse };
  kkiStatus: { request: KkiStatusRequest; response: KkiStatusResponse };
}
