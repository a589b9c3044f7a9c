import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { returningRows } from '../database/sql';
import { Transaction } from '../transactions/entities/transaction.entity';

@Injectable()
export class ReconciliationRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Claims up to `limit` due unresolved transactions with a lease: their next check is pushed
   * `leaseSeconds` ahead in the same statement, under SKIP LOCKED, so several instances never work
   * on the same transaction, and one that dies mid-way loses only its lease.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<Transaction[]> {
    const rows = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE transactions SET next_check_at = now() + make_interval(secs => $2)
        WHERE id IN (
          SELECT id FROM transactions
           WHERE status IN ('PENDING','UNKNOWN') AND next_check_at <= now() AND attention_required_at IS NULL
           ORDER BY next_check_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
      RETURNING id`,
      [limit, leaseSeconds],
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

  async stats(): Promise<{ unresolved: number; oldestAgeSeconds: number; attentionRequired: number }> {
    const [row] = await this.db.query(
      `SELECT count(*) FILTER (WHERE attention_required_at IS NULL)::int AS unresolved,
              COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest,
              count(*) FILTER (WHERE attention_required_at IS NOT NULL)::int AS attention
         FROM transactions WHERE status IN ('PENDING','UNKNOWN')`,
    );
    return { unresolved: row.unresolved, oldestAgeSeconds: Number(row.oldest), attentionRequired: row.attention };
  }
}
