import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ExchangeRecorderService } from '../src/integrations/doku/snap/exchange-recorder.service';
import { PurchasesRepository } from '../src/purchase/purchases.repository';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

interface Sent {
  text: string;
  /** Whether the connection was inside BEGIN … COMMIT when the statement was sent. */
  inTransaction: boolean;
  /** The prepared statement's name, when it was sent as one. */
  name?: string;
}

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
    env = await startWalletEnv();
    proto.query = function query(this: object, config: unknown, ...rest: unknown[]): unknown {
      const text = typeof config === 'string' ? config : ((config as { text?: unknown } | null)?.text ?? '');
      if (typeof text === 'string') {
        const head = text.trim().toUpperCase();
        if (head.startsWith('BEGIN') || head.startsWith('START TRANSACTION')) open.add(this);
        else if (head === 'COMMIT' || head === 'ROLLBACK') open.delete(this);
        else if (text.includes('idempotency_keys')) {
          const name = typeof config === 'object' && config !== null ? (config as { name?: unknown }).name : undefined;
          sent.push({ text, inTransaction: open.has(this), ...(typeof name === 'string' ? { name } : {}) });
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
   * Commit 2 of the purchases accepted while one is in flight is shared (docs/performance.md,
   * twenty-third round). To make it happen on purpose: a table commit 2 writes is locked, the first
   * purchase's commit 2 waits on it, the others' wait behind it here; then the lock goes.
   */
  const sharedCommit2 = async (count: number) => {
    const db = env.t.app.get(DataSource);
    const purchases = env.t.app.get(PurchasesRepository);
    const buyers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const user = await registerUser(env.t);
        await createBoundWallet(env, user, { balance: 1_000_000 });
        return { user, key: `key-${randomUUID()}`, amount: 10_000 + i };
      }),
    );
    const locker = new Client({ connectionString: env.t.databaseUrl });
    await locker.connect();
    sent.length = 0;
    let answers: Awaited<ReturnType<typeof buy>>[];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE doku_exchanges IN SHARE ROW EXCLUSIVE MODE');
      const pending = Promise.all(buyers.map((b) => buy(b.user, b.key, b.amount)));
      // All but the first wait for a statement (the first is blocked on the lock).
      const until = Date.now() + 10_000;
      while (purchases.acceptancesQueued() < count - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(purchases.acceptancesQueued()).toBe(count - 1);
      // What operations see of it.
      expect((await env.t.http().get('/metrics')).text).toMatch(new RegExp(`^purchases_commit2_waiting ${count - 1}$`, 'm'));
      await locker.query('COMMIT');
      answers = await pending;
    } finally {
      await locker.end();
    }
    for (const a of answers) expect(a.status).toBe(201);
    expect((await env.t.http().get('/metrics')).text).toMatch(/^purchases_commit2_waiting 0$/m);
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
    return sent.filter((x) => x.text.includes('UPDATE idempotency_keys'));
  };

  it('commit 2 of purchases accepted while another is written is one statement for all of them; each keeps its own rows, key and answer', async () => {
    const commits2 = await sharedCommit2(6);
    // The first on its own, then the five that waited, together.
    expect(commits2.map((x) => x.text.includes('unnest($1::uuid[]'))).toEqual([false, true]);
    // The lone one is a named prepared statement; the shared one is planned for its own arrays each time.
    expect(commits2.map((x) => x.name === undefined)).toEqual([false, true]);
  });

  it('a shared commit 2 that fails is written again purchase by purchase: nobody fails for another', async () => {
    const db = env.t.app.get(DataSource);
    // A real refusal of any statement that completes several keys at once (a stand-in for a deadlock).
    await db.query(`CREATE FUNCTION refuse_several_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF (SELECT count(*) FROM several) > 1 THEN RAISE EXCEPTION 'several keys in one statement'; END IF; RETURN NULL; END $$`);
    await db.query(`CREATE TRIGGER refuse_several_keys AFTER UPDATE ON idempotency_keys REFERENCING NEW TABLE AS several
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_several_keys()`);
    try {
      const commits2 = await sharedCommit2(4);
      // The first alone; the shared one (refused, nothing of it written); then each of the three alone.
      expect(commits2.map((x) => x.text.includes('unnest($1::uuid[]'))).toEqual([false, true, false, false, false]);
    } finally {
      await db.query(`DROP TRIGGER refuse_several_keys ON idempotency_keys`);
      await db.query(`DROP FUNCTION refuse_several_keys()`);
    }
  });
});
