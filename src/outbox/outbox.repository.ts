import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { OutboxEvent, SequencedOutboxEvent } from './entities/outbox-event.entity';

export interface NewOutboxEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  userId: string | null;
  payload: Record<string, unknown>;
}

/**
 * What an outbox row is made of, as SQL expressions over the rows of a CTE (see
 * `OutboxRepository.appendFromRowsSql`).
 */
export interface OutboxRowsSql {
  /** The CTE (or table) the events are built from, e.g. `t`. */
  from: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  userId: string;
  /** A jsonb expression. */
  payload: string;
}

/** Events numbered by one sequencer statement at most; a larger backlog takes several short transactions. */
const SEQUENCER_BATCH = 1000;

/**
 * Serialises sequencer runs across every instance. Taken only by the sequencer's own short
 * transaction, never by a writer's.
 */
const SEQUENCER_LOCK = `hashtextextended('outbox_events.position', 0)`;

/**
 * The only owner of the `outbox_events` SQL: every write and read of the outbox goes through this
 * class, either as a method or, where the caller's statement must stay one statement, as a SQL
 * fragment built here (a lint rule refuses the table's name anywhere else under src/).
 */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * A data-modifying CTE body that appends one event per row of `rows.from`, for a caller that
   * writes a change and its events in one statement (`o AS (${...})`). Like `append`, the events
   * commit or vanish with the caller's change and wait for the sequencer.
   */
  static appendFromRowsSql(rows: OutboxRowsSql): string {
    return `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, user_id, payload)
        SELECT ${rows.type}, ${rows.aggregateType}, ${rows.aggregateId}, ${rows.userId}, ${rows.payload} FROM ${rows.from}`;
  }

  /**
   * A subquery of the numbered events with a position in (`afterParam`, `uptoParam`] (SQL
   * parameters such as `$1`), with their `id`, `position`, `type` and `created_at`: what a
   * fan-out joins against in its own statement.
   */
  static sequencedBetweenSql(afterParam: string, uptoParam: string): string {
    return `(SELECT id, position, type, created_at FROM outbox_events WHERE position > ${afterParam} AND position <= ${uptoParam})`;
  }

  /**
   * A subquery of every numbered event (`id`, `position`, `type`, `created_at`, `payload`), for a
   * statement that joins events by id (a delivery and its event).
   */
  static sequencedEventsSql(): string {
    return `(SELECT id, position, type, created_at, payload FROM outbox_events WHERE position IS NOT NULL)`;
  }

  /**
   * How many numbered events follow `after` (at most `limit`), and the position of the last of
   * them (null when there are none), read in the caller's transaction.
   */
  async positionsAfter(tx: EntityManager, after: string, limit: number): Promise<{ count: number; upto: string | null }> {
    const [range]: Array<{ n: number; upto: string | null }> = await tx.query(
      `SELECT count(*)::int AS n, max(position)::text AS upto
         FROM (SELECT position FROM outbox_events WHERE position > $1 ORDER BY position LIMIT $2) batch`,
      [after, limit],
    );
    return { count: range.n, upto: range.upto };
  }

  /**
   * Appends an event inside the caller's transaction: it commits, or vanishes, with the change.
   * Nothing is locked and nothing runs at commit: the event gets its position later, from the
   * sequencer.
   */
  async append(tx: EntityManager, event: NewOutboxEvent): Promise<void> {
    await tx.query(`INSERT INTO outbox_events (type, aggregate_type, aggregate_id, user_id, payload) VALUES ($1, $2, $3, $4, $5)`, [
      event.type,
      event.aggregateType,
      event.aggregateId,
      event.userId,
      JSON.stringify(event.payload),
    ]);
  }

  /**
   * The sequencer: gives positions to committed events that have none (up to `atMost` of them,
   * oldest write first), each above every position given before. Readers call it before reading,
   * so an event committed before a read is in that read. Safe to run from any number of
   * instances at once: runs take turns on an advisory lock held only for their own short
   * transaction. A run sees only committed events, and a run starts only after the previous one
   * has committed, so an event that commits late gets a position above everything any reader
   * has already seen, never below a cursor (migration OutboxSequencer1764400000000).
   * Returns how many events were numbered.
   */
  async sequence(atMost = SEQUENCER_BATCH): Promise<number> {
    let total = 0;
    while (total < atMost) {
      const batch = Math.min(SEQUENCER_BATCH, atMost - total);
      const n = await this.sequenceBatch(batch);
      total += n;
      if (n < batch) break;
    }
    return total;
  }

  private async sequenceBatch(limit: number): Promise<number> {
    // Nothing committed is waiting (the common case): no lock, no transaction.
    const [waiting]: Array<{ pending: boolean }> = await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM outbox_events WHERE position IS NULL) AS pending`,
    );
    if (!waiting.pending) return 0;
    // READ COMMITTED, so the UPDATE's snapshot is taken after the lock is granted and sees what
    // the previous run committed.
    return this.db.transaction('READ COMMITTED', async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${SEQUENCER_LOCK})`);
      const [done]: Array<{ n: number }> = await tx.query(
        `WITH numbered AS (
           UPDATE outbox_events o SET position = ready.position
             FROM (SELECT seq, nextval('outbox_events_position_seq') AS position
                     FROM outbox_events
                    WHERE position IS NULL
                    ORDER BY seq
                    LIMIT $1) ready
            WHERE o.seq = ready.seq
           RETURNING 1)
         SELECT count(*)::int AS n FROM numbered`,
        [limit],
      );
      return done.n;
    });
  }

  /**
   * Every event of one user (numbered or not yet), oldest write first, inside the caller's
   * transaction: what a data export shows and what an erasure cleans (docs/privacy.md).
   */
  async allOfUser(tx: EntityManager, userId: string): Promise<OutboxEvent[]> {
    return tx.getRepository(OutboxEvent).find({ where: { userId }, order: { writeSeq: 'ASC' } });
  }

  /**
   * Replaces an event's payload (an erasure removing personal data from it); its type, ids and
   * position stay, so cursors and webhook deliveries are untouched.
   */
  async replacePayload(tx: EntityManager, id: string, payload: Record<string, unknown>): Promise<void> {
    await tx.query(`UPDATE outbox_events SET payload = $2 WHERE id = $1`, [id, JSON.stringify(payload)]);
  }

  /**
   * Numbered events after a position, oldest first; with `userId`, only that user's. Call
   * `sequence` first to include the latest commits.
   */
  async listAfter(after: string, limit: number, userId?: string): Promise<SequencedOutboxEvent[]> {
    const events = await this.db.getRepository(OutboxEvent).find({
      where: { position: MoreThan(after), ...(userId !== undefined ? { userId } : {}) },
      order: { position: 'ASC' },
      take: limit,
    });
    return events.filter((e): e is SequencedOutboxEvent => e.position !== null);
  }
}
