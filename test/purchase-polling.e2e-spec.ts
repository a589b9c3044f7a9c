import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DEFAULT_NOTIFY_PATH } from '../simulator/src';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { until } from './support/until';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

// Long enough that a burst of 50 polls fits inside one interval on a loaded 2-core CI machine (1.5 s did not).
const INTERVAL_MS = 4000;

/**
 * A customer's app polling a pending purchase reads our record: DOKU receives at most one Query
 * Purchase per interval per purchase, however many polls arrive and on however many instances.
 * The count is what the simulator received, from its own request log.
 */
describe('Polling a pending purchase (e2e, simulator)', () => {
  let env: WalletEnv;
  let second: TestApp;
  const received: string[] = [];
  const queries = () => received.filter((e) => e === 'queryPurchase').length;

  beforeAll(async () => {
    env = await startWalletEnv(
      { STATUS_QUERY_MIN_INTERVAL_MS: String(INTERVAL_MS) },
      {
        simLog: (line) => {
          const endpoint = (JSON.parse(line) as { endpoint?: string }).endpoint;
          if (endpoint) received.push(endpoint);
        },
      },
    );
    second = await startTestApp({ DOKU_BASE_URL: env.sim.url, STATUS_QUERY_MIN_INTERVAL_MS: String(INTERVAL_MS) }, env.t.databaseUrl);
  });
  afterAll(async () => {
    await second?.close();
    await env?.close();
  });

  const auth = (user: SignedInUser) => ({ authorization: `Bearer ${user.accessToken}` });
  const poll = (app: TestApp, user: SignedInUser, id: string) => app.http().get(`/v1/purchases/${id}`).set(auth(user));
  const partnerRef = async (id: string): Promise<string> =>
    (
      await env.t.app
        .get(DataSource)
        .query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id])
    )[0].partner_reference_no;

  async function pendingPurchase(): Promise<{ user: SignedInUser; id: string }> {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user);
    const created = await env.t
      .http()
      .post('/v1/purchases')
      .set(auth(user))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 25_000 });
    expect(created.status).toBe(201);
    return { user, id: created.body.id as string };
  }

  it('many polls on two instances within one interval make one status query; the next interval one more', async () => {
    const { user, id } = await pendingPurchase();
    const before = queries();
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => poll(i % 2 === 0 ? env.t : second, user, id)));
    for (let i = 0; i < 10; i++) burst.push(await poll(i % 2 === 0 ? env.t : second, user, id));
    expect(burst.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(burst.map((r) => r.body.status))).toEqual(new Set(['PENDING']));
    expect(queries() - before).toBe(1);

    // Paid at DOKU: within the interval the polls still read our record and ask nothing.
    env.sim.control.pay({ partnerReferenceNo: await partnerRef(id) });
    const stale = await poll(second, user, id);
    expect(stale.body.status).toBe('PENDING');
    expect(queries() - before).toBe(1);

    // Past the interval one poll asks again, and the purchase settles.
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 100));
    const next = await Promise.all(Array.from({ length: 20 }, (_, i) => poll(i % 2 === 0 ? env.t : second, user, id)));
    expect(queries() - before).toBe(2);
    expect(next.some((r) => r.body.status === 'SUCCESS')).toBe(true);

    // Settled: polls never ask again.
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 100));
    for (let i = 0; i < 10; i++) expect((await poll(env.t, user, id)).body.status).toBe('SUCCESS');
    expect(queries() - before).toBe(2);
  });

  it('polling every 100 ms for several intervals asks DOKU at most once per interval', async () => {
    const { user, id } = await pendingPurchase();
    const before = queries();
    const started = Date.now();
    let polls = 0;
    while (Date.now() - started < 3 * INTERVAL_MS + 200) {
      await Promise.all([poll(env.t, user, id), poll(second, user, id)]);
      polls += 2;
      await new Promise((r) => setTimeout(r, 100));
    }
    const intervals = Math.ceil((Date.now() - started) / INTERVAL_MS);
    expect(polls).toBeGreaterThan(40);
    expect(queries() - before).toBeGreaterThanOrEqual(1);
    expect(queries() - before).toBeLessThanOrEqual(intervals);
  });

  it('a notification asks DOKU and settles our record; the polls that follow ask nothing', async () => {
    const { user, id } = await pendingPurchase();
    env.sim.control.setNotification(env.t.config.doku.clientId, {
      enabled: true,
      baseUrl: env.t.url,
      path: DEFAULT_NOTIFY_PATH,
      timeScale: 0.001,
    });
    try {
      expect((await poll(env.t, user, id)).body.status).toBe('PENDING');
      const before = queries();
      env.sim.control.pay({ partnerReferenceNo: await partnerRef(id) });
      const settled = await until(
        async () =>
          (await env.t.app.get(DataSource).query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = $1`, [id]))[0]
            .status,
        (s) => s === 'SUCCESS',
      );
      expect(settled).toBe('SUCCESS');
      // The notification's confirmation is the one query.
      expect(queries() - before).toBe(1);
      for (let i = 0; i < 10; i++) expect((await poll(second, user, id)).body.status).toBe('SUCCESS');
      expect(queries() - before).toBe(1);
    } finally {
      env.sim.control.setNotification(env.t.config.doku.clientId, { enabled: false });
    }
  });
});
