import { Injectable, Logger } from '@nestjs/common';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { CustomerDokuCalls } from '../accounts/customer-doku-calls.service';
import { AppError } from '../common/errors/app-error';
import { Money } from '../common/money/money';
import { DokuHistory } from '../integrations/doku/wallet/history.facade';
import type { HistoryDetail, HistoryEntry } from '../integrations/doku/wallet/history.mapper';
import { Transaction } from '../transactions/entities/transaction.entity';
import { DokuHistoryViewDto, HistoryItemResponseDto } from './dto/history-item.response.dto';
import { ListTransactionsQueryDto, MAX_HISTORY_PAGE_SIZE } from './dto/list-transactions.query.dto';
import { TransactionDetailResponseDto } from './dto/transaction-detail.response.dto';
import { TransactionHistoryResponseDto } from './dto/transaction-history.response.dto';
import { HistoryRepository } from './history.repository';
import { newPartnerReference } from '../transactions/partner-reference';
import { isUuid } from '../common/http/id-params';

/** SNAP's history window is at most one month (docs/doku-integration.md#history); DOKU's simulator counts it as 31 days. */
export const MAX_HISTORY_WINDOW_MS = 31 * 86_400_000;
const DEFAULT_WINDOW_MS = 30 * 86_400_000;
const DEFAULT_PAGE_SIZE = 20;
/** Items merged per request at most (page × pageSize): DOKU is read 50 at a time up to this depth. */
const MAX_DEPTH = 500;
const DOKU_PAGE_SIZE = MAX_HISTORY_PAGE_SIZE;

const logger = new Logger('HistoryService');

// DOKU's history types in our vocabulary, for items only DOKU knows.
const DOKU_TYPES: Record<string, string> = { PAYMENT: 'PURCHASE', REFUND: 'REFUND', TOP_UP: 'TOP_UP', DISBURSMENT: 'BANK_TRANSFER' };

type DokuPage = { ok: true; items: HistoryEntry[]; more: boolean } | { ok: false; error: string };

/**
 * A user's history: our own records (the transactions table) merged with DOKU's Transaction History
 * List/Detail, matched on partnerReferenceNo. DOKU being unreachable, or the wallet not being bound,
 * never fails the request: our records come back with `dokuAvailable: false`.
 *
 * Paging merges the newest `page × pageSize` of each source and cuts the page out of the union, so
 * pages stay consistent without reading either side in full.
 */
@Injectable()
export class HistoryService {
  constructor(
    private readonly history: HistoryRepository,
    private readonly walletAccess: WalletAccessService,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly doku: DokuHistory,
  ) {}

