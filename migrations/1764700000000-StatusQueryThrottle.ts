import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When DOKU was last asked about a transaction's status (Query Purchase for a purchase and its
 * refunds and cancels). A customer's app polling a pending purchase reads our record; it asks DOKU
 * only when nobody has asked within the interval, and the claim of that ask is one UPDATE on this
 * column, so many polls on many instances make one query per interval
 * (docs/doku-integration.md#purchase).
 */
export class StatusQueryThrottle1764700000000 implements MigrationInterface {
  name = 'StatusQueryThrottle1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ADD COLUMN status_asked_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions DROP COLUMN status_asked_at`);
  }
}
