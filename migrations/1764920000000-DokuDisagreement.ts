import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `transactions.doku_disagrees_at` and `doku_reported_status`: a purchase whose settled status with us
 * DOKU's own answer contradicts (we failed or canceled it and DOKU says it is paid, or the reverse).
 * The state machine never moves a settled purchase back, so the back office is told instead
 * (docs/money-rules.md#when-doku-disagrees-with-a-settled-purchase).
 */
export class DokuDisagreement1764920000000 implements MigrationInterface {
  name = 'DokuDisagreement1764920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ADD COLUMN doku_disagrees_at timestamptz, ADD COLUMN doku_reported_status varchar(16)`);
    await q.query(`CREATE INDEX transactions_doku_disagrees_idx ON transactions (doku_disagrees_at) WHERE doku_disagrees_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX transactions_doku_disagrees_idx`);
    await q.query(`ALTER TABLE transactions DROP COLUMN doku_disagrees_at, DROP COLUMN doku_reported_status`);
  }
}
