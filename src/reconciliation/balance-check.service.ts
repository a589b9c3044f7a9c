import { Injectable } from '@nestjs/common';
import { CustomerDokuCalls } from '../accounts/customer-doku-calls.service';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { AppError } from '../common/errors/app-error';
import { Money } from '../common/money/money';
import { DokuBalance } from '../integrations/doku/wallet/balance.facade';
import { readableAmount } from '../integrations/doku/snap/doku-mapper';
import type { DokuTransactionStatus } from '../integrations/doku/snap/doku-response-codes';
import { DokuHistory } from '../integrations/doku/wallet/history.facade';
import type { HistoryEntry } from '../integrations/doku/wallet/history.mapper';
import { DokuResponseError, DokuTimeoutError, DokuTransportError } from '../integrations/doku/snap/doku.errors';
import { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { BalanceBreakKind, BalanceBreakResponseDto } from './dto/balance-break.response.dto';
import { BalanceCheckTransactionResponseDto } from './dto/balance-check-transaction.response.dto';
import { BalanceCheckResponseDto } from './dto/balance-check.response.dto';
import { ReconciliationRepository } from './reconciliation.repository';
import { isUuid } from '../common/http/id-params';
import { newPartnerReference } from '../transactions/partner-reference';

/** The compared window of DOKU's history (at most one month per request). */
const WINDOW_MS = 30 * 86_400_000;
/**
 * Our rows this close to the start of the window may sit on either side of DOKU's own timestamp:
 * they are matched when DOKU lists them, but their absence is not a break.
 */
const EDGE_MS = 3_600_000;
/** DOKU's history pages hold at most 50 items. */
const PAGE_SIZE = 50;
/** 1,000 movements in 30 days is far beyond a personal wallet; past that the check says it is partial. */
const MAX_PAGES = 20;

interface DokuMovement {
  partnerReferenceNo: string | null;
  /** Our reading of DOKU's status word (an unknown one is PENDING). */
  status: DokuTransactionStatus;
  amount: Money | undefined;
  type: string | null;
  dateTime: string | null;
}

/**
 * The back office's per-user balance check: our records against DOKU's balance (Balance Inquiry) and
 * history (Transaction History List, last 30 days), with every difference reported as a typed break.
 * Reads only: it never changes a transaction (the reconciler and the back office act on what it
 * reports).
 */
@Injectable()
export class BalanceCheckService {
  constructor(
    private readonly repo: ReconciliationRepository,
    private readonly wallets: WalletAccessService,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly balances: DokuBalance,
    private readonly history: DokuHistory,
  ) {}

  async check(userId: string): Promise<BalanceCheckResponseDto> {
    if (!isUuid(userId) || !(await this.repo.userExists(userId))) throw new AppError('USER.NOT_FOUND', 'No such user');
    await this.wallets.requireBoundWallet(userId);
    const to = new Date();
    const from = new Date(to.getTime() - WINDOW_MS);

    // One customer-scoped call after the other: a refused token is renewed once, not twice at once.
    const balance = await this.dokuBalance(userId);
    const history = await this.dokuHistory(userId, from, to);
    const totals = await this.repo.successTotals(userId);
    const ours = await this.repo.findForBalanceCheck(userId, new Date(from.getTime() - EDGE_MS));

    const sum = (type: Transaction['type']) => totals.get(type) ?? 0n;
    const net = sum('TOP_UP') - sum('PURCHASE') + sum('REFUND') - sum('BANK_TRANSFER');
    const breaks = this.compare(ours, history.movements, from);

    return {
      userId,
      checkedAt: to.toISOString(),
      historyFrom: from.toISOString(),
      historyTo: to.toISOString(),
      dokuHistoryItems: history.movements.length,
      historyComplete: history.complete,
      records: {
        topUps: Number(sum('TOP_UP')),
        purchases: Number(sum('PURCHASE')),
        refunds: Number(sum('REFUND')),
        bankTransfers: Number(sum('BANK_TRANSFER')),
        net: Number(net),
        unresolved: ours.filter((t) => isUnresolved(t.status)).map((t) => BalanceCheckTransactionResponseDto.from(t)),
      },
      balance: {
        dokuLedger: Number(balance.ledger),
        dokuAvailable: Number(balance.available),
        recordedNet: Number(net),
        difference: Number(balance.ledger - net),
      },
      breaks,
      consistent: breaks.length === 0,
    };
  }

  /** Matches our transactions and DOKU's movements on the business reference both sides carry. */
  private compare(ours: Transaction[], movements: DokuMovement[], from: Date): BalanceBreakResponseDto[] {
    const atDoku = new Map<string, DokuMovement>();
    for (const m of movements) if (m.partnerReferenceNo) atDoku.set(m.partnerReferenceNo, m);
    const breaks: BalanceBreakResponseDto[] = [];
    const matched = new Set<string>();
    const edge = from.getTime() + EDGE_MS;

    for (const t of ours) {
      // A cancel carries no reference DOKU knows: DOKU shows it as the purchase's status.
      if (t.type === 'CANCEL') continue;
      const m = atDoku.get(t.partnerReferenceNo);
      if (m) matched.add(t.partnerReferenceNo);
      if (isUnresolved(t.status)) {
        breaks.push(this.break('UNRESOLVED', t, m));
        continue;
      }
      if (!m) {
        if (t.status === 'SUCCESS' && t.createdAt.getTime() >= edge) breaks.push(this.break('MISSING_AT_DOKU', t, undefined));
        continue;
      }
      if (m.status !== t.status) breaks.push(this.break('STATUS_MISMATCH', t, m));
      if (m.amount !== undefined && m.amount !== t.amount) breaks.push(this.break('AMOUNT_MISMATCH', t, m));
    }

    for (const m of movements) {
      if (m.partnerReferenceNo && matched.has(m.partnerReferenceNo)) continue;
      // A movement that failed or was canceled at DOKU moved no money: not a break even if unknown to us.
      if (m.status === 'SUCCESS' || m.status === 'PENDING') breaks.push(this.break('MISSING_LOCALLY', undefined, m));
    }
    return breaks;
  }

  private break(kind: BalanceBreakKind, t: Transaction | undefined, m: DokuMovement | undefined): BalanceBreakResponseDto {
    return {
      kind,
      partnerReferenceNo: t?.partnerReferenceNo ?? m?.partnerReferenceNo ?? null,
      transactionId: t?.id ?? null,
      type: t?.type ?? null,
      ourStatus: t?.status ?? null,
      ourAmount: t ? Number(t.amount) : null,
      dokuStatus: m ? m.status : null,
      dokuAmount: m?.amount !== undefined ? Number(m.amount) : null,
      dokuType: m?.type ?? null,
      dokuDateTime: m?.dateTime ?? null,
    };
  }

  private async dokuBalance(userId: string): Promise<{ ledger: Money; available: Money }> {
    const { body } = await this.dokuCall(() =>
      this.customerCalls.run(userId, (token) => this.balances.inquire(token, newPartnerReference('BAL'))),
    );
    // An amount DOKU sent malformed reads as not given here: the check compares, it shows no balance.
    const info = body.account;
    const ledger = readableAmount(info?.ledgerBalance) ?? readableAmount(info?.amount);
    const available = readableAmount(info?.availableBalance) ?? readableAmount(info?.amount) ?? ledger;
    if (ledger === undefined || available === undefined)
      throw new AppError('DOKU.UNAVAILABLE', 'DOKU did not return a balance; try again later');
    return { ledger, available };
  }

  /** Every page of the window, newest first, up to {@link MAX_PAGES}. */
  private async dokuHistory(userId: string, from: Date, to: Date): Promise<{ movements: DokuMovement[]; complete: boolean }> {
    const movements: DokuMovement[] = [];
    for (let pageNumber = 0; pageNumber < MAX_PAGES; pageNumber++) {
      const { body } = await this.dokuCall(() =>
        this.customerCalls.run(userId, (token) =>
          this.history.list(token, {
            partnerReferenceNo: newPartnerReference('HIS'),
            from,
            // Whole seconds (our timestamp format): a minute past now, so what happened in the current second is in.
            to: new Date(to.getTime() + 60_000),
            pageSize: PAGE_SIZE,
            pageNumber,
          }),
        ),
      );
      // A page we cannot read cannot be compared: the check fails rather than report fewer movements.
      if (body.entries === undefined) throw new Error('DOKU answered a history page that is not a list');
      const page = body.entries;
      movements.push(...page.map(movement));
      if (page.length < PAGE_SIZE) return { movements, complete: true };
    }
    return { movements, complete: false };
  }

  private async dokuCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DokuTimeoutError || error instanceof DokuTransportError) {
        throw new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later', error.details);
      }
      if (
        error instanceof DokuResponseError &&
        ['INVALID_SIGNATURE', 'DUPLICATE_EXTERNAL_ID', 'UNKNOWN', 'IN_PROGRESS'].includes(error.kind)
      ) {
        throw new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later', error.details);
      }
      throw error;
    }
  }
}

/** A history line is evidence, not input: an amount DOKU sent malformed reads as not given. */
function movement(entry: HistoryEntry): DokuMovement {
  return {
    partnerReferenceNo: entry.partnerReferenceNo ?? null,
    status: entry.status,
    amount: entry.amount,
    type: entry.type ?? null,
    dateTime: entry.dateTime ?? null,
  };
}
