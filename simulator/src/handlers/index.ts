import type { EndpointName } from '../paths';
import { accountBinding, accountCreation, accountUnbinding, balanceInquiry, queryAccountBinding, requestOtp, verifyOtp } from './account';
import { authCapture, authPayment, authVoid } from './auth-payment';
import { historyDetail, historyList } from './history';
import { purchase, purchaseCancel, purchaseRefund, purchaseStatus } from './purchase';
import { topUp, topUpInquiry, topUpStatus } from './topup';
import { bankAccountInquiry, transferBank } from './transfer';
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
};
