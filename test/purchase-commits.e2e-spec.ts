import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { plannedRows } from '../src/common/database/sql';
import { ExchangeRecorderService } from '../src/integrations/doku/snap/exchange-recorder.service';
import { PurchasesRepository } from '../src/purchase/purchases.repository';
import { jakartaPeriods } from '../src/limits/jakarta-periods';
import type { SignedInUser } from './support/actors';
import { metricSample } from './support/metrics-text';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

interface Sent {
  text: string;
  /** Whether the connection was inside BEGIN … COMMIT when the statement was sent. */
  inTransaction: boolean;
  /** The prepared statement's name, when it was sent as one. */
  name?: string;
  values: unknown[];
}

/** A shared statement's first parameter: one purchase per element. */
const SHARED = 'unnest($1::uuid[]';
/** Commit 1 (it claims the key) or commit 2 (it completes it). */
const isCommit1 = (s: Sent) => s.text.includes('INSERT INTO idempotency_keys');
const isCommit2 = (s: Sent) => s.text.includes('UPDATE idempotency_keys');
/** How many purchases a statement carried. */
const carried = (s: Sent) => (s.text.includes(SHARED) ? (s.values[0] as unknown[]).length : 1);
/** The day's limit of a user's DOKU Wallet purchases in these tests. */
const PER_DAY = 100_000;

/**
 * A purchase's two commits are one statement each (docs/performance.md): commit 1 checks the
 * wallet, claims the Idempotency-Key and writes the PENDING purchase; commit 2 records DOKU's answer
 * and completes the key. No BEGIN, no COMMIT, and the same answers as before in every case.
 */
