import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox positions assigned by a sequencer on the read side, instead of at commit under a lock.
 *
 * Before: every commit that wrote an outbox event took one fleet-wide advisory lock in a deferred
 * trigger and held it through COMMIT (its WAL flush, and a synchronous standby's answer when there
 * is one), so that `seq` followed commit order. That serialised every money commit of the fleet.
 *
 * Now a writer only inserts: `seq` is a plain bigserial taken at INSERT (write order, internal; it
 * is not commit order and is never shown as a cursor) and `position` stays NULL. The events'
 * public number, the `seq` of GET /v1/events, of the webhook payload and of the cursors, is
 * `position`. It is given by the sequencer (OutboxRepository.sequence), a short transaction run by
 * whoever is about to read (the events endpoint, the webhook fan-out): under a transaction-scoped
 * advisory lock taken in that reader's transaction (never a writer's), it gives the next numbers
 * of `outbox_events_position_seq`, in `seq` order, to the committed events that have none.
 *
 * Why a reader can never skip an event: only the sequencer assigns positions, one run at a time,
 * and a run starts after the previous run has committed, so each run's numbers are above every
 * number already visible. A run only sees committed events. An event that commits late (a writer
 * that was slow, with a smaller `seq`) is simply given a position in a later run, above every
 * position any reader can have seen. Rolled-back events are never visible, so never numbered. A
 * reader paging `WHERE position > cursor ORDER BY position` therefore never moves past an event
 * that later becomes visible below its cursor.
 *
 * Considered and not used: numbering only rows whose writer transaction id (an xid8 column) is
 * below `pg_snapshot_xmin(pg_current_snapshot())`. The guarantee above does not need it, it would
 * not make positions follow `seq` order either (transaction ids are handed out in a different
 * order from `seq` values), and it would hold every event back behind the oldest transaction that
 * has written anything anywhere in the database: one session left open in a transaction would stop
 * GET /v1/events and webhooks for everyone. Here an event is readable as soon as it commits.
 *
 * Order: positions follow the order in which events became visible to the sequencer, and `seq`
 * order among events that became visible together. Every writer changes its row (taking the row
 * lock) before appending the event, so two events about the same transaction, registration,
 * binding or user keep the order of their commits.
 *
 * Existing rows keep their number: their `seq` (commit-ordered under the old trigger) becomes
 * their `position`, and new positions continue above it, so cursors already handed out, the
 * webhook fan-out cursor and `webhook_deliveries.event_seq` keep their meaning.
 *
 * Run it with the previous version stopped: that version's readers page by `seq`, which from now
 * on is write order and would hand out cursors that are not positions.
 */
export class OutboxSequencer1764400000000 implements MigrationInterface {
  name = 'OutboxSequencer1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER outbox_events_commit_seq ON outbox_events`);
    await q.query(`DROP FUNCTION outbox_events_commit_seq()`);

    await q.query(`ALTER TABLE outbox_events ADD COLUMN position bigint`);
    await q.query(`UPDATE outbox_events SET position = seq`);
    await q.query(`CREATE SEQUENCE outbox_events_position_seq AS bigint OWNED BY outbox_events.position`);
    await q.query(`SELECT setval('outbox_events_position_seq', COALESCE(max(position), 0) + 1, false) FROM outbox_events`);

    // Readers page by position; a row without one yet has no entry (writers skip this index).
    await q.query(`CREATE UNIQUE INDEX outbox_events_position_key ON outbox_events (position) WHERE position IS NOT NULL`);
    // The sequencer's work list: only the events still without a position.
    await q.query(`CREATE INDEX outbox_events_unsequenced_idx ON outbox_events (seq) WHERE position IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to `seq` as the public number: events not numbered yet are numbered now, with writers
    // kept out until this migration commits, then each row's seq becomes its position. Positions
    // and seqs overlap, so the rows pass through negative values to keep the primary key unique
    // at every step. New seqs continue above every position.
    await q.query(`LOCK TABLE outbox_events IN EXCLUSIVE MODE`);
    await q.query(
      `UPDATE outbox_events o SET position = ready.position
         FROM (SELECT seq, nextval('outbox_events_position_seq') AS position
                 FROM outbox_events WHERE position IS NULL ORDER BY seq) ready
        WHERE o.seq = ready.seq`,
    );
    await q.query(`UPDATE outbox_events SET seq = -position`);
    await q.query(`UPDATE outbox_events SET seq = -seq`);
    await q.query(
      `SELECT setval('outbox_events_seq_seq', GREATEST((SELECT last_value FROM outbox_events_seq_seq), (SELECT COALESCE(max(seq), 0) FROM outbox_events), 1))`,
    );
    await q.query(`DROP INDEX outbox_events_unsequenced_idx`);
    await q.query(`DROP INDEX outbox_events_position_key`);
    await q.query(`ALTER TABLE outbox_events DROP COLUMN position`);

    // The commit-time numbering of migration Webhooks1763970000000, as it was.
    await q.query(`
      CREATE FUNCTION outbox_events_commit_seq() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('outbox_events.seq', 0));
        UPDATE outbox_events SET seq = nextval('outbox_events_seq_seq') WHERE id = NEW.id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER outbox_events_commit_seq AFTER INSERT ON outbox_events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_events_commit_seq()`);
  }
}
