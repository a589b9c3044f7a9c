import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Wallet1763920000000 implements MigrationInterface {
  name = 'Wallet1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE wallets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
        status text NOT NULL CONSTRAINT wallets_status_check
          CHECK (status IN ('NONE','REGISTERING','REGISTERED','BOUND','NEEDS_REBINDING')),
        doku_account_id text,
        phone text,
        link_id text,
        public_user_id text,
        bound_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX wallets_user_id_key ON wallets (user_id)`);
    await q.query(`CREATE UNIQUE INDEX wallets_doku_account_id_key ON wallets (doku_account_id) WHERE status = 'BOUND'`);

    await q.query(`
      CREATE TABLE wallet_registrations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
        partner_reference_no text NOT NULL,
        doku_reference_no text,
        name text NOT NULL,
        email text NOT NULL,
        phone text NOT NULL,
        status text NOT NULL CONSTRAINT wallet_registrations_status_check
          CHECK (status IN ('OTP_SENT','OTP_VERIFIED','COMPLETED','FAILED','EXPIRED')),
        otp_failed_attempts integer NOT NULL DEFAULT 0,
        otp_resends integer NOT NULL DEFAULT 0,
        last_otp_sent_at timestamptz,
        doku_account_id text,
        failure_code text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX wallet_registrations_partner_reference_no_key ON wallet_registrations (partner_reference_no)`);
    await q.query(`CREATE INDEX wallet_registrations_user_id_idx ON wallet_registrations (user_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE wallet_bindings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
        partner_reference_no text NOT NULL,
        doku_reference_no text,
        doku_account_id text NOT NULL,
        link_id text,
        status text NOT NULL CONSTRAINT wallet_bindings_status_check
          CHECK (status IN ('PENDING','ACTIVE','UNBINDING','UNBOUND','FAILED')),
        unbind_partner_reference_no text,
        unbind_doku_reference_no text,
        bound_at timestamptz,
        unbound_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX wallet_bindings_partner_reference_no_key ON wallet_bindings (partner_reference_no)`);
    // At most one live binding per user.
    await q.query(
      `CREATE UNIQUE INDEX wallet_bindings_one_live_per_user ON wallet_bindings (user_id) WHERE status IN ('ACTIVE','UNBINDING')`,
    );

    await q.query(`
      CREATE TABLE transactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
        type text NOT NULL CONSTRAINT transactions_type_check
          CHECK (type IN ('PURCHASE','REFUND','CANCEL','TOP_UP','BANK_TRANSFER')),
        status text NOT NULL CONSTRAINT transactions_status_check
          CHECK (status IN ('PENDING','UNKNOWN','SUCCESS','FAILED','CANCELED')),
        amount bigint NOT NULL CONSTRAINT transactions_amount_check CHECK (amount > 0),
        refunded_amount bigint NOT NULL DEFAULT 0,
        refund_reserved_amount bigint NOT NULL DEFAULT 0,
        currency text NOT NULL DEFAULT 'IDR' CONSTRAINT transactions_currency_check CHECK (currency = 'IDR'),
        partner_reference_no text NOT NULL,
        doku_reference_no text,
        parent_id uuid REFERENCES transactions(id) ON DELETE RESTRICT,
        merchant_order_ref text,
        description text,
        details jsonb NOT NULL,
        initiator_kind text NOT NULL CONSTRAINT transactions_initiator_kind_check CHECK (initiator_kind IN ('user','service')),
        initiator_id text NOT NULL,
        failure_code text,
        doku_response_code text,
        next_check_at timestamptz,
        check_attempts integer NOT NULL DEFAULT 0,
        finalized_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- Refunds, successful and in flight, never exceed what was paid.
        CONSTRAINT transactions_refunds_check CHECK (
          refunded_amount >= 0 AND refund_reserved_amount >= 0 AND refunded_amount + refund_reserved_amount <= amount)
      )`);
    await q.query(`CREATE UNIQUE INDEX transactions_partner_reference_no_key ON transactions (partner_reference_no)`);
    await q.query(`CREATE INDEX transactions_user_id_created_at_idx ON transactions (user_id, created_at DESC)`);
    await q.query(`CREATE INDEX transactions_parent_id_idx ON transactions (parent_id) WHERE parent_id IS NOT NULL`);
    await q.query(`CREATE INDEX transactions_unresolved_idx ON transactions (next_check_at) WHERE status IN ('PENDING','UNKNOWN')`);

    await q.query(`
      CREATE TABLE transaction_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        transaction_id uuid NOT NULL REFERENCES transactions(id) ON DELETE CASCADE,
        from_status text,
        to_status text NOT NULL,
        cause text NOT NULL,
        details jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX transaction_events_transaction_id_idx ON transaction_events (transaction_id, created_at)`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        scope text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        status text NOT NULL CONSTRAINT idempotency_keys_status_check CHECK (status IN ('IN_PROGRESS','COMPLETED')),
        response_status integer,
        response_body jsonb,
        transaction_id uuid REFERENCES transactions(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX idempotency_keys_scope_key_key ON idempotency_keys (scope, key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE transaction_events`);
    await q.query(`DROP TABLE transactions`);
    await q.query(`DROP TABLE wallet_bindings`);
    await q.query(`DROP TABLE wallet_registrations`);
    await q.query(`DROP TABLE wallets`);
  }
}
