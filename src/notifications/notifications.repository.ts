import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { SharedStatementObserver } from '../common/database/shared-statement';
import { bind, entityFromJson, jsonRowSql, plannedRows, preparedRows, returningRows } from '../common/database/sql';
import type { SameStatementWrite } from '../purchase/purchase-status.service';
import { MetricsService } from '../metrics/metrics.service';
import { Transaction } from '../transactions/entities/transaction.entity';
import { DokuNotification } from './entities/doku-notification.entity';
import { settledStatusReported } from './settled-status';

export type NewNotification = Pick<
  DokuNotification,
  | 'dedupeKey'
  | 'partnerReferenceNo'
  | 'dokuReferenceNo'
  | 'latestTransactionStatus'
  | 'externalId'
  | 'signatureKind'
  | 'rawBody'
  | 'headers'
>;

/**
 * Intake statements in flight at once; notifications arriving meanwhile go together in the next one.
 * One: each statement and commit costs PostgreSQL more than the rows in it, so the notifications
 * that arrive while one is being stored are cheaper stored together by the next than split over two
 * (docs/performance.md, twenty-second round).
 */
const INTAKE_STATEMENTS = 1;
/** The most notifications one intake statement stores. */
const INTAKE_BATCH = 64;

/** What a notification closed as a repeat of a settled status records (an SQL expression over that status). */
const repeatResult = (settled: string): string => `'already ' || ${settled} || ': DOKU not asked again'`;

/**
 * Notifications stored in one statement (and one commit), by the function `doku_notifications_store`
 * (migration 1764960000000-NotificationIntakeFunction): the batch goes as one JSON array with an
 * object per notification (`IntakeRow`), so the text is the same for any number of them and stays
 * prepared. A delivery already stored, or twice in the same statement, is kept once: its first copy
 * answers the id.
 *
 * A notification that only repeats what we settled (`settled` is the status it reports, and the
 * purchase with its reference has that status with no refund or cancel of it PENDING or UNKNOWN)
 * is stored closed, in the same row write, with the result `repeatResult` words (the function
 * writes the same words): nothing is left to process, and nobody holds it. It is the rule the processor's `closeRepeats` applies, applied at
 * once (docs/doku-integration.md#notifications).
 *
 * In the function the statement is planned once per connection, with both lookups of a repeat
 * index probes even when the plan is made on a young `transactions` table; and `JSON.stringify`
 * writes the batch, where ten text arrays had every element escaped in JavaScript
 * (docs/performance.md, twenty-sixth round).
 */
const STORE_BATCH = `SELECT stored_id AS id, stored_key AS dedupe_key, stored_closed AS closed FROM doku_notifications_store($1::json)`;

/** One notification as `doku_notifications_store` reads it from its batch. */
interface IntakeRow {
  key: string;
  ref: string | null;
  doku_ref: string | null;
  status: string | null;
  external_id: string | null;
  kind: string;
  body: string;
  headers: Record<string, string>;
  /** Seconds this instance holds it; null leaves it to the sweep. */
  hold: number | null;
  /** The settled status it reports, when it reports one about a purchase; null otherwise. */
  settled: string | null;
}

/** A notification just stored: its id, and whether it was stored closed as a repeat of a settled status. */
export interface StoredNotification {
  id: string;
  closedAsRepeat: boolean;
}

interface WaitingStore {
  notification: NewNotification;
  holdSeconds: number | null;
  /** When it asked to be stored (`performance.now()`). */
  since: number;
  resolve(stored: StoredNotification | undefined): void;
  reject(error: unknown): void;
}

/** A notification that reports a settled status about the purchase with this reference. */
export interface RepeatOfSettled {
  id: string;
  partnerReferenceNo: string;
  status: 'SUCCESS' | 'FAILED' | 'CANCELED';
}

/** Closed as a repeat, or not, with the purchase as the statement read it (null when there is none). */
export type RepeatAnswer = { closed: true } | { closed: false; purchase: Transaction | null };

/** A stored notification this instance holds (a lease in its row) until it is processed. */
export interface HeldNotification {
  id: string;
  partnerReferenceNo: string | null;
  /** The status the notification reports (latestTransactionStatus, or a checkout result word). */
  reportedStatus: string | null;
}

/** The SET list that closes a notification with its result (an SQL expression), wherever it is closed. */
const closing = (result: string): string => `processed_at = now(), process_result = ${result}, claimed_until = NULL`;

@Injectable()
export class NotificationsRepository {
  private readonly waiting: WaitingStore[] = [];
  /** Intake statements in flight. */
  private storing = 0;
  /** Notifications in the intake statements in flight. */
  private storingNotifications = 0;

