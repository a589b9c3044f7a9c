import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox's index on (aggregate_type, aggregate_id) goes: nothing reads events by their
 * aggregate (readers page by position, a user's feed by user and position, a delivery joins its
 * event by id), and every money commit paid for it with one more index entry per event, and
 * again when the sequencer numbers the event (docs/performance.md, seventeenth round).
 */
export class OutboxAggregateIndexDropped1764950000000 implements MigrationInterface {
  name = 'OutboxAggregateIndexDropped1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_events_aggregate_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_events_aggregate_idx ON outbox_events (aggregate_type, aggregate_id)`);
  }
}
