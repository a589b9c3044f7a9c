import { Injectable } from '@nestjs/common';
import type { DokuResult, MoneyCallOptions } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import type { BankAccountCheck, BankTransferOrder, BankTransferResult, BeneficiaryAccount } from './transfer.mapper';
import { toBankTransferResult, toBeneficiaryAccount, toTransferBankInquiryRequest, toTransferBankPaymentRequest } from './transfer.mapper';

/**
 * Transfers from a wallet to a bank account in our own types: Transfer Bank Account Inquiry and
 * Payment. Their outcome, when unclear, is read from the history (`DokuHistory.detail`).
 */
@Injectable()
export class DokuBankTransfers {
  constructor(private readonly client: DokuClient) {}

  /** A fresh X-EXTERNAL-ID for a transfer, to store before it is sent. */
  newExternalId(): Promise<string> {
    return this.client.newExternalId();
  }

  /** Transfer Bank Account Inquiry: who holds the account. */
  async check(check: BankAccountCheck): Promise<DokuResult<BeneficiaryAccount>> {
    return mapResult(await this.client.transferBankInquiry(toTransferBankInquiryRequest(check)), toBeneficiaryAccount);
  }

  /** Transfer Bank Account Payment with the user's customer token: moves money. */
  async pay(customerToken: string, order: BankTransferOrder, options?: MoneyCallOptions): Promise<DokuResult<BankTransferResult>> {
    return mapResult(
      await this.client.transferBankPayment(customerToken, toTransferBankPaymentRequest(order), options),
      toBankTransferResult,
    );
  }
}
