import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A user's own events by cursor (GET /v1/me/events): the numbered events of one user, in order. */
export class UserEventFeed1764730000000 implements MigrationInterface {
  name = 'UserEventFeed1764730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_events_user_id_position_idx ON outbox_events (user_id, position) WHERE position IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_events_user_id_position_idx`);
  }
}
