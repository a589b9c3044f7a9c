import type { Money } from '../../../common/money/money';
import { toSnapMoney } from '../snap/doku-mapper';
import type {
  TransferBankInquiryRequest,
  TransferBankInquiryResponse,
  TransferBankPaymentRequest,
  TransferBankPaymentResponse,
} from './wallet-wire.types';

/**
 * Transfer Bank Account Inquiry and Payment (docs/doku-integration.md#bank-transfer) in our own
 * words. DOKU has no status query for transfers: their outcome is read from the history
 * (`history.mapper.ts`).
 */

/** DOKU keeps at most 25 characters of an inquiry's session id. */
const SESSION_ID_MAX = 25;

/** Asks DOKU who holds a bank account, before money is sent to it. */
export interface BankAccountCheck {
  partnerReferenceNo: string;
  /** The wallet's phone number. */
  customerNumber: string;
  amount: Money;
  accountNumber: string;
  bankCode: string;
  /** The wallet's DOKU account id. */
  accountId: string;
}

/** The bank account as DOKU names it. */
export interface BeneficiaryAccount {
  referenceNo?: string;
  /** The account holder's name. */
  accountName?: string;
  bankCode?: string;
  bankName?: string;
  accountType?: string;
  sessionId?: string;
}

/** A transfer from the wallet to the bank account an earlier check named. */
export interface BankTransferOrder {
  partnerReferenceNo: string;
  customerNumber: string;
  /** The check's account type; sent empty when DOKU gave none. */
  accountType: string | null;
  accountNumber: string;
  bankCode: string;
  amount: Money;
  /** DOKU's reference of the check, sent when there was one. */
  inquiryReferenceNo: string | null;
  accountId: string;
  /** The check's session id, sent when there was one. */
  sessionId: string | null;
}

/** DOKU executed the transfer. */
export interface BankTransferResult {
  referenceNo?: string;
  transactionDate?: string;
  /** The bank's own reference of the transfer. */
  bankReference?: string;
}

export function toTransferBankInquiryRequest(check: BankAccountCheck): TransferBankInquiryRequest {
  return {
    partnerReferenceNo: check.partnerReferenceNo,
    customerNumber: check.customerNumber,
    amount: toSnapMoney(check.amount),
    beneficiaryAccountNumber: check.accountNumber,
    additionalInfo: { bankCode: check.bankCode, accountId: check.accountId },
  };
}

export function toBeneficiaryAccount(body: TransferBankInquiryResponse): BeneficiaryAccount {
  return {
    referenceNo: body.referenceNo,
    accountName: body.beneficiaryAccountName,
    bankCode: body.beneficiaryBankCode,
    bankName: body.beneficiaryBankName,
    accountType: body.accountType,
    sessionId: body.sessionId,
  };
}

export function toTransferBankPaymentRequest(order: BankTransferOrder): TransferBankPaymentRequest {
  return {
    partnerReferenceNo: order.partnerReferenceNo,
    customerNumber: order.customerNumber,
    accountType: order.accountType ?? '',
    beneficiaryAccountNumber: order.accountNumber,
    beneficiaryBankCode: order.bankCode,
    amount: toSnapMoney(order.amount),
    additionalInfo: { ...(order.inquiryReferenceNo ? { referenceNo: order.inquiryReferenceNo } : {}), accountId: order.accountId },
    ...(order.sessionId ? { sessionId: order.sessionId.slice(0, SESSION_ID_MAX) } : {}),
  };
}

export function toBankTransferResult(body: TransferBankPaymentResponse): BankTransferResult {
  return { referenceNo: body.referenceNo, transactionDate: body.transactionDate, bankReference: body.referenceNumber };
}
