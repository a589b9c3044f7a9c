import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { returningRows } from '../common/database/sql';
import { DataSource, FindOptionsWhere, In, IsNull, Not, Raw } from 'typeorm';
import { Wallet } from '../accounts/entities/wallet.entity';
import { DokuExchangeRecord } from '../integrations/doku/snap/entities/doku-exchange-record.entity';
import { Transaction } from '../transactions/entities/transaction.entity';
import type { PaymentMethod } from '../transactions/payment-method';
import { TransactionStatus, TransactionType } from '../transactions/transaction-state';
import { User } from '../users/entities/user.entity';
import type { UserRole } from '../users/entities/user.entity';
import { isUuid } from '../common/http/id-params';

export interface Paging {
  page: number;
  pageSize: number;
}

/** Back-office reads across every user (the only place that does not scope queries to one user). */
@Injectable()
export class AdminRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Users whose email contains `query`, whose phone (or their wallet's phone) starts with it, or
   * whose wallet is the DOKU account `query`, newest first.
   */
  async searchUsers(
    query: string | undefined,
    { page, pageSize }: Paging,
    filter: { role?: UserRole; staff?: 'true' | 'false' } = {},
  ): Promise<{ users: User[]; total: number }> {
    const qb = this.db.getRepository(User).createQueryBuilder('u').where('TRUE');
    const text = query?.trim();
    if (text) {
      const escaped = text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
      const wallet = this.db
        .getRepository(Wallet)
        .createQueryBuilder('w')
        .select('1')
        .where('w.userId = u.id')
        .andWhere('(w.dokuAccountId = :exact OR w.phone LIKE :prefix)');
      qb.andWhere(`(u.email LIKE :contains OR u.phone LIKE :prefix OR EXISTS (${wallet.getQuery()}))`, {
        contains: `%${escaped}%`,
        prefix: `${escaped}%`,
        exact: text,
      });
    }
    if (filter.role) qb.andWhere('u.role = :role', { role: filter.role });
    if (filter.staff === 'true') qb.andWhere(`u.role <> 'user'`);
    if (filter.staff === 'false') qb.andWhere(`u.role = 'user'`);
    const [users, total] = await qb
      .orderBy('u.createdAt', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .skip((page - 1) * pageSize)
      .take(pageSize)
      .getManyAndCount();
    return { users, total };
  }

  findUser(id: string): Promise<User | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.db.getRepository(User).findOne({ where: { id } });
  }

  async findWallets(userIds: string[]): Promise<Map<string, Wallet>> {
    if (userIds.length === 0) return new Map();
    const wallets = await this.db.getRepository(Wallet).createQueryBuilder('w').where('w.userId IN (:...userIds)', { userIds }).getMany();
    return new Map(wallets.map((w) => [w.userId, w]));
  }

  async listTransactions(
    filter: {
      status?: TransactionStatus;
      type?: TransactionType;
      userId?: string;
      attention?: 'true' | 'false';
      dokuDisagrees?: 'open' | 'true' | 'false';
      paymentMethod?: PaymentMethod;
      minAmount?: number;
      maxAmount?: number;
      from?: Date;
      to?: Date;
    },
    { page, pageSize }: Paging,
  ): Promise<{ transactions: Transaction[]; total: number }> {
    const where: FindOptionsWhere<Transaction> = {};
    if (filter.status) where.status = filter.status;
    if (filter.type) where.type = filter.type;
    if (filter.userId) where.userId = filter.userId;
    // Waiting for the back office: flagged and still unresolved.
    if (filter.attention === 'true')
      Object.assign(where, { attentionRequiredAt: Not(IsNull()), status: filter.status ?? In(['PENDING', 'UNKNOWN']) });
    if (filter.attention === 'false') where.attentionRequiredAt = IsNull();
    if (filter.dokuDisagrees === 'true') where.dokuDisagreesAt = Not(IsNull());
    if (filter.dokuDisagrees === 'open') Object.assign(where, { dokuDisagreesAt: Not(IsNull()), dokuDisagreementHandledAt: IsNull() });
    if (filter.dokuDisagrees === 'false') where.dokuDisagreesAt = IsNull();
    if (filter.paymentMethod) where.paymentMethod = filter.paymentMethod;
    if (filter.minAmount !== undefined || filter.maxAmount !== undefined)
      where.amount = Raw((column) => `${column} BETWEEN :minAmount AND :maxAmount`, {
        minAmount: filter.minAmount ?? 0,
        maxAmount: filter.maxAmount ?? Number.MAX_SAFE_INTEGER,
      });
    // From inclusive, to exclusive.
    if (filter.from || filter.to)
      where.createdAt = Raw((column) => `${column} >= :from AND ${column} < :to`, {
        from: filter.from ?? new Date(0),
        to: filter.to ?? new Date(8.64e15),
      });
    const [transactions, total] = await this.db.getRepository(Transaction).findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { transactions, total };
  }

  /** Marks an open disagreement handled; false when there is none open (not flagged, or handled already). */
  async handleDisagreement(id: string, staffId: string, note: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE transactions SET doku_disagreement_handled_at = now(), doku_disagreement_handled_by = $2, doku_disagreement_note = $3
        WHERE id = $1 AND doku_disagrees_at IS NOT NULL AND doku_disagreement_handled_at IS NULL RETURNING id`,
      [id, staffId, note],
    );
    return rows.length === 1;
  }

  findTransaction(id: string): Promise<Transaction | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.db.getRepository(Transaction).findOne({ where: { id } });
  }

  async listExchanges(
    filter: { partnerReference?: string; from?: Date; to?: Date },
    { page, pageSize }: Paging,
  ): Promise<{ exchanges: DokuExchangeRecord[]; total: number }> {
    const qb = this.db.getRepository(DokuExchangeRecord).createQueryBuilder('e').where('TRUE');
    if (filter.partnerReference) qb.andWhere('e.partnerReference = :ref', { ref: filter.partnerReference });
    if (filter.from) qb.andWhere('e.startedAt >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('e.startedAt < :to', { to: filter.to });
    const [exchanges, total] = await qb
      .orderBy('e.startedAt', 'DESC')
      .addOrderBy('e.attempt', 'DESC')
      .skip((page - 1) * pageSize)
      .take(pageSize)
      .getManyAndCount();
    return { exchanges, total };
  }

  /** Purchases per UTC day and channel since `since`: how many, how many succeeded, their volume. */
  dailyPurchases(since: Date): Promise<Array<{ day: string; channel: string; purchases: number; succeeded: number; volume: string }>> {
    return this.db.query(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, payment_method AS channel,
              count(*)::int AS purchases, count(*) FILTER (WHERE status = 'SUCCESS')::int AS succeeded,
              coalesce(sum(amount) FILTER (WHERE status = 'SUCCESS'), 0)::text AS volume
         FROM transactions WHERE type = 'PURCHASE' AND created_at >= $1
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [since],
    );
  }

  /** Successful refunds since `since` (count and rupiah) and the volume of successful purchases. */
  async refundTotals(since: Date): Promise<{ refunds: number; refunded: string; purchased: string }> {
    const [row] = await this.db.query<Array<{ refunds: number; refunded: string; purchased: string }>>(
      `SELECT count(*) FILTER (WHERE type = 'REFUND')::int AS refunds,
              coalesce(sum(amount) FILTER (WHERE type = 'REFUND'), 0)::text AS refunded,
              coalesce(sum(amount) FILTER (WHERE type = 'PURCHASE'), 0)::text AS purchased
         FROM transactions WHERE status = 'SUCCESS' AND type IN ('PURCHASE', 'REFUND') AND created_at >= $1`,
      [since],
    );
    return row;
  }

  /** What waits for a person: flagged unresolved transactions and pending maker-checker requests, with the oldest of each. */
  async unresolved(): Promise<{
    waiting: number;
    oldestId: string | null;
    oldestAt: Date | null;
    pendingApprovals: number;
    oldestApprovalAt: Date | null;
  }> {
    const [row] = await this.db.query<
      Array<{ waiting: number; oldest_id: string | null; oldest_at: Date | null; pending: number; oldest_approval_at: Date | null }>
    >(
      `SELECT (SELECT count(*)::int FROM transactions t
                WHERE t.attention_required_at IS NOT NULL AND t.status IN ('PENDING', 'UNKNOWN')) AS waiting,
              o.id AS oldest_id, o.created_at AS oldest_at,
              (SELECT count(*)::int FROM approvals WHERE status = 'PENDING') AS pending,
              (SELECT min(created_at) FROM approvals WHERE status = 'PENDING') AS oldest_approval_at
         FROM (SELECT 1) one
         LEFT JOIN LATERAL (SELECT id, created_at FROM transactions t
                             WHERE t.attention_required_at IS NOT NULL AND t.status IN ('PENDING', 'UNKNOWN')
                             ORDER BY created_at LIMIT 1) o ON TRUE`,
    );
    return {
      waiting: row.waiting,
      oldestId: row.oldest_id,
      oldestAt: row.oldest_at,
      pendingApprovals: row.pending,
      oldestApprovalAt: row.oldest_approval_at,
    };
  }
}
