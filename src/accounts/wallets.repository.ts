import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { entityFromRow, returningRows } from '../common/database/sql';
import { Wallet } from './entities/wallet.entity';
import { WalletBindingsRepository } from './wallet-bindings.repository';

@Injectable()
export class WalletsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bindings: WalletBindingsRepository,
  ) {}

  /** The user's wallet row, or null. Plain SQL: it is read on every money request. */
  async findByUserId(userId: string, tx?: EntityManager): Promise<Wallet | null> {
    const manager = tx ?? this.db.manager;
    const rows = await manager.query<Record<string, unknown>[]>(`SELECT * FROM wallets WHERE user_id = $1`, [userId]);
    return rows.length ? entityFromRow(manager, Wallet, rows[0]) : null;
  }

  /** The user's wallet row, created in state NONE on first use; locked when inside a transaction. */
  async getOrCreateForUpdate(tx: EntityManager, userId: string): Promise<Wallet> {
    await tx.query(`INSERT INTO wallets (user_id, status) VALUES ($1, 'NONE') ON CONFLICT (user_id) DO NOTHING`, [userId]);
    return tx
      .getRepository(Wallet)
      .createQueryBuilder('w')
      .setLock('pessimistic_write')
      .where('w.userId = :userId', { userId })
      .getOneOrFail();
  }

  async save(tx: EntityManager, wallet: Wallet): Promise<Wallet> {
    return tx.getRepository(Wallet).save(wallet);
  }

  /**
   * DOKU refused every way to renew the customer token: the user must bind again. The change and
   * its `wallet.binding_changed` event commit together.
   */
  async markNeedsRebinding(userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const rows = await returningRows<{ id: string }>(
        tx,
        `UPDATE wallets SET status = 'NEEDS_REBINDING', updated_at = now() WHERE user_id = $1 AND status = 'BOUND' RETURNING id`,
        [userId],
      );
      if (rows.length === 1) await this.bindings.recordNeedsRebinding(tx, userId);
    });
  }
}
