import { Injectable } from '@nestjs/common';
import type { DokuResult, MoneyCallOptions } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import { isDeclinedWith } from '../snap/doku.errors';
import type { QueryTopUpResponse } from './wallet-wire.types';
import type { TopUpCheck, TopUpOrder, TopUpQuote, TopUpReference, TopUpResult, TopUpStatus } from './top-up.mapper';
import { toQueryTopUpRequest, toTopUpInquiryRequest, toTopUpQuote, toTopUpRequest, toTopUpResult, toTopUpStatus } from './top-up.mapper';

/**
 * Top-ups of a wallet from the partner's corporate balance in our own types: Account Inquiry Top
 * Up, Account Top Up, Query Top Up.
 */
@Injectable()
export class DokuTopUps {
  constructor(private readonly client: DokuClient) {}

  /** A fresh X-EXTERNAL-ID for a top-up, to store before it is sent. */
  newExternalId(): Promise<string> {
    return this.client.newExternalId();
  }

  /** Account Inquiry Top Up. */
  async check(check: TopUpCheck): Promise<DokuResult<TopUpQuote>> {
    return mapResult(await this.client.topUpInquiry(toTopUpInquiryRequest(check)), toTopUpQuote);
  }

  /** Account Top Up: moves money. */
  async topUp(order: TopUpOrder, options?: MoneyCallOptions): Promise<DokuResult<TopUpResult>> {
    return mapResult(await this.client.topUp(toTopUpRequest(order), options), toTopUpResult);
  }

  /**
   * Query Top Up. When DOKU does not know the top-up and the X-EXTERNAL-ID was sent, asked once
   * more without it: the stored id may not be the one DOKU applied (a later send took a new one),
   * so "not found" counts only without it. The last answer is the result, or its error is thrown.
   */
  async status(topUp: TopUpReference): Promise<DokuResult<TopUpStatus>> {
    return mapResult(await this.queryTopUp(topUp), toTopUpStatus);
  }

  private async queryTopUp(topUp: TopUpReference): Promise<DokuResult<QueryTopUpResponse>> {
    const request = toQueryTopUpRequest(topUp);
    try {
      return await this.client.queryTopUp(request);
    } catch (error) {
      if (!(isDeclinedWith(error, 'DOKU.NOT_FOUND') && request.originalExternalId !== undefined)) throw error;
    }
    const { originalExternalId: _stale, ...withoutExternalId } = request;
    return this.client.queryTopUp(withoutExternalId);
  }
}