  async list(userId: string, query: ListTransactionsQueryDto): Promise<TransactionHistoryResponseDto> {
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
    if (from.getTime() > to.getTime()) throw new AppError('HISTORY.INVALID_RANGE', '`from` must not be after `to`');
    if (to.getTime() - from.getTime() > MAX_HISTORY_WINDOW_MS) {
      throw new AppError('HISTORY.RANGE_TOO_WIDE', 'The date window is at most 31 days', { maxDays: 31 });
    }
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
    const depth = page * pageSize;
    if (depth > MAX_DEPTH) throw new AppError('HISTORY.PAGE_TOO_DEEP', `page × pageSize is at most ${MAX_DEPTH}: narrow the date window`);

    const [ours, doku] = await Promise.all([
      this.history.findNewestForUser(userId, from, to, depth + 1),
      this.readDokuList(userId, from, to, depth + 1),
    ]);
    const merged = new Map<string, HistoryItemResponseDto>();
    for (const t of ours) merged.set(t.partnerReferenceNo, itemOf(t, null));
    if (doku.ok) {
      const references = doku.items.map((d) => d.partnerReferenceNo).filter((r): r is string => r !== undefined);
      const known = new Map((await this.history.findByReferencesForUser(userId, references)).map((t) => [t.partnerReferenceNo, t]));
      doku.items.forEach((d, index) => {
        const reference = d.partnerReferenceNo;
        const mine = reference ? known.get(reference) : undefined;
        if (mine) merged.set(mine.partnerReferenceNo, itemOf(mine, viewOf(d)));
        else merged.set(reference ?? `doku:${index}:${d.dateTime ?? ''}`, dokuOnlyItem(d, reference));
      });
    }
    const sorted = [...merged.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return {
      items: sorted.slice((page - 1) * pageSize, depth),
      page,
      pageSize,
      hasMore: sorted.length > depth || ours.length > depth || (doku.ok && doku.more),
      from: from.toISOString(),
      to: to.toISOString(),
      dokuAvailable: doku.ok,
      dokuError: doku.ok ? null : doku.error,
    };
  }

  async detail(userId: string, id: string): Promise<TransactionDetailResponseDto> {
    const t = isUuid(id) ? await this.history.findByIdForUser(userId, id) : null;
    if (!t) throw new AppError('HISTORY.TRANSACTION_NOT_FOUND', 'No such transaction');
    let doku: HistoryDetail | null = null;
    let dokuError: string | null = null;
    try {
      // DOKU Wallet's history knows only what the wallet paid; another channel's payment is not in it.
      if (t.paymentMethod === 'DOKU_WALLET') {
        await this.walletAccess.requireBoundWallet(userId);
        doku = (await this.customerCalls.run(userId, (token) => this.doku.detail(token, t.partnerReferenceNo))).body;
      }
    } catch (error) {
      // Not at DOKU (yet, or never sent): a valid answer, DOKU simply has no view of it.
      if (!(error instanceof AppError && error.code === 'DOKU.NOT_FOUND')) dokuError = errorCodeOf(error);
    }
    const view = doku ? viewOf(doku) : null;
    return {
      ...itemOf(t, view),
      failureCode: t.failureCode,
      updatedAt: t.updatedAt.toISOString(),
      dokuRefundAmount: doku ? toNumber(doku.refundAmount) : null,
      dokuAvailable: dokuError === null,
      dokuError,
    };
  }

  /** DOKU's newest `want` items of the window, 50 per call, or why it could not be read. */
  private async readDokuList(userId: string, from: Date, to: Date, want: number): Promise<DokuPage> {
    try {
      await this.walletAccess.requireBoundWallet(userId);
      // SNAP dates carry whole seconds: round the end up so nothing of the last second is lost.
      const toSecond = new Date(Math.ceil(to.getTime() / 1000) * 1000);
      const fromSecond = new Date(Math.max(from.getTime(), toSecond.getTime() - MAX_HISTORY_WINDOW_MS));
      const items: HistoryEntry[] = [];
      for (let pageNumber = 0; items.length < want; pageNumber++) {
        const { body } = await this.customerCalls.run(userId, (token) =>
          this.doku.list(token, {
            partnerReferenceNo: newPartnerReference('HIS'),
            from: fromSecond,
            to: toSecond,
            pageSize: DOKU_PAGE_SIZE,
            pageNumber,
          }),
        );
        // A page that is not a list reads as an empty one.
        const got = body.entries ?? [];
        items.push(...got);
        if (got.length < DOKU_PAGE_SIZE) return { ok: true, items, more: false };
      }
      return { ok: true, items, more: true };
    } catch (error) {
      const code = errorCodeOf(error);
      logger.warn(`DOKU history unavailable for a user: ${code}`);
      return { ok: false, error: code };
    }
  }
}

function errorCodeOf(error: unknown): string {
  return error instanceof AppError ? error.code : 'INTERNAL.ERROR';
}

function toNumber(amount: Money | undefined): number | null {
  return amount === undefined ? null : Number(amount);
}

function viewOf(d: HistoryEntry): DokuHistoryViewDto {
  return {
    status: d.statusText ?? 'UNKNOWN',
    type: typeof d.type === 'string' ? d.type : 'UNKNOWN',
    dateTime: d.dateTime ?? null,
    amount: toNumber(d.amount),
    remark: d.remark ?? null,
    referenceNo: d.referenceNo ?? null,
  };
}

function itemOf(t: Transaction, doku: DokuHistoryViewDto | null): HistoryItemResponseDto {
  return {
    source: doku ? 'BOTH' : 'PARTNER',
    id: t.id,
    type: t.type,
    status: t.status,
    amount: Number(t.amount),
    paymentMethod: t.paymentMethod,
    refundedAmount: t.type === 'PURCHASE' ? Number(t.refundedAmount) : null,
    partnerReferenceNo: t.partnerReferenceNo,
    dokuReferenceNo: t.dokuReferenceNo ?? doku?.referenceNo ?? null,
    description: t.description,
    createdAt: t.createdAt.toISOString(),
    doku,
  };
}

function dokuOnlyItem(d: HistoryEntry, reference: string | undefined): HistoryItemResponseDto {
  const view = viewOf(d);
  const time = d.dateTime ? new Date(d.dateTime) : new Date(0);
  return {
    source: 'DOKU',
    id: null,
    type: DOKU_TYPES[view.type] ?? 'OTHER',
    status: d.status,
    amount: view.amount,
    paymentMethod: 'DOKU_WALLET',
    refundedAmount: null,
    partnerReferenceNo: reference ?? null,
    dokuReferenceNo: view.referenceNo,
    description: view.remark,
    createdAt: Number.isNaN(time.getTime()) ? new Date(0).toISOString() : time.toISOString(),
    doku: view,
  };
}
