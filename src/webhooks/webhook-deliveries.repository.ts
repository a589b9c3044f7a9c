import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { returningRows } from '../common/database/sql';
import { OutboxRepository } from '../outbox/outbox.repository';
import { WebhookDelivery, WebhookDeliveryStatus } from './entities/webhook-delivery.entity';

/** A claimed delivery with what is needed to send it. */
export interface DueDelivery {
  delivery: WebhookDelivery;
  url: string;
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
  event: { id: string; seq: string; type: string; createdAt: Date; payload: Record<string, unknown> };
}

interface DueRow {
  id: string;
  url: string;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  event_id: string;
  seq: string;
  type: string;
  created_at: Date;
  payload: Record<string, unknown>;
}

@Injectable()
export class WebhookDeliveriesRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  private get repo() {
    return this.db.getRepository(WebhookDelivery);
  }

  /**
   * Turns outbox events after the fan-out cursor into one PENDING delivery per matching
   * subscription, and moves the cursor, in one commit. The cursor row is locked with SKIP LOCKED:
   * while one instance fans out, the others skip (0). Returns how many events were fanned out.
   * The cursor is an outbox position (the events' `seq`): the sequencer runs first, in its own
   * short transaction, and numbers an event that commits later above every position already
   * given (migration OutboxSequencer1764400000000), so no event can later appear behind the cursor.
   */
  async fanOut(batchSize: number): Promise<number> {
    await this.outbox.sequence(batchSize);
    return this.db.transaction(async (tx) => {
      const cursor: Array<{ last_seq: string }> = await tx.query(
        `SELECT last_seq FROM webhook_fanout_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`,
      );
      if (cursor.length === 0) return 0;
      const last = cursor[0].last_seq;
      const range = await this.outbox.positionsAfter(tx, last, batchSize);
      if (range.count === 0 || range.upto === null) return 0;
      // A subscription receives the events that happen once it exists, of the types it chose.
      await tx.query(
        `INSERT INTO webhook_deliveries (subscription_id, event_id, event_seq, event_type, status, next_attempt_at)
         SELECT s.id, e.id, e.position, e.type, 'PENDING', now()
           FROM ${OutboxRepository.sequencedBetweenSql('$1', '$2')} e
           JOIN webhook_subscriptions s
             ON s.deleted_at IS NULL AND s.created_at <= e.created_at
            AND (cardinality(s.event_types) = 0 OR e.type = ANY (s.event_types))
          ORDER BY e.position
         ON CONFLICT (event_id, subscription_id) DO NOTHING`,
        [last, range.upto],
      );
      await tx.query(`UPDATE webhook_fanout_cursor SET last_seq = $1, updated_at = now() WHERE id = 1`, [range.upto]);
      return range.count;
    });
  }

  /**
   * Claims up to `limit` due deliveries with a lease (same pattern as the reconciler): their next
   * attempt is pushed `leaseSeconds` ahead in the same statement, under SKIP LOCKED, so several
   * instances never send the same delivery at once, and one that dies loses only its lease.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<DueDelivery[]> {
    const claimed = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2), claimed_at = now(), updated_at = now()
        WHERE id IN (
          SELECT id FROM webhook_deliveries
           WHERE status = 'PENDING' AND next_attempt_at <= now()
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
      RETURNING id`,
      [limit, leaseSeconds],
    );
    if (claimed.length === 0) return [];
    const ids = claimed.map((c) => c.id);
    const [deliveries, rows] = await Promise.all([
      this.repo.findBy({ id: In(ids) }),
      this.db.query<Promise<DueRow[]>>(
        `SELECT d.id, s.url, s.secret_ciphertext, s.previous_secret_ciphertext, s.previous_secret_expires_at,
                e.id AS event_id, e.position::text AS seq, e.type, e.created_at, e.payload
           FROM webhook_deliveries d
           JOIN webhook_subscriptions s ON s.id = d.subscription_id
           JOIN ${OutboxRepository.sequencedEventsSql()} e ON e.id = d.event_id
          WHERE d.id = ANY ($1::uuid[])`,
        [ids],
      ),
    ]);
    return rows.flatMap((r) => {
      const delivery = deliveries.find((d) => d.id === r.id);
      if (!delivery) return [];
      return [
        {
          delivery,
          url: r.url,
          secretCiphertext: r.secret_ciphertext,
          previousSecretCiphertext: r.previous_secret_ciphertext,
          previousSecretExpiresAt: r.previous_secret_expires_at,
          event: { id: r.event_id, seq: r.seq, type: r.type, createdAt: r.created_at, payload: r.payload },
        },
      ];
    });
  }

  async recordDelivered(id: string, statusCode: number): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries
          SET status = 'DELIVERED', attempts = attempts + 1, last_attempt_at = now(), last_status_code = $2,
              last_error = NULL, delivered_at = now(), next_attempt_at = NULL, claimed_at = NULL, updated_at = now()
        WHERE id = $1 AND status = 'PENDING'`,
      [id, statusCode],
    );
  }

  /** A failed attempt: retried after `retryInSeconds`, or FAILED when that is null. */
  async recordFailure(id: string, statusCode: number | null, error: string, retryInSeconds: number | null): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries
          SET attempts = attempts + 1, last_attempt_at = now(), last_status_code = $2, last_error = $3,
              status = CASE WHEN $4::float8 IS NULL THEN 'FAILED' ELSE 'PENDING' END,
              next_attempt_at = CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $4::float8) END,
              claimed_at = NULL, updated_at = now()
        WHERE id = $1 AND status = 'PENDING'`,
      [id, statusCode, error, retryInSeconds],
    );
  }

  /**
   * Waits until no attempt of the subscription claimed before now is still in flight (claimed, its
   * lease not run out, not recorded yet), checking every `pollMs`, for at most `timeoutMs`. True
   * when none is left. An attempt claimed later reads the subscription's secrets after the caller's
   * commit.
   */
  async waitForAttemptsClaimedBefore(subscriptionId: string, timeoutMs: number, pollMs = 25): Promise<boolean> {
    const [{ t }] = await this.db.query<Array<{ t: Date }>>(`SELECT clock_timestamp() AS t`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ n }] = await this.db.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM webhook_deliveries
          WHERE subscription_id = $1 AND claimed_at IS NOT NULL AND claimed_at <= $2 AND status = 'PENDING'
            AND next_attempt_at > clock_timestamp()`,
        [subscriptionId, t],
      );
      if (n === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Newest first. */
  listForSubscription(subscriptionId: string, limit: number, status?: WebhookDeliveryStatus): Promise<WebhookDelivery[]> {
    return this.repo.find({
      where: { subscriptionId, ...(status ? { status } : {}) },
      order: { createdAt: 'DESC', eventSeq: 'DESC' },
      take: limit,
    });
  }

  /**
   * Sends a delivery again, whatever its state, with a fresh retry schedule; only for a
   * subscription that still exists. Null when there is no such delivery.
   */
  async redeliver(id: string): Promise<WebhookDelivery | null> {
    const rows = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE webhook_deliveries d
          SET status = 'PENDING', attempts = 0, next_attempt_at = now(), last_error = NULL, updated_at = now()
         FROM webhook_subscriptions s
        WHERE d.id = $1 AND s.id = d.subscription_id AND s.deleted_at IS NULL
      RETURNING d.id`,
      [id],
    );
    if (rows.length === 0) return null;
    return this.repo.findOneBy({ id });
  }

  async countPending(): Promise<number> {
    const [row]: Array<{ n: number }> = await this.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'PENDING'`);
    return row.n;
  }
}
