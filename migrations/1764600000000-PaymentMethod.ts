import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which channel a purchase went through (docs/channels.md), and with it each of its refunds and
 * cancels: the bound DOKU Wallet (every existing row) or a DANA one-time payment. Written in commit 1,
 * before DOKU is called, so the reconciler always knows which status query settles an intent.
 */
export class PaymentMethod1764600000000 implements MigrationInterface {
  name = 'PaymentMethod1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ADD COLUMN payment_method text NOT NULL DEFAULT 'DOKU_WALLET'`);
    await q.query(
      `ALTER TABLE transactions ADD CONSTRAINT transactions_payment_method_check CHECK (payment_method IN ('DOKU_WALLET','DANA'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions DROP CONSTRAINT transactions_payment_method_check`);
    await q.query(`ALTER TABLE transactions DROP COLUMN payment_method`);
  }
}
