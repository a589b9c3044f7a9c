import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { RetentionService } from '../src/privacy/retention.service';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

const DAY = 86_400_000;

/** The retention job (docs/privacy.md#retention): expired exchange records go, recent ones and money stay. */
describe('Retention of DOKU exchange records and notifications (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let retention: RetentionService;
  const now = new Date();
  const ago = (days: number) => new Date(now.getTime() - days * DAY);

  beforeAll(async () => {
    // Small batches, so a run has to take several; the periods are the documented defaults (180 days).
    t = await startTestApp({ RETENTION_BATCH_SIZE: '3' });
    db = t.app.get(DataSource);
    retention = t.app.get(RetentionService);
  });
  afterAll(async () => {
    await t.close();
  });

  async function money(userId: string, status: string, attention = false): Promise<string> {
    const ref = `PUR-${randomUUID().replace(/-/g, '')}`;
    await db.query(
      `INSERT INTO transactions (user_id, type, status, amount, partner_reference_no, details, initiator_kind, initiator_id, attention_required_at, created_at)
       VALUES ($1::uuid, 'PURCHASE', $2, 150000, $3, '{}'::jsonb, 'user', $1::text, $4, $5)`,
      [userId, status, ref, attention ? ago(300) : null, ago(400)],
    );
    return ref;
  }

  async function exchange(ref: string | null, startedDaysAgo: number): Promise<string> {
    const [row] = await db.query<Array<{ id: string }>>(
      `INSERT INTO doku_exchanges (endpoint, method, path, partner_reference, attempt, outcome, duration_ms, request_body, started_at)
       VALUES ('purchaseWeb', 'POST', '/snap-adapter/b2b2c/v1.0/debit/payment-host-to-host', $1, 1, 'SUCCESS', 12, '{"phoneNo":"*********7890"}', $2)
       RETURNING id`,
      [ref, ago(startedDaysAgo)],
    );
    return row.id;
  }

  async function notification(ref: string, receivedDaysAgo: number, processed: boolean): Promise<string> {
    const [row] = await db.query<Array<{ id: string }>>(
      `INSERT INTO doku_notifications (dedupe_key, partner_reference_no, signature_kind, raw_body, headers, received_at, processed_at)
       VALUES ($1, $2, 'symmetric', '{}', '{}'::jsonb, $3, $4) RETURNING id`,
      [randomUUID(), ref, ago(receivedDaysAgo), processed ? ago(receivedDaysAgo) : null],
    );
    return row.id;
  }

  const exists = async (table: string, id: string) => (await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).length === 1;

  it('deletes expired exchange records and processed notifications in batches, keeps recent ones, those of unresolved money, and every money record', async () => {
    const user = await registerUser(t);
    const settled = await money(user.id, 'SUCCESS');
    const pending = await money(user.id, 'PENDING');
    const flagged = await money(user.id, 'CANCELED', true);

    const oldSettled = await Promise.all(Array.from({ length: 7 }, () => exchange(settled, 200)));
    const oldUnlinked = await exchange(null, 181);
    const recent = await exchange(settled, 179);
    const oldOfPending = await exchange(pending, 365);
    const oldOfFlagged = await exchange(flagged, 365);
    const oldProcessed = await notification(settled, 200, true);
    const oldUnprocessed = await notification(settled, 200, false);
    const recentProcessed = await notification(settled, 10, true);
    const oldOfPendingNotification = await notification(pending, 200, true);
    const moneyBefore = await db.query(`SELECT * FROM transactions WHERE user_id = $1 ORDER BY id`, [user.id]);

    const summary = await retention.runOnce(now);
    expect(summary).toEqual({ ran: true, dokuExchanges: 8, dokuNotifications: 1 });

    for (const id of [...oldSettled, oldUnlinked]) expect(await exists('doku_exchanges', id)).toBe(false);
    for (const id of [recent, oldOfPending, oldOfFlagged]) expect(await exists('doku_exchanges', id)).toBe(true);
    expect(await exists('doku_notifications', oldProcessed)).toBe(false);
    for (const id of [oldUnprocessed, recentProcessed, oldOfPendingNotification]) expect(await exists('doku_notifications', id)).toBe(true);
    // Money records are never touched.
    expect(await db.query(`SELECT * FROM transactions WHERE user_id = $1 ORDER BY id`, [user.id])).toEqual(moneyBefore);

    // Nothing is left to delete: a second run deletes nothing.
    expect(await retention.runOnce(now)).toEqual({ ran: true, dokuExchanges: 0, dokuNotifications: 0 });
  });

  it('lets one instance work at a time: while another holds the job’s lock, a run deletes nothing', async () => {
    const expired = await exchange(null, 400);
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`SELECT pg_advisory_xact_lock(hashtextextended('privacy.retention', 0))`);
      expect(await retention.runOnce(now)).toEqual({ ran: false, dokuExchanges: 0, dokuNotifications: 0 });
      expect(await exists('doku_exchanges', expired)).toBe(true);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect((await retention.runOnce(now)).dokuExchanges).toBe(1);
    expect(await exists('doku_exchanges', expired)).toBe(false);
  });

  it('reads its periods from configuration, with documented defaults', () => {
    expect(t.config.privacy).toMatchObject({
      retentionEnabled: false,
      retentionIntervalMs: 3_600_000,
      dokuExchangeRetentionDays: 180,
      dokuNotificationRetentionDays: 180,
      retentionBatchSize: 3,
    });
  });
});
