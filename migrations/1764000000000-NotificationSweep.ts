import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored DOKU notifications are processed by whoever holds them: the instance that received one
 * holds it while it waits in that instance's memory, and a sweep takes over what nobody holds (the
 * instance died, or its queue was full). A notification whose processing keeps failing is given up
 * after a number of attempts; the reconciler settles its transaction anyway.
 */
export class NotificationSweep1764000000000 implements MigrationInterface {
  name = 'NotificationSweep1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE doku_notifications ADD COLUMN claimed_until timestamptz, ADD COLUMN process_attempts integer NOT NULL DEFAULT 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE doku_notifications DROP COLUMN claimed_until, DROP COLUMN process_attempts`);
  }
}
