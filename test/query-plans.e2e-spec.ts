import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import { PurchasesRepository } from '../src/purchase/purchases.repository';
import { seedHistory } from './support/bulk-history';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/** Rows seeded into each large table before the plans are read. */
const ROWS = 100_000;
/** Tables that grow with the business: a sequential scan of one on a request path grows with it. */
const LARGE = ['transactions', 'transaction_events', 'idempotency_keys', 'doku_exchanges', 'users', 'wallets', 'auth_sessions'];

jest.setTimeout(180_000);

/**
 * Query plans on the request paths at volume (docs/performance.md): with 10^5 rows in each large
 * table, every statement a purchase, its replay, its status read, a refund, a commit 1 and a commit 2
 * shared by several purchases and the history pages send is planned with indexes, never a sequential scan of a large table. The statements are the
 * ones the app really sends, captured as they go out and explained with their own parameters.
 */
describe('Query plans at volume', () => {
  let env: WalletEnv;
  const sent: Array<{ text: string; values: unknown[] }> = [];
  let capturing = false;
  const proto = Client.prototype as unknown as { query: (this: object, config: unknown, ...rest: unknown[]) => unknown };
  const original = proto.query;

  beforeAll(async () => {
    // A statement that waits for this test's lock keeps holding the next one back (sharing made to happen below).
    env = await startWalletEnv({ DATABASE_SHARED_STALL_MS: '60000' });
    const db = env.t.app.get(DataSource);
    await seedHistory(db, { tag: randomUUID().slice(0, 8).replace(/-/g, ''), users: ROWS / 10, transactions: ROWS });
    proto.query = function query(this: object, config: unknown, ...rest: unknown[]): unknown {
      if (capturing) {
        const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
        const values = (typeof config === 'object' && config !== null ? (config as { values?: unknown[] }).values : rest[0]) ?? [];
        if (typeof text === 'string') sent.push({ text, values: Array.isArray(values) ? values : [] });
      }
      return original.call(this, config, ...rest);
    };
  });
  afterAll(async () => {
    proto.query = original;
    await env?.close();
  });

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('a purchase, its replay, its status, a refund and the history pages plan no sequential scan of a large table', async () => {
    const user: SignedInUser = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 1_000_000 });
    const refunder = (await serviceToken(env.t, ['refunds:write'])).token;
    const events = (await serviceToken(env.t, ['events:read'])).token;
    const key = `key-${randomUUID()}`;
    capturing = true;
    const created = await env.t
      .http()
      .post('/v1/purchases')
      .set(auth(user.accessToken))
      .set('idempotency-key', key)
      .send({ amount: 5_000 });
    expect(created.status).toBe(201);
    expect(
      (await env.t.http().post('/v1/purchases').set(auth(user.accessToken)).set('idempotency-key', key).send({ amount: 5_000 })).status,
    ).toBe(201);
    capturing = false;
    const [row] = await env.t.app.get(DataSource).query(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [created.body.id]);
    env.sim.control.pay({ partnerReferenceNo: row.partner_reference_no });
    expect(env.sim.control.transactions({ accountId: wallet.accountId, type: 'PURCHASE' })).toHaveLength(1);
    capturing = true;
    expect((await env.t.http().get(`/v1/purchases/${created.body.id}`).set(auth(user.accessToken))).body.status).toBe('SUCCESS');
    const refund = await env.t
      .http()
      .post(`/v1/users/${user.id}/purchases/${created.body.id}/refunds`)
      .set(auth(refunder))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 1_000, reason: 'Plan check' });
    expect(refund.status).toBe(201);
    expect((await env.t.http().get('/v1/transactions?pageSize=20').set(auth(user.accessToken))).status).toBe(200);
    expect((await env.t.http().get('/v1/events?limit=20').set(auth(events))).status).toBe(200);
    capturing = false;

    // Commit 1, then commit 2, shared by purchases written while another's is (made to happen: the
    // first waits on a lock of a table the commit writes, the others queue behind it).
    const purchases = env.t.app.get(PurchasesRepository);
    const sharing = async (table: string, queued: () => number) => {
      const buyers = await Promise.all(
        [1, 2, 3, 4].map(async () => {
          const buyer = await registerUser(env.t);
          await createBoundWallet(env, buyer, { balance: 1_000_000 });
          return buyer;
        }),
      );
      const locker = new Client({ connectionString: env.t.databaseUrl });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
        capturing = true;
        const buying = Promise.all(
          buyers.map((b) =>
            env.t
              .http()
              .post('/v1/purchases')
              .set(auth(b.accessToken))
              .set('idempotency-key', `key-${randomUUID()}`)
              .send({ amount: 5_000 }),
          ),
        );
        const until = Date.now() + 10_000;
        while (queued() < buyers.length - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        expect(queued()).toBe(buyers.length - 1);
        await locker.query('COMMIT');
        for (const answer of await buying) expect(answer.status).toBe(201);
        capturing = false;
      } finally {
        await locker.end();
      }
    };
    await sharing('transactions', () => purchases.pendingsQueued());
    await sharing('doku_exchanges', () => purchases.acceptancesQueued());
    expect(
      sent.filter((s) => s.text.includes('unnest($1::uuid[]') && s.text.includes('INSERT INTO idempotency_keys')).length,
    ).toBeGreaterThanOrEqual(1);
    expect(
      sent.filter((s) => s.text.includes('unnest($1::uuid[]') && s.text.includes('UPDATE idempotency_keys')).length,
    ).toBeGreaterThanOrEqual(1);

    const explainable = sent.filter(
      (s) => /^\s*(WITH|SELECT|INSERT|UPDATE|DELETE)\b/i.test(s.text) && !/pg_advisory|pg_notify|LISTEN/i.test(s.text),
    );
    expect(explainable.length).toBeGreaterThan(5);
    const client = new Client({ connectionString: env.t.databaseUrl });
    await client.connect();
    const scans: string[] = [];
    try {
      for (const s of explainable) {
        const plan = (await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${s.text}`, s.values)).rows[0]['QUERY PLAN'];
        const walk = (node: Record<string, unknown>): void => {
          if (node['Node Type'] === 'Seq Scan' && LARGE.includes(String(node['Relation Name'])))
            scans.push(`${String(node['Relation Name'])}: ${s.text.replace(/\s+/g, ' ').slice(0, 160)}`);
          for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk((plan as Array<{ Plan: Record<string, unknown> }>)[0].Plan);
      }
    } finally {
      await client.end();
    }
    expect(scans).toEqual([]);
  });
});
