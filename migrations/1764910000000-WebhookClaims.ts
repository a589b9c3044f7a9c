import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `webhook_deliveries.claimed_at`: when a worker took the delivery for an attempt, cleared when the
 * attempt is recorded. A secret rotation waits for the attempts claimed before it (they may be signed
 * with the old secret only) before it answers, so a receiver that switches to the new secret at once
 * never sees one of them afterwards (docs/operations.md#webhook-signing-secrets).
 */
export class WebhookClaims1764910000000 implements MigrationInterface {
  name = 'WebhookClaims1764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN claimed_at timestamptz`);
    await q.query(
      `CREATE INDEX webhook_deliveries_claimed ON webhook_deliveries (subscription_id, claimed_at) WHERE claimed_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_claimed`);
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN claimed_at`);
  }
}
