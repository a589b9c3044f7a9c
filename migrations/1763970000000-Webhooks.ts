import type { MigrationInterface, QueryRunner } from 'typeorm';

const SCOPES_BEFORE = `'purchases:write','topups:write','refunds:write','wallets:read'`;
const SCOPES_AFTER = `'purchases:write','topups:write','refunds:write','wallets:read','events:read'`;

/**
 * Events for the partner's systems: the `events:read` scope, commit-ordered outbox sequence numbers
 * (the cursor of GET /v1/events and of the webhook fan-out), webhook subscriptions and deliveries.
 */
export class Webhooks1763970000000 implements MigrationInterface {
  name = 'Webhooks1763970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_clients DROP CONSTRAINT service_clients_scopes_check`);
    await q.query(
      `ALTER TABLE service_clients ADD CONSTRAINT service_clients_scopes_check CHECK (scopes <@ ARRAY[${SCOPES_AFTER}]::text[])`,
    );

    // A bigserial value is taken at INSERT but becomes visible at COMMIT, so a reader paging by
    // `seq` could see 11 while 10 is still uncommitted, move its cursor past 10 and never see it.
    // Here each event gets its final seq at commit time instead, under a transaction-scoped lock
    // held until the commit completes: seq order is commit order, and an event can only become
    // visible with a seq above every seq already visible. The lock is taken last (deferred trigger),
    // after every row lock of the writing transaction, so it cannot take part in a deadlock.
    await q.query(`
      CREATE FUNCTION outbox_events_commit_seq() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('outbox_events.seq', 0));
        UPDATE outbox_events SET seq = nextval('outbox_events_seq_seq') WHERE id = NEW.id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER outbox_events_commit_seq AFTER INSERT ON outbox_events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_events_commit_seq()`);

    await q.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL CONSTRAINT webhook_subscriptions_url_check CHECK (length(url) <= 2048),
        event_types text[] NOT NULL,
        description text NOT NULL,
        secret_ciphertext text NOT NULL,
        previous_secret_ciphertext text,
        previous_secret_expires_at timestamptz,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE RESTRICT,
        event_id uuid NOT NULL,
        event_seq bigint NOT NULL,
        event_type text NOT NULL,
        status text NOT NULL CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('PENDING','DELIVERED','FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One delivery per (event, subscription): the fan-out can run again without duplicating any.
    await q.query(`CREATE UNIQUE INDEX webhook_deliveries_event_subscription_key ON webhook_deliveries (event_id, subscription_id)`);
    await q.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at DESC)`);

    // The last outbox seq fanned out to subscriptions: a single row, locked by the fan-out.
    await q.query(`
      CREATE TABLE webhook_fanout_cursor (
        id smallint PRIMARY KEY CONSTRAINT webhook_fanout_cursor_single_row CHECK (id = 1),
        last_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Events written before webhooks existed are not sent to anyone.
    await q.query(`INSERT INTO webhook_fanout_cursor (id, last_seq) SELECT 1, COALESCE(max(seq), 0) FROM outbox_events`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_fanout_cursor`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_subscriptions`);
    await q.query(`DROP TRIGGER outbox_events_commit_seq ON outbox_events`);
    await q.query(`DROP FUNCTION outbox_events_commit_seq()`);
    await q.query(`ALTER TABLE service_clients DROP CONSTRAINT service_clients_scopes_check`);
    await q.query(`UPDATE service_clients SET scopes = array_remove(scopes, 'events:read') WHERE 'events:read' = ANY(scopes)`);
    await q.query(
      `ALTER TABLE service_clients ADD CONSTRAINT service_clients_scopes_check CHECK (scopes <@ ARRAY[${SCOPES_BEFORE}]::text[])`,
    );
  }
}
