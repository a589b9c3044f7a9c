import { Injectable } from '@nestjs/common';
import type { WalletBalance } from './balance.mapper';
import { toBalanceInquiryRequest, toWalletBalance } from './balance.mapper';
import type { DokuResult } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';

/** A wallet's balance at DOKU in our own types (Balance Inquiry). */
@Injectable()
export class DokuBalance {
  constructor(private readonly client: DokuClient) {}

  /** Balance Inquiry with the user's customer token. */
  async inquire(customerToken: string, partnerReferenceNo: string): Promise<DokuResult<WalletBalance>> {
    return mapResult(await this.client.balanceInquiry(customerToken, toBalanceInquiryRequest(partnerReferenceNo)), toWalletBalance);
  }
}
