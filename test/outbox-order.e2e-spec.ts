import { randomUUID } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { DataSource } from 'typeorm';
import { OutboxRepository } from '../src/outbox/outbox.repository';
import { WebhookDeliveriesRepository } from '../src/webhooks/webhook-deliveries.repository';
import { serviceToken } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

interface ApiEvent {
  id: string;
  seq: string;
  type: string;
  data: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The outbox on the real database, with writers committing out of order (migration
 * OutboxSequencer1764400000000): a reader paging GET /v1/events by cursor, and the webhook
 * fan-out, get every committed event exactly once and never move past one that commits late; and
 * writers do not wait for each other's commits.
 *
 * These tests know nothing of how positions are given, so they judge any design: a plain
 * bigserial read by `seq` fails the first two (the late event is skipped), the former commit-time
 * lock fails the last one (a slow commit holds every other writer's commit).
 */
describe('Outbox order: no event skipped, no writer waiting for another (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let outbox: OutboxRepository;
  let reader: string;

  beforeAll(async () => {
    // Room for many writer transactions held open at once, plus the readers.
    t = await startTestApp({ DATABASE_POOL_SIZE: '40' });
    db = t.app.get(DataSource);
    outbox = t.app.get(OutboxRepository);
    reader = (await serviceToken(t, ['events:read'])).token;
  });
  afterAll(async () => {
    await t.close();
  });

  const page = async (after: string, limit: number): Promise<{ events: ApiEvent[]; nextCursor: string }> => {
    const res = await t
      .http()
      .get(`/v1/events?after=${after}&limit=${limit}`)
      .set({ authorization: `Bearer ${reader}` });
    expect(res.status).toBe(200);
    return res.body as { events: ApiEvent[]; nextCursor: string };
  };
  /** Pages from `after` until an empty page; returns the events and the final cursor. */
  const drain = async (after: string, limit = 500): Promise<{ events: ApiEvent[]; cursor: string }> => {
    const events: ApiEvent[] = [];
    let cursor = after;
    for (;;) {
      const p = await page(cursor, limit);
      if (p.events.length === 0) return { events, cursor };
      events.push(...p.events);
      cursor = p.nextCursor;
    }
  };
  const event = (run: string, key: string) => ({
    type: 'transaction.status_changed',
    aggregateType: 'test',
    aggregateId: run,
    userId: null,
    payload: { run, key },
  });
  /** A writer transaction on its own connection, left open until the caller ends it. */
  const openWriter = async (): Promise<QueryRunner> => {
    const qr = db.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    return qr;
  };
  const keysOf = (events: ApiEvent[], run: string) => events.filter((e) => e.data.run === run).map((e) => String(e.data.key));

  it('an event that commits after a later-written one is readable at once, and still read after it', async () => {
    const run = randomUUID();
    let { cursor } = await drain('0');

    // `early` is written first, so it takes the smaller write number, but commits last.
    const early = await openWriter();
    try {
      await outbox.append(early.manager, event(run, 'early'));
      await db.transaction((tx) => outbox.append(tx, event(run, 'later')));

      // The committed event is readable now: it does not wait for the open writer.
      const first = await page(cursor, 100);
      expect(keysOf(first.events, run)).toEqual(['later']);
      cursor = first.nextCursor;

      await early.commitTransaction();
    } finally {
      await early.release();
    }
    // The reader's cursor is past `later`; `early`, committed since, must still come.
    const second = await drain(cursor);
    expect(keysOf(second.events, run)).toEqual(['early']);
  });

  it('many writers committing out of order, some rolled back: each reader and the fan-out get exactly the committed events', async () => {
    const run = randomUUID();
    const start = (await drain('0')).cursor;

    // A subscription to every event type, so the fan-out has something to do with each event.
    const [sub] = await db.query<Array<{ id: string }>>(
      `INSERT INTO webhook_subscriptions (url, event_types, description, secret_ciphertext)
       VALUES ('https://partner.example/hooks', '{}', 'order test', 'unused') RETURNING id`,
    );
    // Each row's created_at is its transaction's start: the writers start after the subscription.
    await sleep(20);

    const writers = 90;
    const concurrency = 16;
    const committed = new Set<string>();
    let writing = true;

    const writeAll = async () => {
      let next = 0;
      const worker = async () => {
        for (let w = next++; w < writers; w = next++) {
          const qr = await openWriter();
          try {
            const events = 1 + (w % 3);
            for (let k = 0; k < events; k++) {
              await outbox.append(qr.manager, event(run, `${w}.${k}`));
              await sleep(Math.random() * 5);
            }
            // Some writers stay open much longer than the others and commit well after writers
            // that started later; one in five rolls back.
            await sleep(w % 7 === 0 ? 80 + Math.random() * 120 : Math.random() * 25);
            if (w % 5 === 4) {
              await qr.rollbackTransaction();
            } else {
              await qr.commitTransaction();
              for (let k = 0; k < events; k++) committed.add(`${w}.${k}`);
            }
          } finally {
            await qr.release();
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    };

    // Readers page continuously while the writers run, with small pages, each with its own
    // cursor; after the writers have finished they read on until a page is empty.
    const readLoop = async (limit: number) => {
      const seen: ApiEvent[] = [];
      let cursor = start;
      for (;;) {
        const finished = !writing;
        const p = await page(cursor, limit);
        seen.push(...p.events);
        cursor = p.nextCursor;
        if (finished && p.events.length === 0) return seen;
      }
    };
    const fanOutLoop = async () => {
      const fanout = t.app.get(WebhookDeliveriesRepository);
      for (;;) {
        const finished = !writing;
        const n = await fanout.fanOut(5);
        if (finished && n === 0) return;
      }
    };

    const readers = [readLoop(7), readLoop(3)];
    const fanning = fanOutLoop();
    await writeAll();
    writing = false;
    const [seenA, seenB] = await Promise.all(readers);
    await fanning;

    const expected = [...committed].sort();
    expect(expected.length).toBeGreaterThan(100);
    for (const seen of [seenA, seenB]) {
      // Every committed event once, nothing else (no rolled-back event, no duplicate).
      expect(keysOf(seen, run).sort()).toEqual(expected);
      expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
      // Cursors only move forward.
      for (let i = 1; i < seen.length; i++) expect(BigInt(seen[i].seq) > BigInt(seen[i - 1].seq)).toBe(true);
    }
    // Both readers saw the same stream in the same order, and reading it again gives it again.
    expect(seenB.map((e) => e.id)).toEqual(seenA.map((e) => e.id));
    const again = (await drain(start, 11)).events.filter((e) => e.data.run === run);
    expect(again.map((e) => e.id)).toEqual(seenA.filter((e) => e.data.run === run).map((e) => e.id));

    // The fan-out made one delivery per committed event, carrying the event's seq.
    const deliveries = await db.query<Array<{ event_id: string; event_seq: string }>>(
      `SELECT event_id, event_seq::text AS event_seq FROM webhook_deliveries WHERE subscription_id = $1`,
      [sub.id],
    );
    const mine = new Map(seenA.filter((e) => e.data.run === run).map((e) => [e.id, e.seq]));
    expect(deliveries).toHaveLength(mine.size);
    for (const d of deliveries) expect(d.event_seq).toBe(mine.get(d.event_id));
  }, 90_000);

  it('a writer is not held up by another writer, open or in the middle of a slow commit, nor by a reader', async () => {
    const run = randomUUID();
    // A slow step at commit time, after the outbox insert: it stands for anything that makes a
    // commit take long (a slow disk flush, a synchronous standby's answer).
    await db.query(`CREATE TABLE IF NOT EXISTS slow_commit_probe (id int)`);
    await db.query(`
      CREATE OR REPLACE FUNCTION slow_commit_probe() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$`);
    await db.query(`DROP TRIGGER IF EXISTS slow_commit_probe ON slow_commit_probe`);
    await db.query(`
      CREATE CONSTRAINT TRIGGER slow_commit_probe AFTER INSERT ON slow_commit_probe
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_probe()`);
    const timedWrite = async (key: string) => {
      const began = Date.now();
      await db.transaction((tx) => outbox.append(tx, event(run, key)));
      return Date.now() - began;
    };

    // 1. A writer that has appended an event and stays open.
    const open = await openWriter();
    // 2. A writer in the middle of a slow commit.
    const slow = await openWriter();
    // 3. A reader's sequencer run in progress (whatever readers lock, held in a reader's transaction).
    const readerTx = await openWriter();
    let slowCommit: Promise<void> | undefined;
    try {
      await outbox.append(open.manager, event(run, 'open'));
      await outbox.append(slow.manager, event(run, 'slow'));
      await slow.query(`INSERT INTO slow_commit_probe VALUES (1)`);
      slowCommit = slow.commitTransaction();
      const inCommit = async () =>
        (
          await db.query<unknown[]>(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND query = 'COMMIT'`,
          )
        ).length > 0;
      const deadline = Date.now() + 1000;
      while (!(await inCommit()) && Date.now() < deadline) await sleep(10);
      expect(await inCommit()).toBe(true);

      await readerTx.query(`SELECT pg_advisory_xact_lock(hashtextextended('outbox_events.position', 0))`);

      // Another writer's insert and commit go through at once, while all three are in progress.
      const took = await timedWrite('other');
      expect(took).toBeLessThan(1500);
      // (and the slow commit was still going on when it finished)
      expect(await inCommit()).toBe(true);

      await slowCommit;
      await readerTx.commitTransaction();
      await open.commitTransaction();
    } finally {
      await slowCommit?.catch(() => undefined);
      for (const qr of [open, readerTx]) if (qr.isTransactionActive) await qr.rollbackTransaction();
      await Promise.all([open.release(), slow.release(), readerTx.release()]);
    }
    const all = (await drain('0')).events;
    expect(keysOf(all, run).sort()).toEqual(['open', 'other', 'slow']);
  });
});
