import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The X-EXTERNAL-ID of the request that created a money operation at DOKU. DOKU's refund, cancel
 * and status requests name the original operation by it (`originalExternalId`) besides its
 * partner reference.
 */
export class TransactionExternalId1764100000000 implements MigrationInterface {
  name = 'TransactionExternalId1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ADD COLUMN doku_external_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions DROP COLUMN doku_external_id`);
  }
}
