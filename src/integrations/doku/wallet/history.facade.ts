import { Injectable } from '@nestjs/common';
import type { DokuResult } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import type { HistoryDetail, HistoryPage, HistoryQuery } from './history.mapper';
import { toHistoryDetail, toHistoryPage, toTransactionHistoryDetailRequest, toTransactionHistoryListRequest } from './history.mapper';

/** A wallet's history at DOKU in our own types: Transaction History List and Detail. */
@Injectable()
export class DokuHistory {
  constructor(private readonly client: DokuClient) {}

  /** One page of Transaction History List, with the user's customer token. */
  async list(customerToken: string, query: HistoryQuery): Promise<DokuResult<HistoryPage>> {
    return mapResult(await this.client.transactionHistoryList(customerToken, toTransactionHistoryListRequest(query)), toHistoryPage);
  }

  /** Transaction History Detail of the movement with our `partnerReferenceNo`, with the user's customer token. */
  async detail(customerToken: string, partnerReferenceNo: string): Promise<DokuResult<HistoryDetail>> {
    return mapResult(
      await this.client.transactionHistoryDetail(customerToken, toTransactionHistoryDetailRequest(partnerReferenceNo)),
      toHistoryDetail,
    );
  }
}
