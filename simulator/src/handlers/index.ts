import type { EndpointName } from '../paths';
import {
  accountBinding,
  accountCreation,
  accountUnbinding,
  balanceInquiry,
  queryAccountBinding,
  requestOtp,
  verifyOtp,
} from './wallet/account';
import { authCapture, authPayment, authVoid } from './wallet/auth-payment';
import { danaPayment, danaRefund, danaStatus } from './dana/dana';
import { historyDetail, historyList } from './wallet/history';
import { purchase, purchaseCancel, purchaseRefund, purchaseStatus } from './wallet/purchase';
import { topUp, topUpInquiry, topUpStatus } from './wallet/topup';
import { bankAccountInquiry, transferBank } from './wallet/transfer';
import type { Handler } from './types';

/** Handlers of the transactional endpoints (the two token endpoints are handled by the server). */
export const HANDLERS: Record<Exclude<EndpointName, 'b2bToken' | 'b2b2cToken'>, Handler> = {
  accountCreation,
  verifyOtp,
  requestOtp,
  accountBinding,
  queryAccountBinding,
  accountUnbinding,
  balanceInquiry,
  transferBankInquiry: bankAccountInquiry,
  transferBankPayment: transferBank,
  topUpInquiry,
  topUp,
  queryTopUp: topUpStatus,
  authPayment,
  capturePayment: authCapture,
  voidAuthPayment: authVoid,
  purchaseWeb: purchase,
  queryPurchase: purchaseStatus,
  cancelPurchase: purchaseCancel,
  refundPurchase: purchaseRefund,
  transactionHistoryList: historyList,
  transactionHistoryDetail: historyDetail,
  danaPayment,
  danaRefund,
  danaStatus,
};
