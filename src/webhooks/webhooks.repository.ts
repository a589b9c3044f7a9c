import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { returningRows } from '../common/database/sql';
import { WebhookSubscription } from './entities/webhook-subscription.entity';

export interface NewWebhookSubscription {
  id: string;
  url: string;
  eventTypes: string[];
  description: string;
  secretCiphertext: string;
}

/** Webhook subscriptions; deleted ones are kept (for their delivery log) but read as absent. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(WebhookSubscription);
  }

  create(input: NewWebhookSubscription): Promise<WebhookSubscription> {
    return this.repo.save(this.repo.create({ ...input, previousSecretCiphertext: null, previousSecretExpiresAt: null, deletedAt: null }));
  }

  listActive(): Promise<WebhookSubscription[]> {
    return this.repo.find({ where: { deletedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  findActive(id: string): Promise<WebhookSubscription | null> {
    return this.repo.findOne({ where: { id, deletedAt: IsNull() } });
  }

  /** Marks the subscription deleted and ends its pending deliveries, in one commit. Null when absent. */
  async softDelete(id: string): Promise<WebhookSubscription | null> {
    return this.db.transaction(async (tx) => {
      const rows = await returningRows<{ id: string }>(
        tx,
        `UPDATE webhook_subscriptions SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [id],
      );
      if (rows.length === 0) return null;
      await tx.query(
        `UPDATE webhook_deliveries SET status = 'FAILED', next_attempt_at = NULL, last_error = 'SUBSCRIPTION_DELETED', updated_at = now()
          WHERE subscription_id = $1 AND status = 'PENDING'`,
        [id],
      );
      return tx.getRepository(WebhookSubscription).findOneByOrFail({ id });
    });
  }

  /** A new secret; the one it replaces keeps signing alongside it until `previousExpiresAt`. */
  async rotateSecret(id: string, secretCiphertext: string, previousCiphertext: string, previousExpiresAt: Date): Promise<boolean> {
    const rows = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE webhook_subscriptions
          SET secret_ciphertext = $2, previous_secret_ciphertext = $3, previous_secret_expires_at = $4, updated_at = now()
        WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id, secretCiphertext, previousCiphertext, previousExpiresAt],
    );
    return rows.length === 1;
  }

  /** Ends a rotation's overlap now: the previous secret stops signing. False when there is no such subscription. */
  async retirePreviousSecret(id: string): Promise<boolean> {
    const rows = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE webhook_subscriptions
          SET previous_secret_ciphertext = NULL, previous_secret_expires_at = NULL, updated_at = now()
        WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [id],
    );
    return rows.length === 1;
  }

  /**
   * After the encryption key changes: up to `limit` subscriptions whose secret (or previous secret)
   * is not sealed under `sealedPrefix`, sealed again by `reseal`, in one transaction holding their
   * rows (rows another instance holds are skipped). The number of subscriptions changed.
   */
  resealSecrets(sealedPrefix: string, reseal: (subscriptionId: string, sealed: string) => string, limit: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<Array<{ id: string; secret: string; previous: string | null }>>(
        `SELECT id, secret_ciphertext AS secret, previous_secret_ciphertext AS previous FROM webhook_subscriptions
          WHERE left(secret_ciphertext, length($1)) <> $1 OR left(previous_secret_ciphertext, length($1)) <> $1
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [sealedPrefix, limit],
      );
      for (const row of rows) {
        await tx.query(`UPDATE webhook_subscriptions SET secret_ciphertext = $2, previous_secret_ciphertext = $3 WHERE id = $1`, [
          row.id,
          reseal(row.id, row.secret),
          row.previous === null ? null : reseal(row.id, row.previous),
        ]);
      }
      return rows.length;
    });
  }
}
