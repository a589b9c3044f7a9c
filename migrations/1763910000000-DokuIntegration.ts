import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DokuIntegration1763910000000 implements MigrationInterface {
  name = 'DokuIntegration1763910000000';

  async up(q: QueryRunner): Promise<void> {
    // X-EXTERNAL-ID (docs/doku-integration.md#x-external-id): every instance reserves a block of 1000
    // values per nextval, so ids never repeat across instances, restarts or days, and the request path does
    // not pay a round trip per id. Never reset: uniqueness per Jakarta day follows from uniqueness forever.
    await q.query(`CREATE SEQUENCE doku_external_id_seq AS bigint INCREMENT BY 1000 MINVALUE 1 START WITH 1 NO CYCLE`);

    await q.query(`
      CREATE TABLE doku_exchanges (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint text NOT NULL,
        method text NOT NULL CONSTRAINT doku_exchanges_method_check CHECK (method IN ('POST')),
        path text NOT NULL,
        external_id text CONSTRAINT doku_exchanges_external_id_check CHECK (external_id ~ '^[0-9]{1,32}$'),
        partner_reference text,
        attempt smallint NOT NULL CONSTRAINT doku_exchanges_attempt_check CHECK (attempt >= 1),
        http_status smallint,
        response_code text,
        outcome text NOT NULL CONSTRAINT doku_exchanges_outcome_check CHECK (outcome IN (
          'SUCCESS','IN_PROGRESS','REJECTED','NOT_FOUND','INVALID_B2B_TOKEN','INVALID_CUSTOMER_TOKEN',
          'INVALID_SIGNATURE','DUPLICATE_REFERENCE','DUPLICATE_EXTERNAL_ID','RATE_LIMITED','UNKNOWN',
          'TIMEOUT','TRANSPORT_ERROR')),
        replayed boolean NOT NULL DEFAULT false,
        duration_ms double precision NOT NULL CONSTRAINT doku_exchanges_duration_ms_check CHECK (duration_ms >= 0),
        request_body jsonb,
        response_body jsonb,
        started_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX doku_exchanges_partner_reference_idx ON doku_exchanges (partner_reference)`);
    await q.query(`CREATE INDEX doku_exchanges_started_at_idx ON doku_exchanges (started_at)`);
    await q.query(`CREATE INDEX doku_exchanges_external_id_idx ON doku_exchanges (external_id)`);

    // One B2B token per client id for the whole fleet: DOKU keeps only the latest one.
    await q.query(`
      CREATE TABLE doku_b2b_tokens (
        client_id text PRIMARY KEY,
        access_token_ciphertext text NOT NULL,
        obtained_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        version integer NOT NULL CONSTRAINT doku_b2b_tokens_version_check CHECK (version >= 1),
        invalidated_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT doku_b2b_tokens_expiry_check CHECK (expires_at > obtained_at)
      )`);

    // Per-user B2B2C tokens (docs/doku-integration.md#customer-token), encrypted at rest; purged after unbinding.
    await q.query(`
      CREATE TABLE doku_customer_tokens (
        user_id uuid PRIMARY KEY CONSTRAINT doku_customer_tokens_user_id_fkey REFERENCES users(id) ON DELETE CASCADE,
        account_id text NOT NULL,
        access_token_ciphertext text,
        access_expires_at timestamptz,
        refresh_token_ciphertext text,
        refresh_expires_at timestamptz,
        needs_rebinding boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT doku_customer_tokens_access_pair_check CHECK ((access_token_ciphertext IS NULL) = (access_expires_at IS NULL)),
        CONSTRAINT doku_customer_tokens_refresh_expiry_check CHECK (refresh_expires_at IS NULL OR refresh_token_ciphertext IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX doku_customer_tokens_account_id_idx ON doku_customer_tokens (account_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE doku_customer_tokens`);
    await q.query(`DROP TABLE doku_b2b_tokens`);
    await q.query(`DROP TABLE doku_exchanges`);
    await q.query(`DROP SEQUENCE doku_external_id_seq`);
  }
}
