import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A transaction event's cause is one of the closed set in src/transactions/transition-cause.ts,
 * checked by the database too. NOT VALID: the check holds for every row written from now on, while
 * events written before the causes were closed keep the sentence they were written with.
 */
export class TransitionCauseCheck1764790000000 implements MigrationInterface {
  name = 'TransitionCauseCheck1764790000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE transaction_events ADD CONSTRAINT transaction_events_cause_check
         CHECK (cause IN ('created', 'doku-response', 'doku-response-to-resend', 'status-query', 'back-office')) NOT VALID`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transaction_events DROP CONSTRAINT transaction_events_cause_check`);
  }
}
