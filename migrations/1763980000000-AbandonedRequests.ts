import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reconciler looks for IN_PROGRESS idempotency keys past the abandonment time (their request
 * died between commit 1 and commit 2) every pass: a small partial index keeps that cheap however
 * many completed keys the table holds.
 */
export class AbandonedRequests1763980000000 implements MigrationInterface {
  name = 'AbandonedRequests1763980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX idempotency_keys_in_progress_idx ON idempotency_keys (created_at) WHERE status = 'IN_PROGRESS'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idempotency_keys_in_progress_idx`);
  }
}
