import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { returningRows } from '../database/sql';
import { Transaction } from '../transactions/entities/transaction.entity';

/**
 * Purchase-shaped reads and writes over the shared `transactions` table. Every user-facing read
 * takes the owner's `userId` (deny by default: another user's purchase is as good as absent).
 */
@Injectable()
export class PurchasesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findForUser(id: string, userId: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { id, userId, type: 'PURCHASE' } });
  }

  findById(id: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { id, type: 'PURCHASE' } });
  }

  findByPartnerReference(partnerReferenceNo: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { partnerReferenceNo, type: 'PURCHASE' } });
  }

  /**
   * Locks the purchase row for the rest of `tx`: cancels and refunds of one purchase are prepared
   * one at a time, so a cancel and a refund can never both be sent for the same money.
   * `userId` undefined is the back office (any user's purchase).
   */
  async lockForUpdate(tx: EntityManager, id: string, userId: string | undefined): Promise<Transaction | null> {
    const params: unknown[] = [id];
    let sql = `SELECT id FROM transactions WHERE id = $1 AND type = 'PURCHASE'`;
    if (userId !== undefined) {
      params.push(userId);
      sql += ` AND user_id = $2`;
    }
    const rows: { id: string }[] = await tx.query(`${sql} FOR UPDATE`, params);
    if (rows.length === 0) return null;
    return tx.getRepository(Transaction).findOneOrFail({ where: { id } });
  }

  /** Refunds and cancels of a purchase, oldest first. */
  findChildren(purchaseId: string, manager: EntityManager = this.db.manager): Promise<Transaction[]> {
    return manager.getRepository(Transaction).find({ where: { parentId: purchaseId }, order: { createdAt: 'ASC' } });
  }

  /** A cancel of this purchase that is in flight or done: a second cancel or a refund must wait or stop. */
  async findLiveCancel(tx: EntityManager, purchaseId: string): Promise<Transaction | null> {
    return tx.getRepository(Transaction).findOne({
      where: { parentId: purchaseId, type: 'CANCEL', status: In(['PENDING', 'UNKNOWN', 'SUCCESS']) },
    });
  }

  /**
   * DOKU accepted the purchase: keep its reference and the PIN page, without a state change (the
   * purchase stays PENDING until the user confirms with the PIN).
   */
  async recordAcceptance(tx: EntityManager, id: string, dokuReferenceNo: string | null, details: Record<string, unknown>, dokuExternalId?: string): Promise<void> {
    await returningRows(
      tx,
      `UPDATE transactions SET doku_reference_no = COALESCE(doku_reference_no, $2), details = details || $3::jsonb,
              doku_external_id = COALESCE($4, doku_external_id), updated_at = now()
        WHERE id = $1 RETURNING id`,
      [id, dokuReferenceNo, JSON.stringify(details), dokuExternalId ?? null],
    );
  }
}
