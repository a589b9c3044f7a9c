import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DokuNotifications1763940000000 implements MigrationInterface {
  name = 'DokuNotifications1763940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE doku_notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dedupe_key text NOT NULL,
        partner_reference_no text,
        doku_reference_no text,
        latest_transaction_status text,
        external_id text,
        signature_kind text NOT NULL CONSTRAINT doku_notifications_signature_kind_check
          CHECK (signature_kind IN ('symmetric','asymmetric')),
        raw_body text NOT NULL,
        headers jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        process_result text
      )`);
    // A replayed delivery is stored once (replays are no-ops, docs/reliability.md#principles).
    await q.query(`CREATE UNIQUE INDEX doku_notifications_dedupe_key_key ON doku_notifications (dedupe_key)`);
    await q.query(`CREATE INDEX doku_notifications_partner_reference_no_idx ON doku_notifications (partner_reference_no)`);
    await q.query(`CREATE INDEX doku_notifications_unprocessed_idx ON doku_notifications (received_at) WHERE processed_at IS NULL`);
    await q.query(`
      CREATE TABLE doku_notification_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash text NOT NULL,
        client_id text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX doku_notification_tokens_token_hash_key ON doku_notification_tokens (token_hash)`);
    await q.query(`CREATE INDEX doku_notification_tokens_expires_at_idx ON doku_notification_tokens (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE doku_notification_tokens`);
    await q.query(`DROP TABLE doku_notifications`);
  }
}
