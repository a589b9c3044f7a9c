import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { returningRows } from '../common/database/sql';
import { OutboxRepository } from '../outbox/outbox.repository';
import { BindingStatus, WalletBinding } from './entities/wallet-binding.entity';
import { bindingChangedEvent } from './wallet-events';

export interface NewBinding {
  userId: string;
  partnerReferenceNo: string;
  dokuAccountId: string;
}

@Injectable()
export class WalletBindingsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  private repo(tx?: EntityManager) {
    return (tx ?? this.db.manager).getRepository(WalletBinding);
  }
  /** The user's latest attempt, whatever its outcome. */
  findLatestForUser(userId: string): Promise<WalletBinding | null> {
    return this.repo().findOne({ where: { userId }, order: { createdAt: 'DESC' } });
  }

  /** Every status write below records `wallet.binding_changed` in the same commit. */
  async create(tx: EntityManager, input: NewBinding): Promise<WalletBinding> {
    const created = await this.repo(tx).save(this.repo(tx).create({ ...input, status: 'PENDING' }));
    await this.outbox.append(tx, bindingChangedEvent(created, null));
    return created;
  }

  /** Requests the user never completed end when a new one starts. */
  async failPendingForUser(tx: EntityManager, userId: string): Promise<void> {
    const rows = await returningRows<{ id: string }>(
      tx,
      `UPDATE wallet_bindings SET status = 'FAILED', failure_reason = 'SUPERSEDED', updated_at = now()
        WHERE user_id = $1 AND status = 'PENDING' RETURNING id`,
      [userId],
    );
    await this.recordChanges(
      tx,
      rows.map((r) => ({ id: r.id, previous: 'PENDING' })),
    );
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

  /**
   * A patch that sets `status` is written with its event in one transaction (the caller's, or one
   * of its own); the event is recorded only when the status actually changes.
   */
  async update(id: string, patch: Partial<WalletBinding>, tx?: EntityManager): Promise<void> {
    if (patch.status === undefined) {
      await this.repo(tx).update({ id }, patch);
      return;
    }
    const write = async (m: EntityManager) => {
      const before = await this.repo(m).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!before) return;
      await this.repo(m).update({ id }, patch);
      if (before.status !== patch.status) await this.recordChanges(m, [{ id, previous: before.status }]);
    };
    await (tx ? write(tx) : this.db.transaction(write));
  }

  /** A new binding replaces whatever was live before (one live binding per user). */
  async endLiveForUser(tx: EntityManager, userId: string, exceptId: string): Promise<void> {
    const rows = await returningRows<{ id: string; previous: BindingStatus }>(
      tx,
      `WITH live AS (
         SELECT id, status FROM wallet_bindings
          WHERE user_id = $1 AND id <> $2 AND status IN ('ACTIVE', 'UNBINDING') FOR UPDATE)
       UPDATE wallet_bindings b SET status = 'UNBOUND', unbound_at = now(), updated_at = now()
         FROM live WHERE b.id = live.id
       RETURNING b.id, live.status AS previous`,
      [userId, exceptId],
    );
    await this.recordChanges(tx, rows);
  }

  /**
   * The wallet of `userId` was just flagged NEEDS_REBINDING (in `tx`): its live binding, if any,
   * is reported as needing a new binding.
   */
  async recordNeedsRebinding(tx: EntityManager, userId: string): Promise<void> {
    const live = await this.repo(tx).findOne({ where: { userId, status: In(['ACTIVE', 'UNBINDING']) } });
    if (live) await this.outbox.append(tx, bindingChangedEvent(live, live.status, { needsRebinding: true }));
  }

  private async recordChanges(tx: EntityManager, changes: Array<{ id: string; previous: BindingStatus }>): Promise<void> {
    if (changes.length === 0) return;
    const rows = await this.repo(tx).findBy({ id: In(changes.map((c) => c.id)) });
    for (const change of changes) {
      const binding = rows.find((r) => r.id === change.id);
      if (binding) await this.outbox.append(tx, bindingChangedEvent(binding, change.previous));
    }
  }
}
