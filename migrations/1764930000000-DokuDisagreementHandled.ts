import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A settled purchase DOKU contradicted, dealt with by finance: when, by whom and what was done
 * (docs/operations.md#a-purchase-doku-disagrees-with). The open ones are those flagged and not handled.
 */
export class DokuDisagreementHandled1764930000000 implements MigrationInterface {
  name = 'DokuDisagreementHandled1764930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE transactions ADD COLUMN doku_disagreement_handled_at timestamptz, ADD COLUMN doku_disagreement_handled_by uuid,
         ADD COLUMN doku_disagreement_note varchar(500)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE transactions DROP COLUMN doku_disagreement_handled_at, DROP COLUMN doku_disagreement_handled_by, DROP COLUMN doku_disagreement_note`,
    );
  }
}
