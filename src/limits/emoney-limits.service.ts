import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import type { Money } from '../common/money/money';
import { rupiah } from '../common/money/money';
import { AppConfigService } from '../config/app-config.service';
import type { AccountLevel, CallerKind } from '../config/limits-config';
import { channelLimitsFor } from '../config/limits-config';
import { BalanceService } from '../balance/balance.service';
import { jakartaPeriods } from './jakarta-periods';
import type { EmoneyLimitsResponseDto } from './dto/emoney-limits.response.dto';
import type { CounterStep } from './limit-reservation';
import { LimitReservation, refusedIndexOf } from './limit-reservation';

/** An operation the limits are checked for, before DOKU is called. */
export interface LimitedOperation {
  userId: string;
  /** A purchase's payment method, `TOP_UP` or `BANK_TRANSFER`. */
  channel: string;
  caller: CallerKind;
  amount: Money;
}

/** What a top-up is checked against besides its channel's limits: the wallet's balance at DOKU and its level. */
export interface WalletStanding {
  balance: Money;
  level: AccountLevel;
  /** The database's clock just before DOKU was asked: every top-up we settled before it is in `balance`. */
  readAt: Date;
}

const MONTH_IN = 'month:in';
const PENDING_IN = 'pending:in';

/**
 * The e-money limit engine (docs/limits.md). Each money operation we start is checked against the
 * partner's rules before DOKU is called: the per-transaction amount here, every other limit through
 * counters of our own ledger (PENDING and SUCCESS amounts), reserved in the operation's commit 1 so
 * that concurrent operations cannot cross a limit together. A refusal is 422 `WALLET.LIMIT_EXCEEDED`
 * naming the limit and what remains, and nothing is written.
 */
