import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Server-side inquiries of bank transfers and top-ups (docs/doku-integration.md#bank-transfer, #top-up), confirmed by id. */
export class WalletInquiries1763950000000 implements MigrationInterface {
  name = 'WalletInquiries1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bank_transfer_inquiries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
        bank_code text NOT NULL,
        bank_name text,
        account_number_sealed text NOT NULL,
        account_number_masked text NOT NULL,
        beneficiary_name text NOT NULL,
        account_type text,
        amount bigint NOT NULL CONSTRAINT bank_transfer_inquiries_amount_check CHECK (amount > 0),
        partner_reference_no text NOT NULL,
        doku_reference_no text,
        session_id text,
        expires_at timestamptz NOT NULL,
        transaction_id uuid REFERENCES transactions(id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX bank_transfer_inquiries_partner_reference_no_key ON bank_transfer_inquiries (partner_reference_no)`);
    // One inquiry is confirmed into at most one live transfer.
    await q.query(
      `CREATE UNIQUE INDEX bank_transfer_inquiries_transaction_id_key ON bank_transfer_inquiries (transaction_id) WHERE transaction_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX bank_transfer_inquiries_user_id_idx ON bank_transfer_inquiries (user_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE top_up_inquiries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
        initiator_kind text NOT NULL CONSTRAINT top_up_inquiries_initiator_kind_check CHECK (initiator_kind IN ('user','service')),
        initiator_id text NOT NULL,
        amount bigint NOT NULL CONSTRAINT top_up_inquiries_amount_check CHECK (amount > 0),
        fee_amount bigint,
        customer_name text NOT NULL,
        customer_number_masked text NOT NULL,
        partner_reference_no text NOT NULL,
        doku_reference_no text,
        session_id text,
        expires_at timestamptz NOT NULL,
        transaction_id uuid REFERENCES transactions(id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX top_up_inquiries_partner_reference_no_key ON top_up_inquiries (partner_reference_no)`);
    await q.query(
      `CREATE UNIQUE INDEX top_up_inquiries_transaction_id_key ON top_up_inquiries (transaction_id) WHERE transaction_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX top_up_inquiries_user_id_idx ON top_up_inquiries (user_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE top_up_inquiries`);
    await q.query(`DROP TABLE bank_transfer_inquiries`);
  }
}
