import type { MoneyReading } from '../snap/doku-mapper';
import { readSnapMoney } from '../snap/doku-mapper';
import type { BalanceInquiryRequest, BalanceInquiryResponse, SnapAccountInfo } from './wallet-wire.types';

/**
 * Balance Inquiry (docs/doku-integration.md#balance) in our own words. The amounts are handed on as
 * readings, so the user's balance can refuse a malformed one while the back office's check reads it
 * as not given.
 */

/** The state of a DOKU account, from Balance Inquiry's status code. */
export type WalletAccountStatus = 'ACTIVE' | 'CLOSED' | 'NEW' | 'RESTRICTED' | 'FROZEN' | 'DORMANT' | 'UNKNOWN';

/** Balance Inquiry's `accountInfos[].status` (docs/doku-integration.md#balance). */
const ACCOUNT_STATUS: Readonly<Record<string, WalletAccountStatus>> = {
  '0001': 'ACTIVE',
  '0002': 'CLOSED',
  '0004': 'NEW',
  '0006': 'RESTRICTED',
  '0007': 'FROZEN',
  '0009': 'DORMANT',
};

/** A wallet's balance as DOKU reports it. */
export interface WalletBalance {
  /** The wallet's account; undefined when DOKU's answer lists none. */
  account: WalletAccountBalance | undefined;
}

export interface WalletAccountBalance {
  status: WalletAccountStatus;
  /** The one amount DOKU may give instead of the ledger and available balances. */
  amount: MoneyReading;
  ledgerBalance: MoneyReading;
  availableBalance: MoneyReading;
  holdAmount: MoneyReading;
}

export function toBalanceInquiryRequest(partnerReferenceNo: string): BalanceInquiryRequest {
  return { partnerReferenceNo };
}

export function toWalletBalance(body: BalanceInquiryResponse): WalletBalance {
  const info: SnapAccountInfo | undefined = body.accountInfos?.[0];
  if (!info) return { account: undefined };
  return {
    account: {
      status: ACCOUNT_STATUS[info.status ?? ''] ?? 'UNKNOWN',
      amount: readSnapMoney(info.amount),
      ledgerBalance: readSnapMoney(info.ledgerBalance),
      availableBalance: readSnapMoney(info.availableBalance),
      holdAmount: readSnapMoney(info.holdAmount),
    },
  };
}