describe('Purchase commits as single statements', () => {
  let env: WalletEnv;
  const sent: Sent[] = [];
  const open = new WeakSet<object>();
  const proto = Client.prototype as unknown as { query: (this: object, config: unknown, ...rest: unknown[]) => unknown };
  const original = proto.query;

  beforeAll(async () => {
    // A statement that waits for a test's lock keeps holding the next one back (the sharing is made
    // to happen on purpose below); and a day's limit to meet.
    env = await startWalletEnv({
      DATABASE_SHARED_STALL_MS: '60000',
      EMONEY_CHANNEL_LIMITS: JSON.stringify({ 'DOKU_WALLET:user': { perDay: PER_DAY } }),
    });
    proto.query = function query(this: object, config: unknown, ...rest: unknown[]): unknown {
      const text = typeof config === 'string' ? config : ((config as { text?: unknown } | null)?.text ?? '');
      if (typeof text === 'string') {
        const head = text.trim().toUpperCase();
        if (head.startsWith('BEGIN') || head.startsWith('START TRANSACTION')) open.add(this);
        else if (head === 'COMMIT' || head === 'ROLLBACK') open.delete(this);
        else if (text.includes('idempotency_keys')) {
          const name = typeof config === 'object' && config !== null ? (config as { name?: unknown }).name : undefined;
          const values = (typeof config === 'object' && config !== null ? (config as { values?: unknown[] }).values : rest[0]) ?? [];
          sent.push({
            text,
            inTransaction: open.has(this),
            values: Array.isArray(values) ? values : [],
            ...(typeof name === 'string' ? { name } : {}),
          });
        }
      }
      return original.call(this, config, ...rest);
    };
  });
  afterAll(async () => {
    proto.query = original;
    await env.close();
  });

  const auth = (user: SignedInUser) => ({ authorization: `Bearer ${user.accessToken}` });
  const buy = (user: SignedInUser, key: string, amount = 10_000) =>
    env.t.http().post('/v1/purchases').set(auth(user)).set('idempotency-key', key).send({ amount });

  /** How many shared statements of a commit fell back to one statement per purchase, and why (the metric). */
  const fallbacks = async (commit: '1' | '2', reason: 'limit' | 'error') => {
    const text = (await env.t.http().get('/metrics')).text;
    const line = new RegExp(`^purchases_shared_statement_fallbacks_total\\{commit="${commit}",reason="${reason}"\\} (\\d+)$`, 'm').exec(
      text,
    );
    return line ? Number(line[1]) : 0;
  };

  it('a purchase sends two statements that touch its key, neither inside an explicit transaction; a replay one', async () => {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 100_000 });
    const key = `key-${randomUUID()}`;
    sent.length = 0;
    const created = await buy(user, key);
    expect(created.status).toBe(201);
    const mine = sent.filter((s) => s.text.includes('INSERT INTO idempotency_keys') || s.text.includes('UPDATE idempotency_keys'));
    expect(mine.map((s) => s.inTransaction)).toEqual([false, false]);
    expect(mine[0].text).toContain('INSERT INTO transactions');
    expect(mine[1].text).toContain('UPDATE transactions');
    // The Purchase Web exchange is stored by commit 2 itself: there as soon as the answer is.
    expect(mine[1].text).toContain('INSERT INTO doku_exchanges');
    const stored = await env.t.app
      .get(DataSource)
      .query(
        `SELECT x.endpoint, x.outcome FROM doku_exchanges x JOIN transactions t ON t.partner_reference_no = x.partner_reference WHERE t.id = $1`,
        [created.body.id],
      );
    expect(stored).toEqual([{ endpoint: 'purchaseWeb', outcome: 'SUCCESS' }]);

    sent.length = 0;
    const replay = await buy(user, key);
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(replay.body).toEqual(created.body);
    expect(sent.map((s) => s.inTransaction)).toEqual([false]);
  });

  it('sends both as named prepared statements whose text is the same for every purchase (parsed once per connection)', async () => {
    const texts: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const user = await registerUser(env.t);
      await createBoundWallet(env, user, { balance: 100_000 });
      sent.length = 0;
      expect((await buy(user, `key-${randomUUID()}`, 10_000 + i)).status).toBe(201);
      const mine = sent.filter((s) => s.text.includes('INSERT INTO idempotency_keys') || s.text.includes('UPDATE idempotency_keys'));
      expect(mine).toHaveLength(2);
      for (const s of mine) expect(s.name).toMatch(/^s_[A-Za-z0-9_-]{32}$/);
      expect(new Set(mine.map((s) => s.name)).size).toBe(2);
      texts.push(mine.map((s) => `${s.name}|${s.text}`));
    }
    // Other users, amounts and keys, and yet the same two statements: nothing of a purchase is in the text.
    expect(texts[1]).toEqual(texts[0]);
    expect(texts[2]).toEqual(texts[0]);
  });

  it('a refused purchase (no bound wallet) consumes neither the key nor a transaction; the same key works once the wallet is bound', async () => {
    const user = await registerUser(env.t);
    const key = `key-${randomUUID()}`;
    const refused = await buy(user, key);
    expect([refused.status, refused.body.error.code]).toEqual([404, 'WALLET.NOT_FOUND']);
    const db = env.t.app.get(DataSource);
    expect(await db.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [key])).toEqual([]);
    expect(await db.query(`SELECT 1 FROM transactions WHERE user_id = $1`, [user.id])).toEqual([]);
    await createBoundWallet(env, user, { balance: 100_000 });
    const created = await buy(user, key);
    expect(created.status).toBe(201);
    const [row] = await db.query(
      `SELECT k.status, k.transaction_id, t.status AS purchase FROM idempotency_keys k JOIN transactions t ON t.id = k.transaction_id WHERE k.key = $1`,
      [key],
    );
    expect(row).toEqual({ status: 'COMPLETED', transaction_id: created.body.id, purchase: 'PENDING' });
  });

  it('a completed purchase replays its answer even after the wallet can no longer pay (the key wins over the wallet check)', async () => {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 100_000 });
    const key = `key-${randomUUID()}`;
    const created = await buy(user, key);
    expect(created.status).toBe(201);
    await env.t.app.get(DataSource).query(`UPDATE wallets SET status = 'NEEDS_REBINDING' WHERE user_id = $1`, [user.id]);
    const replay = await buy(user, key);
    expect([replay.status, replay.body]).toEqual([201, created.body]);
    const fresh = await buy(user, `key-${randomUUID()}`);
    expect([fresh.status, fresh.body.error.code]).toEqual([409, 'WALLET.NEEDS_REBINDING']);
  });

  it('the same key with another body is refused; concurrent first requests of one key make one purchase', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 1_000_000 });
    const key = `key-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => buy(user, key)));
    const created = answers.filter((a) => a.status === 201 && a.headers['idempotent-replayed'] === undefined);
    expect(created).toHaveLength(1);
    for (const a of answers) expect([201, 409]).toContain(a.status);
    expect(env.sim.control.transactions({ accountId: wallet.accountId, type: 'PURCHASE' })).toHaveLength(1);
    const other = await buy(user, key, 20_000);
    expect([other.status, other.body.error.code]).toEqual([422, 'IDEMPOTENCY.KEY_REUSED']);
  });

  it('a declined purchase settles the usual way and its exchange still reaches the record (by the batch)', async () => {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 500 });
    const declined = await buy(user, `key-${randomUUID()}`, 10_000);
    expect([declined.status, declined.body.error.code]).toEqual([422, 'DOKU.INSUFFICIENT_BALANCE']);
    await env.t.app.get(ExchangeRecorderService).flush();
    const stored = await env.t.app
      .get(DataSource)
      .query(
        `SELECT x.endpoint FROM doku_exchanges x JOIN transactions t ON t.partner_reference_no = x.partner_reference WHERE t.id = $1`,
        [declined.body.error.details.purchaseId],
      );
    expect(stored).toEqual([{ endpoint: 'purchaseWeb' }]);
  });

  /**
   * The shared statements' connections plan every execution afresh with its own parameters
   * (`plannedRows`): a generic plan made while a table was small would scan it once it has grown.
   */
  const expectPlannedEachTime = async () => {
    const [row] = await plannedRows<{ mode: string }>(env.t.app.get(DataSource), `SELECT current_setting('plan_cache_mode') AS mode`, []);
    expect(row.mode).toBe('force_custom_plan');
  };

  /**
   * Sends `requests` while `table` is locked: the first purchase's commit waits on the lock, the
   * others wait behind it in this instance (`queued`, and the gauge `purchases_<commit>_waiting`);
   * then the lock goes. Gives the answers in the order of `requests`.
   */
  const whileLocked = async (table: string, commit: 'commit1' | 'commit2', requests: Array<() => ReturnType<typeof buy>>) => {
    const purchases = env.t.app.get(PurchasesRepository);
    const queued = () => (commit === 'commit1' ? purchases.pendingsQueued() : purchases.acceptancesQueued());
    const locker = new Client({ connectionString: env.t.databaseUrl });
    await locker.connect();
    sent.length = 0;
    let answers: Awaited<ReturnType<typeof buy>>[];
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
      const pending = Promise.all(requests.map((request) => request()));
      // All but the first wait for a statement (the first is blocked on the lock).
      const until = Date.now() + 10_000;
      while (queued() < requests.length - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(queued()).toBe(requests.length - 1);
      // What operations see of it.
      expect((await env.t.http().get('/metrics')).text).toMatch(new RegExp(`^purchases_${commit}_waiting ${requests.length - 1}$`, 'm'));
      await locker.query('COMMIT');
      answers = await pending;
    } finally {
      await locker.end();
    }
    expect((await env.t.http().get('/metrics')).text).toMatch(new RegExp(`^purchases_${commit}_waiting 0$`, 'm'));
    return answers;
  };

  /**
   * Commit 2 of the purchases accepted while one is in flight is shared (docs/performance.md,
   * twenty-third round). To make it happen on purpose: a table commit 2 writes is locked, the first
   * purchase's commit 2 waits on it, the others' wait behind it here; then the lock goes.
   */
  const sharedCommit2 = async (count: number) => {
    const db = env.t.app.get(DataSource);
    const buyers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const user = await registerUser(env.t);
        await createBoundWallet(env, user, { balance: 1_000_000 });
        return { user, key: `key-${randomUUID()}`, amount: 10_000 + i };
      }),
    );
    const answers = await whileLocked(
      'doku_exchanges',
      'commit2',
      buyers.map((b) => () => buy(b.user, b.key, b.amount)),
    );
    for (const a of answers) expect(a.status).toBe(201);
    // Each purchase: its own key completed with its own answer, DOKU's reference and page, one exchange record.
    for (const [i, b] of buyers.entries()) {
      const [row] = await db.query(
        `SELECT k.status, k.transaction_id, k.response_body->>'id' AS answered, t.status AS purchase, t.doku_reference_no IS NOT NULL AS referenced,
                t.details->>'webRedirectUrl' AS page, (SELECT count(*)::int FROM doku_exchanges x WHERE x.partner_reference = t.partner_reference_no) AS exchanges
           FROM idempotency_keys k JOIN transactions t ON t.id = k.transaction_id WHERE k.key = $1`,
        [b.key],
      );
      expect(row).toEqual({
        status: 'COMPLETED',
        transaction_id: answers[i].body.id,
        answered: answers[i].body.id,
        purchase: 'PENDING',
        referenced: true,
        page: answers[i].body.webRedirectUrl,
        exchanges: 1,
      });
      const replay = await buy(b.user, b.key, b.amount);
      expect([replay.status, replay.headers['idempotent-replayed'], replay.body]).toEqual([201, 'true', answers[i].body]);
    }
    return sent.filter(isCommit2);
  };

  it('commit 2 of purchases accepted while another is written is one statement for all of them; each keeps its own rows, key and answer', async () => {
    const commits2 = await sharedCommit2(6);
    // The first on its own, then the five that waited, together.
    expect(commits2.map((x) => x.text.includes(SHARED))).toEqual([false, true]);
    // Both named prepared statements (parsed once per connection); the shared one is planned for its
    // own arrays each time, on the connections `plannedRows` keeps for that.
    expect(commits2.map((x) => x.name !== undefined)).toEqual([true, true]);
    await expectPlannedEachTime();
  });

  it('a shared commit 2 that fails is written again purchase by purchase: nobody fails for another', async () => {
    const db = env.t.app.get(DataSource);
    // A real refusal of any statement that completes several keys at once (a stand-in for a deadlock).
    await db.query(`CREATE FUNCTION refuse_several_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF (SELECT count(*) FROM several) > 1 THEN RAISE EXCEPTION 'several keys in one statement'; END IF; RETURN NULL; END $$`);
    await db.query(`CREATE TRIGGER refuse_several_keys AFTER UPDATE ON idempotency_keys REFERENCING NEW TABLE AS several
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_several_keys()`);
    try {
      const before = await fallbacks('2', 'error');
      const commits2 = await sharedCommit2(4);
      expect(await fallbacks('2', 'error')).toBe(before + 1);
      // The first alone; the shared one (refused, nothing of it written); then each of the three alone.
      expect(commits2.map((x) => x.text.includes(SHARED))).toEqual([false, true, false, false, false]);
    } finally {
      await db.query(`DROP TRIGGER refuse_several_keys ON idempotency_keys`);
      await db.query(`DROP FUNCTION refuse_several_keys()`);
    }
  });

  /**
   * Commit 1 of the purchases that arrive while another's is written is shared (docs/performance.md,
   * twenty-fourth round). Made to happen on purpose: `transactions` is locked, the first purchase's
   * commit 1 waits on it, the others wait behind it here; then the lock goes. Gives the answers in
   * the order of `requests`, and the commit-1 statements sent meanwhile.
   */
  const sharedCommit1 = async (requests: Array<() => ReturnType<typeof buy>>) => {
    const answers = await whileLocked('transactions', 'commit1', requests);
    return { answers, commits1: sent.filter(isCommit1) };
  };

  const walletBuyers = (count: number, balance = 1_000_000) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const user = await registerUser(env.t);
        const wallet = await createBoundWallet(env, user, { balance });
        return { user, wallet, key: `key-${randomUUID()}`, amount: 10_000 + i };
      }),
    );

  /** Sets a user's spending of the day so far, as earlier purchases would have left it. */
  const spentToday = (userId: string, amount: number, count: number) =>
    env.t.app
      .get(DataSource)
      .query(`INSERT INTO limit_counters (user_id, counter, period, amount, count) VALUES ($1, 'day:DOKU_WALLET:user', $2, $3, $4)`, [
        userId,
        jakartaPeriods(new Date()).day,
        amount,
        count,
      ]);

  /** A user's purchase rows and what its e-money counters and reservations hold. */
  const recorded = async (userId: string) => {
    const db = env.t.app.get(DataSource);
    const purchases: Array<{ id: string; key: string; key_status: string; events: number; outbox: number; reserved: string }> =
      await db.query(
        `SELECT t.id, k.key, k.status AS key_status,
              (SELECT count(*)::int FROM transaction_events e WHERE e.transaction_id = t.id) AS events,
              (SELECT count(*)::int FROM outbox_events o WHERE o.aggregate_id = t.id::text) AS outbox,
              (SELECT string_agg(r.counter || '=' || r.amount, ',' ORDER BY r.counter) FROM limit_reservations r WHERE r.transaction_id = t.id) AS reserved
         FROM transactions t JOIN idempotency_keys k ON k.transaction_id = t.id WHERE t.user_id = $1 ORDER BY t.created_at`,
        [userId],
      );
    const counters: Array<{ counter: string; amount: string; count: number }> = await db.query(
      `SELECT counter, amount::text AS amount, count FROM limit_counters WHERE user_id = $1 ORDER BY counter`,
      [userId],
    );
    return { purchases, counters: counters.map((c) => `${c.counter}=${c.amount}/${c.count}`) };
  };

  it('commit 1 of purchases that arrive while another is written is one statement for all of them; each has its own check, key, counters and rows', async () => {
    const buyers = await walletBuyers(6);
    // One of them had spent 50,000 of the day already: the shared statement adds to it, within the limit.
    await spentToday(buyers[5].user.id, 50_000, 5);
    const { answers, commits1 } = await sharedCommit1(buyers.map((b) => () => buy(b.user, b.key, b.amount)));
    // The first alone, then the five that waited, together; neither inside an explicit transaction.
    expect(commits1.map(carried)).toEqual([1, 5]);
    expect(commits1.map((x) => x.inTransaction)).toEqual([false, false]);
    // Named, and planned for its own arrays at each execution (docs/performance.md, twenty-third and
    // twenty-eighth rounds).
    expect(commits1[1].name).toBeDefined();
    await expectPlannedEachTime();
    for (const [i, b] of buyers.entries()) {
      expect(answers[i].status).toBe(201);
      const mine = await recorded(b.user.id);
      expect(mine.purchases).toEqual([
        {
          id: answers[i].body.id,
          key: b.key,
          key_status: 'COMPLETED',
          events: 1,
          outbox: 1,
          reserved: `day:DOKU_WALLET:user=${b.amount},hour:DOKU_WALLET:user=0`,
        },
      ]);
      const [spent, count] = i === 5 ? [50_000 + b.amount, 6] : [b.amount, 1];
      expect(mine.counters).toEqual([`day:DOKU_WALLET:user=${spent}/${count}`, 'hour:DOKU_WALLET:user=0/1']);
      // DOKU got it once.
      expect(env.sim.control.transactions({ accountId: b.wallet.accountId, type: 'PURCHASE' })).toHaveLength(1);
      const replay = await buy(b.user, b.key, b.amount);
      expect([replay.status, replay.headers['idempotent-replayed'], replay.body]).toEqual([201, 'true', answers[i].body]);
    }
  });

  it('the metrics show how long purchases waited for a shared commit, what each statement carried, and each DOKU exchange', async () => {
    const before = (await env.t.http().get('/metrics')).text;
    const buyers = await walletBuyers(4);
    const started = Date.now();
    const { answers, commits1 } = await sharedCommit1(buyers.map((b) => () => buy(b.user, b.key, b.amount)));
    const elapsed = (Date.now() - started) / 1000;
    for (const a of answers) expect(a.status).toBe(201);
    expect(commits1.map(carried)).toEqual([1, 3]);
    const after = (await env.t.http().get('/metrics')).text;
    const grew = (name: string, labels: string) => metricSample(after, name, labels) - metricSample(before, name, labels);
    const commit1 = 'statement="purchase_commit1"';
    // Two statements: the first purchase alone, then the three that waited behind it.
    expect(grew('db_shared_statement_operations_count', commit1)).toBe(2);
    expect(grew('db_shared_statement_operations_sum', commit1)).toBe(4);
    expect(grew('db_shared_statement_duration_seconds_count', commit1)).toBe(2);
    // Each purchase's wait is counted; the three behind the locked one waited for it.
    expect(grew('db_shared_statement_wait_seconds_count', commit1)).toBe(4);
    const waited = grew('db_shared_statement_wait_seconds_sum', commit1);
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThan(4 * elapsed);
    // The first statement waited for the lock: at least as long as the others waited for it.
    expect(grew('db_shared_statement_duration_seconds_sum', commit1)).toBeGreaterThanOrEqual((waited - 0.001) / 3);
    // Commit 2 of each, and each purchase's one Purchase Web exchange with DOKU.
    expect(grew('db_shared_statement_operations_sum', 'statement="purchase_commit2"')).toBe(4);
    expect(grew('doku_exchange_duration_seconds_count', 'endpoint="purchaseWeb"')).toBe(4);
    const outcomes = after
      .split('\n')
      .filter((l) => l.startsWith('doku_exchanges_total{endpoint="purchaseWeb",'))
      .map((l) => /outcome="([A-Z_]+)"/.exec(l)?.[1] ?? '');
    const purchaseWebs = outcomes.reduce(
      (n, outcome) => n + grew('doku_exchanges_total', `endpoint="purchaseWeb",outcome="${outcome}"`),
      0,
    );
    expect(purchaseWebs).toBe(4);
  });

  it('a shared commit 1 answers each purchase its own outcome: a replay, a key reused with another body, no wallet, a new purchase', async () => {
    const [done, reused, fresh] = await walletBuyers(3);
    const earlier = await buy(done.user, done.key, done.amount);
    const reusedFirst = await buy(reused.user, reused.key, reused.amount);
    const walletless = await registerUser(env.t);
    const walletlessKey = `key-${randomUUID()}`;
    // The first (alone) is a new purchase of `fresh`'s; the rest wait and share one statement.
    const first = await walletBuyers(1);
    const { answers, commits1 } = await sharedCommit1([
      () => buy(first[0].user, first[0].key, first[0].amount),
      () => buy(done.user, done.key, done.amount),
      () => buy(reused.user, reused.key, reused.amount + 1),
      () => buy(walletless, walletlessKey),
      () => buy(fresh.user, fresh.key, fresh.amount),
    ]);
    expect(commits1.map(carried)).toEqual([1, 4]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 422, 404, 201]);
    expect([answers[1].headers['idempotent-replayed'], answers[1].body]).toEqual(['true', earlier.body]);
    expect(answers[2].body.error.code).toBe('IDEMPOTENCY.KEY_REUSED');
    expect(answers[3].body.error.code).toBe('WALLET.NOT_FOUND');
    // Nothing written for the replay, the reused key or the user without a wallet; the new one written once.
    expect((await recorded(done.user.id)).purchases.map((p) => p.id)).toEqual([earlier.body.id]);
    expect((await recorded(reused.user.id)).purchases.map((p) => p.id)).toEqual([reusedFirst.body.id]);
    expect(await recorded(walletless.id)).toEqual({ purchases: [], counters: [] });
    expect(await env.t.app.get(DataSource).query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [walletlessKey])).toEqual([]);
    expect((await recorded(fresh.user.id)).purchases).toMatchObject([{ id: answers[4].body.id, key_status: 'COMPLETED' }]);
    expect((await recorded(fresh.user.id)).counters).toEqual([`day:DOKU_WALLET:user=${fresh.amount}/1`, 'hour:DOKU_WALLET:user=0/1']);
  });

  it('a limit met in a shared commit 1 undoes it, and each purchase is written again alone: only the one over the limit is refused', async () => {
    const buyers = await walletBuyers(4);
    // buyers[2] has 5,000 of the day left: its purchase of 10,002 is over it.
    await spentToday(buyers[2].user.id, PER_DAY - 5_000, 3);
    const [limitBefore, errorBefore] = [await fallbacks('1', 'limit'), await fallbacks('1', 'error')];
    const { answers, commits1 } = await sharedCommit1(buyers.map((b) => () => buy(b.user, b.key, b.amount)));
    // Counted for operations, as a limit, not an error.
    expect([await fallbacks('1', 'limit'), await fallbacks('1', 'error')]).toEqual([limitBefore + 1, errorBefore]);
    // The first alone; the shared one (refused, nothing of it written); each of the three again alone.
    expect(commits1.map(carried)).toEqual([1, 3, 1, 1, 1]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 422, 201]);
    expect(answers[2].body.error).toMatchObject({
      code: 'WALLET.LIMIT_EXCEEDED',
      details: { limit: 'PER_DAY', max: PER_DAY, used: PER_DAY - 5_000, remaining: 5_000, requested: buyers[2].amount },
    });
    for (const [i, b] of buyers.entries()) {
      const mine = await recorded(b.user.id);
      if (i === 2) {
        // Nothing written, its counter as it was: the undone shared statement left no trace.
        expect(mine).toEqual({ purchases: [], counters: [`day:DOKU_WALLET:user=${PER_DAY - 5_000}/3`] });
        expect(env.sim.control.transactions({ accountId: b.wallet.accountId, type: 'PURCHASE' })).toHaveLength(0);
        continue;
      }
      // Counted once, though the shared statement had counted it before it was undone.
      expect(mine.purchases).toMatchObject([{ id: answers[i].body.id, key_status: 'COMPLETED', events: 1, outbox: 1 }]);
      expect(mine.counters).toEqual([`day:DOKU_WALLET:user=${b.amount}/1`, 'hour:DOKU_WALLET:user=0/1']);
      expect(env.sim.control.transactions({ accountId: b.wallet.accountId, type: 'PURCHASE' })).toHaveLength(1);
    }
  });

  it('two purchases of one user never share a commit-1 statement (a counter row is taken once per statement)', async () => {
    const [one, other, third, fourth] = await walletBuyers(4);
    const second = { key: `key-${randomUUID()}`, amount: 20_000 };
    const { answers, commits1 } = await sharedCommit1([
      () => buy(third.user, third.key, third.amount),
      () => buy(one.user, one.key, one.amount),
      () => buy(one.user, second.key, second.amount),
      () => buy(other.user, other.key, other.amount),
      () => buy(fourth.user, fourth.key, fourth.amount),
    ]);
    for (const a of answers) expect(a.status).toBe(201);
    const shared = commits1.filter((x) => x.text.includes(SHARED));
    expect(shared.length).toBeGreaterThanOrEqual(1);
    for (const statement of shared) {
      const users = statement.values[1] as string[];
      expect(new Set(users).size).toBe(users.length);
    }
    expect(commits1.reduce((n, x) => n + carried(x), 0)).toBe(5);
    const mine = await recorded(one.user.id);
    expect(mine.purchases.map((p) => p.id).sort()).toEqual([answers[1].body.id, answers[2].body.id].sort());
    expect(mine.counters).toEqual([`day:DOKU_WALLET:user=${one.amount + second.amount}/2`, 'hour:DOKU_WALLET:user=0/2']);
  });

  it('two purchases waiting are not worth a shared commit 1: each goes by its own statement', async () => {
    const buyers = await walletBuyers(3);
    const { answers, commits1 } = await sharedCommit1(buyers.map((b) => () => buy(b.user, b.key, b.amount)));
    for (const a of answers) expect(a.status).toBe(201);
    expect(commits1.map(carried)).toEqual([1, 1, 1]);
  });

  it('DANA purchases (the check is an open account) share commit 1 too; a closed account and an unknown user are refused alone', async () => {
    const orders = (await serviceToken(env.t, ['purchases:write'])).token;
    const [first, open, closed, last] = await Promise.all([1, 2, 3, 4].map(() => registerUser(env.t)));
    await env.t.app.get(DataSource).query(`UPDATE users SET active = false WHERE id = $1`, [closed.id]);
    const unknown = randomUUID();
    const keys = Array.from({ length: 5 }, () => `key-${randomUUID()}`);
    const charge = (userId: string, i: number) => () =>
      env.t
        .http()
        .post(`/v1/users/${userId}/purchases`)
        .set({ authorization: `Bearer ${orders}` })
        .set('idempotency-key', keys[i])
        .send({ amount: 7_000 + i, paymentMethod: 'DANA', deviceId: 'kiosk42', merchantOrderRef: `ORD-${i}` });
    const { answers, commits1 } = await sharedCommit1([
      charge(first.id, 0),
      charge(open.id, 1),
      charge(closed.id, 2),
      charge(unknown, 3),
      charge(last.id, 4),
    ]);
    expect(commits1.map(carried)).toEqual([1, 4]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 404, 404, 201]);
    expect([answers[2].body.error.code, answers[3].body.error.code]).toEqual(['USER.NOT_FOUND', 'USER.NOT_FOUND']);
    const db = env.t.app.get(DataSource);
    for (const [i, userId] of [first.id, open.id, closed.id, unknown, last.id].entries()) {
      const rows: Array<{ id: string; payment_method: string; merchant_order_ref: string; amount: string }> = await db.query(
        `SELECT id, payment_method, merchant_order_ref, amount::text AS amount FROM transactions WHERE user_id = $1`,
        [userId],
      );
      const written = answers[i].status === 201;
      expect(rows).toEqual(
        written ? [{ id: answers[i].body.id, payment_method: 'DANA', merchant_order_ref: `ORD-${i}`, amount: String(7_000 + i) }] : [],
      );
      expect(await db.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [keys[i]])).toHaveLength(written ? 1 : 0);
    }
  });
});