  private readonly intakeObserver: SharedStatementObserver;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    metrics: MetricsService,
  ) {
    this.intakeObserver = metrics.sharedStatementObserver('notification_intake');
  }

  /**
   * Stores a notification unless the same delivery is already stored; answers only when new, once
   * the row is committed. A repeat of a settled status is stored closed (`closedAsRepeat`). Any
   * other, with `holdSeconds`, is held by the storing instance for that long (it will process it
   * itself); without, it is left to the sweep at once.
   *
   * Group commit: while INTAKE_STATEMENTS statements are in flight, the notifications that arrive
   * wait and are stored together by the next one. A lone notification goes at once; under a burst
   * each statement and commit carries many, which is most of what storing one costs PostgreSQL
   * (docs/performance.md). Nobody is acknowledged before its own row is committed.
   */
  storeOnce(notification: NewNotification, holdSeconds: number | null): Promise<StoredNotification | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ notification, holdSeconds, since: performance.now(), resolve, reject });
      this.storeWaiting();
    });
  }

  /** Notifications waiting for an intake statement (beyond the ones in flight). */
  intakeWaiting(): number {
    return this.waiting.length;
  }

  /**
   * Whether notifications arrive faster than they are stored one by one (a burst): some wait for a
   * statement, or the statement in flight carries several. Processing gives way meanwhile. A lone
   * notification being stored is not a burst.
   */
  intakeBusy(): boolean {
    return this.waiting.length > 0 || this.storingNotifications > 1;
  }

  private storeWaiting(): void {
    while (this.storing < INTAKE_STATEMENTS && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, INTAKE_BATCH);
      this.storing++;
      this.storingNotifications += batch.length;
      const sent = performance.now();
      for (const one of batch) this.intakeObserver.waited((sent - one.since) / 1000);
      void this.storeBatch(batch).finally(() => {
        this.intakeObserver.wrote(batch.length, (performance.now() - sent) / 1000);
        this.storing--;
        this.storingNotifications -= batch.length;
        this.storeWaiting();
      });
    }
  }

  private async storeBatch(batch: WaitingStore[]): Promise<void> {
    const intake: IntakeRow[] = batch.map(({ notification: n, holdSeconds }) => ({
      key: n.dedupeKey,
      ref: n.partnerReferenceNo,
      doku_ref: n.dokuReferenceNo,
      status: n.latestTransactionStatus,
      external_id: n.externalId,
      kind: n.signatureKind,
      body: n.rawBody,
      headers: n.headers,
      hold: holdSeconds,
      settled: n.partnerReferenceNo === null ? null : settledStatusReported(n.latestTransactionStatus),
    }));
    let rows: Array<{ id: string; dedupe_key: string; closed: boolean }>;
    try {
      rows = await preparedRows(this.db, STORE_BATCH, [JSON.stringify(intake)]);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    const stored = new Map(rows.map((row) => [row.dedupe_key, { id: row.id, closedAsRepeat: row.closed }]));
    for (const waiting of batch) {
      const key = waiting.notification.dedupeKey;
      // The first copy of a delivery takes the id; another copy in the same statement is a replay.
      waiting.resolve(stored.get(key));
      stored.delete(key);
    }
  }

  /** The raw body stored under a dedupe key, if any (to tell a replay from a reused X-EXTERNAL-ID). */
  async rawBodyOf(dedupeKey: string): Promise<string | undefined> {
    const rows: { raw_body: string }[] = await this.db.query(`SELECT raw_body FROM doku_notifications WHERE dedupe_key = $1`, [dedupeKey]);
    return rows[0]?.raw_body;
  }

  /**
   * Takes up to `limit` unprocessed notifications nobody holds (their instance died, was full or
   * gave them back), oldest first, and holds them for `leaseSeconds`, under SKIP LOCKED so two
   * instances never take the same one.
   */
  async claimUnheld(limit: number, leaseSeconds: number): Promise<HeldNotification[]> {
    const rows = await returningRows<{ id: string; partner_reference_no: string | null; latest_transaction_status: string | null }>(
      this.db.manager,
      `UPDATE doku_notifications n SET claimed_until = now() + make_interval(secs => $2::int)
        WHERE n.id IN (
          SELECT id FROM doku_notifications
           WHERE processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
           ORDER BY received_at LIMIT $1
           FOR UPDATE SKIP LOCKED)
        RETURNING n.id, n.partner_reference_no, n.latest_transaction_status`,
      [limit, leaseSeconds],
    );
    return rows.map((r) => ({ id: r.id, partnerReferenceNo: r.partner_reference_no, reportedStatus: r.latest_transaction_status }));
  }

  /** Gives held notifications back at once (an instance shutting down with a queue). */
  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE doku_notifications SET claimed_until = NULL WHERE id = ANY($1::uuid[]) AND processed_at IS NULL`, [ids]);
  }

  /**
   * Closes the notifications that only repeat what we settled, all in one statement (the ones that
   * were not repeats yet when they were stored; the intake closes the others itself): for each, the
   * purchase with its reference has the settled status it reports and no refund or cancel of that
   * purchase is PENDING or UNKNOWN (docs/doku-integration.md#notifications). For each that does not
   * qualify, the same statement answers its purchase as it read it (null when there is none), and
   * the notification is processed in full from that row without reading it again. Answers come in
   * the order of `repeats`.
   */
  async closeRepeats(repeats: readonly RepeatOfSettled[]): Promise<RepeatAnswer[]> {
    // Planned at each call with its own arrays (`plannedRows`): a plan kept for the connection was
    // made generic after five calls, and made while `transactions` was small it joined by scanning
    // the table, and went on scanning it as it grew (docs/performance.md, twenty-sixth round).
    const rows = await plannedRows<{ closed_repeat: boolean; purchase_row: Record<string, unknown> | null }>(
      this.db,
      `WITH i AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS i(notification_id, reference, reported, ord)
       ), p AS (
         SELECT i.ord, i.notification_id, i.reported, t.*
           FROM i JOIN transactions t ON t.partner_reference_no = i.reference AND t.type = 'PURCHASE'
       ), u AS (
         UPDATE doku_notifications n SET ${closing(repeatResult('p.reported'))}
           FROM p
          WHERE n.id = p.notification_id
            AND p.status = p.reported
            AND NOT EXISTS (SELECT 1 FROM transactions c WHERE c.parent_id = p.id AND c.status IN ('PENDING', 'UNKNOWN'))
         RETURNING n.id
       )
       SELECT c.closed AS closed_repeat, CASE WHEN c.closed THEN NULL ELSE ${jsonRowSql(this.db.manager, Transaction, 'p')} END AS purchase_row
         FROM i LEFT JOIN p ON p.ord = i.ord
        CROSS JOIN LATERAL (SELECT i.notification_id IN (SELECT id FROM u) AS closed) c
        ORDER BY i.ord`,
      [repeats.map((r) => r.id), repeats.map((r) => r.partnerReferenceNo), repeats.map((r) => r.status)],
    );
    if (rows.length !== repeats.length) throw new Error(`closeRepeats: ${rows.length} answers for ${repeats.length} notifications`);
    return rows.map((row) =>
      row.closed_repeat
        ? { closed: true }
        : { closed: false, purchase: row.purchase_row === null ? null : entityFromJson(this.db.manager, Transaction, row.purchase_row) },
    );
  }

  /**
   * Closes a notification in the statement that ends its purchase's confirmation
   * (PurchaseStatusService.confirm), with the status the purchase ends in.
   */
  static closedByConfirmation(id: string): SameStatementWrite {
    return (params, status) =>
      `closed AS (UPDATE doku_notifications SET ${closing(`'confirmed by Query Purchase: ' || (${status})::text`)}
                   WHERE id = ${bind(params, id)}::uuid)`;
  }

  async markProcessed(id: string, result: string): Promise<void> {
    await this.db.query(`UPDATE doku_notifications SET ${closing('$2')} WHERE id = $1`, [id, result]);
  }

  /**
   * Counts a failed attempt. The notification stays held until its lease runs out, so the next
   * attempt comes a lease later; after `maxAttempts` it is closed as given up (returns true then).
   */
  async recordFailure(id: string, maxAttempts: number, error: string): Promise<boolean> {
    const rows = await returningRows<{ given_up: boolean }>(
      this.db.manager,
      `UPDATE doku_notifications
          SET process_attempts = process_attempts + 1,
              processed_at = CASE WHEN process_attempts + 1 >= $2 THEN now() END,
              process_result = CASE WHEN process_attempts + 1 >= $2 THEN 'gave up after ' || (process_attempts + 1) || ' attempts: ' || $3 END
        WHERE id = $1 AND processed_at IS NULL
        RETURNING processed_at IS NOT NULL AS given_up`,
      [id, maxAttempts, error.slice(0, 500)],
    );
    return rows[0]?.given_up === true;
  }

  /** Unprocessed notifications and the age of the oldest, for /metrics. */
  async backlog(): Promise<{ unprocessed: number; oldestAgeSeconds: number }> {
    const rows: { n: string; age: number | null }[] = await this.db.query(
      `SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(received_at))::float8 AS age FROM doku_notifications WHERE processed_at IS NULL`,
    );
    return { unprocessed: Number(rows[0]?.n ?? 0), oldestAgeSeconds: rows[0]?.age ?? 0 };
  }

  async storeToken(tokenHash: string, clientId: string, expiresAt: Date): Promise<void> {
    // Expired tokens are useless: dropping them here keeps the table at about one row per lifetime.
    await this.db.query(`DELETE FROM doku_notification_tokens WHERE expires_at < now() - interval '1 hour'`);
    await this.db.query(`INSERT INTO doku_notification_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)`, [
      tokenHash,
      clientId,
      expiresAt,
    ]);
  }

  /** When a live token expires; undefined when the token is unknown or expired. */
  async liveTokenExpiry(tokenHash: string): Promise<Date | undefined> {
    const rows: { expires_at: Date }[] = await this.db.query(
      `SELECT expires_at FROM doku_notification_tokens WHERE token_hash = $1 AND expires_at > now()`,
      [tokenHash],
    );
    return rows[0]?.expires_at;
  }
}