@Injectable()
export class EmoneyLimits {
  constructor(
    private readonly config: AppConfigService,
    private readonly balances: BalanceService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  get enabled(): boolean {
    return this.config.limits.enabled;
  }

  /** The counters of an outgoing operation (purchase, bank transfer); undefined when limits are off. Refuses an amount over the per-transaction limit. */
  outgoing(op: LimitedOperation, now = new Date()): LimitReservation | undefined {
    if (!this.enabled) return undefined;
    return new LimitReservation(op.userId, op.channel, op.caller, this.channelSteps(op, now));
  }

  /** The counters of a top-up: its channel's, the month's incoming total and the balance with what is still pending. */
  incoming(op: LimitedOperation, standing: WalletStanding, now = new Date()): LimitReservation | undefined {
    if (!this.enabled) return undefined;
    const limits = this.config.limits;
    const maxBalance = limits.maxBalance[standing.level];
    const steps = this.channelSteps(op, now);
    steps.push(
      {
        counter: MONTH_IN,
        period: jakartaPeriods(now).month,
        amount: op.amount,
        base: 0n,
        maxAmount: limits.monthlyIncoming === null ? null : BigInt(limits.monthlyIncoming),
        maxCount: null,
        limit: 'MONTHLY_INCOMING',
        about: {},
      },
      {
        counter: PENDING_IN,
        period: '-',
        amount: op.amount,
        base: standing.balance,
        maxAmount: maxBalance === null ? null : BigInt(maxBalance),
        maxCount: null,
        limit: 'MAX_BALANCE',
        about: { level: standing.level },
        // Reconciled with DOKU's balance: a top-up settled before the read is in `base` now.
        forgetSettledBefore: standing.readAt,
      },
    );
    return new LimitReservation(op.userId, op.channel, op.caller, steps);
  }

  /**
   * The wallet's balance as DOKU reports it (the balance feature's Balance Inquiry) and its level;
   * undefined when limits are off or no balance limit applies to the level. Read outside any
   * database transaction, before the top-up's commit 1.
   */
  async standing(userId: string): Promise<WalletStanding | undefined> {
    if (!this.enabled) return undefined;
    const level = await this.levelOf(userId);
    const clock: { at: Date }[] = await this.db.query(`SELECT clock_timestamp() AS at`);
    const balance = await this.balances.getBalance(userId);
    return { balance: rupiah(balance.ledger), level, readAt: clock[0].at };
  }

  /** The user's account level: as the partner set it, else the configured default. */
  async levelOf(userId: string, manager: EntityManager = this.db.manager): Promise<AccountLevel> {
    const rows: { level: AccountLevel }[] = await manager.query(`SELECT level FROM limit_account_levels WHERE user_id = $1`, [userId]);
    return rows[0]?.level ?? this.config.limits.defaultAccountLevel;
  }

  /** Sets the user's account level (the partner's identity check decides it); 404 for no such user. */
  async setLevel(userId: string, level: AccountLevel): Promise<void> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO limit_account_levels (user_id, level) SELECT id, $2 FROM users WHERE id = $1
       ON CONFLICT (user_id) DO UPDATE SET level = EXCLUDED.level, updated_at = now() RETURNING user_id`,
      [userId, level],
    );
    if (rows.length === 0) throw new AppError('USER.NOT_FOUND', 'No such user');
  }

  /** The user's level and the counters of the current periods (the back office's view). */
  async usage(userId: string, now = new Date()): Promise<EmoneyLimitsResponseDto> {
    const users: { level: AccountLevel | null }[] = await this.db.query(
      `SELECT l.level FROM users u LEFT JOIN limit_account_levels l ON l.user_id = u.id WHERE u.id = $1`,
      [userId],
    );
    if (users.length === 0) throw new AppError('USER.NOT_FOUND', 'No such user');
    const periods = jakartaPeriods(now);
    const counters: { counter: string; period: string; amount: string; count: number }[] = await this.db.query(
      `SELECT counter, period, amount::text AS amount, count FROM limit_counters
        WHERE user_id = $1 AND period IN ($2, $3, $4, '-') ORDER BY counter, period`,
      [userId, periods.day, periods.hour, periods.month],
    );
    const level = users[0].level ?? this.config.limits.defaultAccountLevel;
    return {
      userId,
      level,
      levelSet: users[0].level !== null,
      maxBalance: this.config.limits.maxBalance[level],
      monthlyIncoming: this.config.limits.monthlyIncoming,
      counters: counters.map((c) => ({ counter: c.counter, period: c.period, amount: Number(c.amount), count: c.count })),
    };
  }

  /**
   * Reserves the operation's counters inside `tx`, the database transaction of its commit 1 (after
   * the transaction row is written): throws the refusal when a counter refuses, which rolls the
   * whole commit back.
   */
  async reserveInTransaction(tx: EntityManager, reservation: LimitReservation | undefined, transactionId: string): Promise<void> {
    if (!reservation) return;
    const params: unknown[] = [];
    const rows: { refused: number }[] = await tx.query(
      `WITH ${reservation.ctes(params, '(SELECT 1) AS go', transactionId)}
       SELECT ${reservation.refusedIndex} AS refused`,
      params,
    );
    const refused = rows[0]?.refused ?? -1;
    if (refused >= 0) throw await this.refusal(reservation, refused);
  }

  /** The refusal a failed commit-1 statement stands for, or the error itself. */
  async translate(error: unknown, reservation: LimitReservation | undefined): Promise<unknown> {
    const index = refusedIndexOf(error);
    if (index === undefined || !reservation) return error;
    return this.refusal(reservation, index);
  }

  /** 422 WALLET.LIMIT_EXCEEDED naming the counter's limit and what remains of it now. */
  private async refusal(reservation: LimitReservation, index: number): Promise<AppError> {
    const step = reservation.steps[index];
    const rows: { amount: string; count: number }[] = await this.db.query(
      `SELECT amount::text AS amount, count FROM limit_counters WHERE user_id = $1 AND counter = $2 AND period = $3`,
      [reservation.userId, step.counter, step.period],
    );
    let used = BigInt(rows[0]?.amount ?? '0');
    if (step.forgetSettledBefore) {
      // What the refused statement would have forgotten (it was rolled back): in DOKU's balance already.
      const seen: { amount: string }[] = await this.db.query(
        `SELECT COALESCE(sum(amount), 0)::text AS amount FROM limit_reservations
          WHERE user_id = $1 AND counter = $2 AND released_at IS NULL AND settled_at < $3`,
        [reservation.userId, step.counter, step.forgetSettledBefore],
      );
      used -= BigInt(seen[0]?.amount ?? '0');
    }
    const count = rows[0]?.count ?? 0;
    const base = { limit: step.limit, channel: reservation.channel, caller: reservation.caller, ...step.about };
    const requested = Number(step.amount);
    if (step.maxCount !== null && count + 1 > step.maxCount) {
      return exceeded(`At most ${step.maxCount} such operations may start in one hour`, {
        ...base,
        period: step.period,
        max: step.maxCount,
        used: count,
        remaining: Math.max(0, step.maxCount - count),
      });
    }
    const max = step.maxAmount ?? 0n;
    const remaining = max - step.base - used;
    const figures = { max: Number(max), used: Number(used), requested, remaining: Number(remaining > 0n ? remaining : 0n) };
    if (step.limit === 'MAX_BALANCE') {
      return exceeded('The wallet would hold more than its level allows', {
        ...base,
        ...figures,
        balance: Number(step.base),
        pendingIncoming: Number(used),
      });
    }
    const what = step.limit === 'MONTHLY_INCOMING' ? 'this month' : 'today';
    return exceeded(`The amount is over what may still be moved ${what}`, { ...base, period: step.period, ...figures });
  }

  /** Per-transaction (checked now), per-day and per-hour of the operation's channel and caller kind. */
  private channelSteps(op: LimitedOperation, now: Date): CounterStep[] {
    const limits = channelLimitsFor(this.config.limits, op.channel, op.caller);
    const about = {};
    if (limits.perTransaction !== undefined && op.amount > BigInt(limits.perTransaction)) {
      throw exceeded('The amount is over the largest allowed for one operation', {
        limit: 'PER_TRANSACTION',
        channel: op.channel,
        caller: op.caller,
        max: limits.perTransaction,
        requested: Number(op.amount),
        remaining: limits.perTransaction,
      });
    }
    const periods = jakartaPeriods(now);
    const key = `${op.channel}:${op.caller}`;
    return [
      {
        counter: `day:${key}`,
        period: periods.day,
        amount: op.amount,
        base: 0n,
        maxAmount: limits.perDay === undefined ? null : BigInt(limits.perDay),
        maxCount: null,
        limit: 'PER_DAY',
        about,
      },
      {
        counter: `hour:${key}`,
        period: periods.hour,
        amount: 0n,
        base: 0n,
        maxAmount: null,
        maxCount: limits.perHour ?? null,
        limit: 'PER_HOUR',
        about,
      },
    ];
  }
}

function exceeded(message: string, details: Record<string, unknown>): AppError {
  return new AppError('WALLET.LIMIT_EXCEEDED', message, details);
}
