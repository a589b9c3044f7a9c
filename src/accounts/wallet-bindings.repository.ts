import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { WalletBinding } from './entities/wallet-binding.entity';

export interface NewBinding {
  userId: string;
  partnerReferenceNo: string;
  dokuAccountId: string;
}

@Injectable()
export class WalletBindingsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private repo(tx?: EntityManager) {
    return (tx ?? this.db.manager).getRepository(WalletBinding);
  }

  create(tx: EntityManager, input: NewBinding): Promise<WalletBinding> {
    return this.repo(tx).save(this.repo(tx).create({ ...input, status: 'PENDING' }));
  }

  /** Requests the user never completed end when a new one starts. */
  async failPendingForUser(tx: EntityManager, userId: string): Promise<void> {
    await this.repo(tx).update({ userId, status: 'PENDING' }, { status: 'FAILED' });
  }

  findByPartnerReferenceForUpdate(tx: EntityManager, partnerReferenceNo: string): Promise<WalletBinding | null> {
    return this.repo(tx).findOne({ where: { partnerReferenceNo }, lock: { mode: 'pessimistic_write' } });
  }

  /** The user's live binding (ACTIVE or UNBINDING), locked when inside a transaction. */
  findLiveForUser(userId: string, tx?: EntityManager): Promise<WalletBinding | null> {
    return this.repo(tx).findOne({
      where: { userId, status: In(['ACTIVE', 'UNBINDING']) },
      ...(tx ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  async update(id: string, patch: Partial<WalletBinding>, tx?: EntityManager): Promise<void> {
    await this.repo(tx).update({ id }, patch);
  }

  /** A new binding replaces whatever was live before (one live binding per user). */
  async endLiveForUser(tx: EntityManager, userId: string, exceptId: string): Promise<void> {
    await tx.query(
      `UPDATE wallet_bindings SET status = 'UNBOUND', unbound_at = now(), updated_at = now()
        WHERE user_id = $1 AND id <> $2 AND status IN ('ACTIVE', 'UNBINDING')`,
      [userId, exceptId],
    );
  }
}
