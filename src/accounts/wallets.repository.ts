import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { returningRows } from '../database/sql';
import { Wallet } from './entities/wallet.entity';
import { WalletBindingsRepository } from './wallet-bindings.repository';

@Injectable()
export class WalletsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bindings: WalletBindingsRepository,
  ) {}

  findByUserId(userId: string, tx?: EntityManager): Promise<Wallet | null> {
    return (tx ?? this.db.manager).getRepository(Wallet).findOne({ where: { userId } });
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
