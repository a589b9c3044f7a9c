import type { Money } from '../../../common/money/money';
import { tryFromSnapMoney } from '../snap/doku-mapper';
import type { DokuTransactionStatus, UnknownStatusWarning } from '../snap/doku-response-codes';
import { mapWordStatus } from '../snap/doku-response-codes';
import { jakartaTimestamp } from '../snap/doku-signature';
import type {
  SnapHistoryDetail,
  TransactionHistoryDetailRequest,
  TransactionHistoryDetailResponse,
  TransactionHistoryListRequest,
  TransactionHistoryListResponse,
} from './wallet-wire.types';

/**
 * Transaction History List and Detail (docs/doku-integration.md#history) in our own words. A
 * history line is evidence, not input: an amount DOKU sends malformed reads as not given.
 */

/** One page of a wallet's history between two times, newest first. */
export interface HistoryQuery {
  partnerReferenceNo: string;
  /** Sent in whole seconds, on DOKU's clock. */
  from: Date;
  to: Date;
  /** At most 50. */
  pageSize: number;
  /** From 0. */
  pageNumber: number;
}

/** One movement of a wallet as DOKU's history shows it. */
export interface HistoryEntry {
  /** Our reference of the movement, when DOKU lists one. */
  partnerReferenceNo?: string;
  /** DOKU's reference of the movement: the line's own, else the one in its additional info. */
  referenceNo?: string;
  /** Our reading of DOKU's status word (an unknown one is PENDING). */
  status: DokuTransactionStatus;
  /** DOKU's own status word (SUCCESS, INIT, CLOSED, ...), as shown to the back office. */
  statusText?: string;
  /** DOKU's movement type (PAYMENT, REFUND, TOP_UP, DISBURSMENT, ...). */
  type?: string;
  dateTime?: string;
  /** Undefined when absent or unreadable. */
  amount?: Money;
  remark?: string;
}

/** One page of the history. */
export interface HistoryPage {
  /**
   * The page's movements: none when DOKU lists nothing, undefined when its answer carries
   * something other than a list.
   */
  entries: HistoryEntry[] | undefined;
}

/** One movement looked up by our reference. */
export interface HistoryDetail extends HistoryEntry {
  /** The referenceNo of the answer itself, without the additional-info fallback of `referenceNo`. */
  ownReferenceNo?: string;
  /** The part refunded so far; undefined when absent or unreadable. */
  refundAmount?: Money;
}

export function toTransactionHistoryListRequest(query: HistoryQuery): TransactionHistoryListRequest {
  return {
    partnerReferenceNo: query.partnerReferenceNo,
    fromDateTime: jakartaTimestamp(query.from),
    toDateTime: jakartaTimestamp(query.to),
    pageSize: query.pageSize,
    pageNumber: query.pageNumber,
    additionalInfo: {},
  };
}

/** History lines are read without a warning for an unknown status: a page can hold hundreds. */
export function toHistoryPage(body: TransactionHistoryListResponse): HistoryPage {
  const data: unknown = body.detailData;
  if (data === undefined || data === null) return { entries: [] };
  if (!Array.isArray(data)) return { entries: undefined };
  return { entries: (data as SnapHistoryDetail[]).map((line) => toHistoryEntry(line, () => undefined)) };
}

export function toTransactionHistoryDetailRequest(partnerReferenceNo: string): TransactionHistoryDetailRequest {
  return { originalPartnerReferenceNo: partnerReferenceNo };
}

export function toHistoryDetail(body: TransactionHistoryDetailResponse): HistoryDetail {
  return {
    ...toHistoryEntry(body),
    ownReferenceNo: body.referenceNo,
    refundAmount: tryFromSnapMoney(body.refundAmount),
  };
}

function toHistoryEntry(line: SnapHistoryDetail | TransactionHistoryDetailResponse, warn?: UnknownStatusWarning): HistoryEntry {
  const item: Partial<SnapHistoryDetail> & { referenceNo?: unknown } = line ?? {};
  const info = item.additionalInfo;
  const partnerReferenceNo = info?.partnerReferenceNo;
  const referenceNo = typeof item.referenceNo === 'string' ? item.referenceNo : info?.referenceNo;
  return {
    partnerReferenceNo: typeof partnerReferenceNo === 'string' && partnerReferenceNo.length > 0 ? partnerReferenceNo : undefined,
    referenceNo: typeof referenceNo === 'string' ? referenceNo : undefined,
    status: mapWordStatus(item.status, warn),
    statusText: typeof item.status === 'string' ? item.status : undefined,
    type: item.type,
    dateTime: item.dateTime,
    amount: tryFromSnapMoney(item.amount),
    remark: item.remark,
  };
}
