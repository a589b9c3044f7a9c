import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { returningRows } from '../common/database/sql';
import { Transaction } from '../transactions/entities/transaction.entity';
import { TransactionType } from '../transactions/transaction-state';

@Injectable()
export class ReconciliationRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Claims up to `limit` due unresolved transactions with a lease: their next check is pushed
   * `leaseSeconds` ahead in the same statement, under SKIP LOCKED, so several instances never work
   * on the same transaction, and one that dies mid-way loses only its lease.
   *
   * A PENDING intent written in commit 1 has no next check until something schedules one; if its
   * request died before commit 2, nothing ever will. It is due `unscheduledAfterSeconds` after its
   * creation (once no live request can still be holding it).
   */
  async claimDue(limit: number, leaseSeconds: number, unscheduledAfterSeconds: number): Promise<Transaction[]> {
    const rows = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE transactions SET next_check_at = now() + make_interval(secs => $2)
        WHERE id IN (
          SELECT id FROM transactions
           WHERE status IN ('PENDING','UNKNOWN')
             AND COALESCE(next_check_at, created_at + make_interval(secs => $3)) <= now()
             AND attention_required_at IS NULL
           ORDER BY COALESCE(next_check_at, created_at + make_interval(secs => $3))
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
      RETURNING id`,
      [limit, leaseSeconds, unscheduledAfterSeconds],
    );
    if (rows.length === 0) return [];
    return this.db.getRepository(Transaction).findBy({ id: In(rows.map((r) => r.id)) });
  }

  /** After a check that settled nothing: schedule the next one, or flag it when the schedule is exhausted. */
  async scheduleNext(id: string, delaySeconds: number | null): Promise<void> {
    await this.db.query(
      `UPDATE transactions
          SET check_attempts = check_attempts + 1,
              next_check_at = CASE WHEN $2::int IS NULL THEN next_check_at ELSE now() + make_interval(secs => $2::int) END,
              attention_required_at = CASE WHEN $2::int IS NULL THEN now() ELSE attention_required_at END
        WHERE id = $1 AND status IN ('PENDING','UNKNOWN')`,
      [id, delaySeconds],
    );
  }

  /**
   * Idempotency keys still IN_PROGRESS, older than `olderThanSeconds`, whose transaction is settled:
   * their request died between commit 1 and commit 2 and the transaction has since been settled
   * (by the reconciler, a status read or a notification). Oldest first.
   */
  async findCompletableKeys(limit: number, olderThanSeconds: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT k.id FROM idempotency_keys k JOIN transactions t ON t.id = k.transaction_id
        WHERE k.status = 'IN_PROGRESS' AND k.created_at <= now() - make_interval(secs => $2)
          AND t.status NOT IN ('PENDING','UNKNOWN')
        ORDER BY k.created_at
        LIMIT $1`,
      [limit, olderThanSeconds],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Locks one completable key for the rest of `tx` and gives its settled transaction, or null when
   * another instance holds it or it is no longer completable (completed meanwhile).
   */
  async lockCompletableKey(tx: EntityManager, keyId: string): Promise<Transaction | null> {
    const rows: { transaction_id: string }[] = await tx.query(
      `SELECT k.transaction_id FROM idempotency_keys k JOIN transactions t ON t.id = k.transaction_id
        WHERE k.id = $1 AND k.status = 'IN_PROGRESS' AND t.status NOT IN ('PENDING','UNKNOWN')
        FOR UPDATE OF k SKIP LOCKED`,
      [keyId],
    );
    if (rows.length === 0) return null;
    return tx.getRepository(Transaction).findOneBy({ id: rows[0].transaction_id });
  }

  /** IN_PROGRESS keys older than `olderThanSeconds`: requests abandoned mid-flight whose transaction is not settled yet. */
  async countAbandonedKeys(olderThanSeconds: number): Promise<number> {
    const [row] = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM idempotency_keys WHERE status = 'IN_PROGRESS' AND created_at <= now() - make_interval(secs => $1)`,
      [olderThanSeconds],
    );
    return row.n;
  }

  async userExists(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
    return rows.length === 1;
  }

  /** Sums of the user's SUCCESS movements by type, over their whole history (the balance check's "our records"). */
  async successTotals(userId: string): Promise<Map<TransactionType, bigint>> {
    const rows: { type: TransactionType; total: string }[] = await this.db.query(
      `SELECT type, COALESCE(sum(amount), 0)::text AS total FROM transactions WHERE user_id = $1 AND status = 'SUCCESS' GROUP BY type`,
      [userId],
    );
    return new Map(rows.map((r) => [r.type, BigInt(r.total)]));
  }

  /** The user's transactions created since `since`, and every unresolved one whatever its age. */
  findForBalanceCheck(userId: string, since: Date): Promise<Transaction[]> {
    return this.db
      .getRepository(Transaction)
      .createQueryBuilder('t')
      .where('t.userId = :userId', { userId })
      .andWhere(`(t.createdAt >= :since OR t.status IN ('PENDING','UNKNOWN'))`, { since })
      .orderBy('t.createdAt', 'ASC')
      .getMany();
  }

  async stats(): Promise<{ unresolved: number; oldestAgeSeconds: number; attentionRequired: number }> {
    const [row] = await this.db.query<{ unresolved: number; oldest: number; attention: number }[]>(
      `SELECT count(*) FILTER (WHERE attention_required_at IS NULL)::int AS unresolved,
              COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest,
              count(*) FILTER (WHERE attention_required_at IS NOT NULL)::int AS attention
         FROM transactions WHERE status IN ('PENDING','UNKNOWN')`,
    );
    return { unresolved: row.unresolved, oldestAgeSeconds: Number(row.oldest), attentionRequired: row.attention };
  }
}
