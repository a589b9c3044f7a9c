import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';
import { loadConfig } from '../src/config/load-config';
import { ExchangeRecorderService } from '../src/integrations/doku/snap/exchange-recorder.service';

/**
 * E-money limits (docs/limits.md) over real HTTP against the DOKU simulator: each limit refuses with
 * 422 WALLET.LIMIT_EXCEEDED naming the limit and what remains, before DOKU is called and with nothing
 * written (no transaction, the Idempotency-Key still free); concurrent requests cannot cross a limit
 * together; what a failed or canceled operation reserved goes back.
 */
describe('E-money limits, enforced before any DOKU call', () => {
  let env: WalletEnv;
  let db: Client;
  let service: string;

  beforeAll(async () => {
    env = await startWalletEnv({
      EMONEY_MAX_BALANCE_UNREGISTERED: '1500000',
      EMONEY_MAX_BALANCE_REGISTERED: '3000000',
      EMONEY_MONTHLY_INCOMING_LIMIT: '2000000',
      EMONEY_CHANNEL_LIMITS: JSON.stringify({
        'DOKU_WALLET:user': { perTransaction: 60_000, perDay: 100_000 },
        'DOKU_WALLET:service': { perHour: 3 },
        'BANK_TRANSFER:user': { perDay: 150_000 },
        'TOP_UP:*': { perTransaction: 1_000_000 },
      }),
    });
    db = new Client({ connectionString: env.t.databaseUrl });
    await db.connect();
    service = (await serviceToken(env.t, ['purchases:write', 'topups:write'])).token;
  });
  afterAll(async () => {
    await db?.end();
    await env?.close();
  });

  const key = () => `lim-${randomUUID()}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const buy = (user: SignedInUser, amount: number, idempotencyKey = key()) =>
    env.t.http().post('/v1/purchases').set(bearer(user.accessToken)).set('idempotency-key', idempotencyKey).send({ amount });
  const rows = async <T>(sql: string, params: unknown[]): Promise<T[]> => (await db.query(sql, params)).rows as T[];
  const transactionsOf = async (userId: string, type: string) =>
    rows<{ id: string; status: string; amount: string }>(`SELECT id, status, amount FROM transactions WHERE user_id = $1 AND type = $2`, [
      userId,
      type,
    ]);
  const keyStored = async (k: string) => (await rows(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [k])).length === 1;
  const simPurchases = (accountId: string) => env.sim.control.transactions({ accountId, type: 'PURCHASE' });
  const walletUser = async (balance: number) => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance });
    return { user, wallet };
  };
  /** The calendar of Asia/Jakarta, computed here independently of the app's own code. */
  const jakarta = (parts: Intl.DateTimeFormatOptions) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta', ...parts }).format(new Date()).replace(/\//g, '-');

  it('a purchase over the per-transaction amount is refused before DOKU, with the limit named; the key stays free', async () => {
    const { user, wallet } = await walletUser(500_000);
    const k = key();
    const over = await buy(user, 60_001, k);
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({
      code: 'WALLET.LIMIT_EXCEEDED',
      details: { limit: 'PER_TRANSACTION', channel: 'DOKU_WALLET', caller: 'user', max: 60_000, requested: 60_001, remaining: 60_000 },
    });
    expect(await transactionsOf(user.id, 'PURCHASE')).toEqual([]);
    expect(simPurchases(wallet.accountId)).toHaveLength(0);
    expect(await keyStored(k)).toBe(false);
  });

  it('20 purchases at once, each within the per-day amount but together over it: exactly the allowed 5 reach DOKU', async () => {
    const { user, wallet } = await walletUser(1_000_000);
    const today = jakarta({ dateStyle: 'short' });
    // Another writer holds the day's counter (50,000 of 100,000 used, uncommitted) while all 20
    // statements start: each must wait for it and then check the limit on what it committed, not on
    // the snapshot it started with (which would let all of them through).
    const holder = new Client({ connectionString: env.t.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(
      `INSERT INTO limit_counters (user_id, counter, period, amount, count) VALUES ($1, 'day:DOKU_WALLET:user', $2, 50000, 5)`,
      [user.id, today],
    );
    const keys = Array.from({ length: 20 }, () => key());
    const pending = Promise.all(keys.map((k) => buy(user, 10_000, k).then((r) => r)));
    try {
      const waiting = async () =>
        Number(
          (
            await rows<{ n: string }>(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%limit_counters%' AND datname = current_database()`,
              [],
            )
          )[0].n,
        );
      const deadline = Date.now() + 15_000;
      while ((await waiting()) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await waiting()).toBeGreaterThanOrEqual(10);
    } finally {
      await holder.query('COMMIT');
      await holder.end();
    }
    const answers = await pending;
    const accepted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 422);
    expect(answers.map((a) => a.status).filter((s) => s !== 201 && s !== 422)).toEqual([]);
    expect([accepted.length, refused.length]).toEqual([5, 15]);
    for (const r of refused) {
      expect(r.body.error).toMatchObject({
        code: 'WALLET.LIMIT_EXCEEDED',
        details: { limit: 'PER_DAY', channel: 'DOKU_WALLET', caller: 'user', period: today, max: 100_000, requested: 10_000 },
      });
      expect(r.body.error.details.remaining).toBeLessThan(10_000);
    }
    // DOKU's simulator received exactly the accepted ones; we wrote nothing for the refused ones.
    expect(simPurchases(wallet.accountId)).toHaveLength(5);
    expect(await transactionsOf(user.id, 'PURCHASE')).toHaveLength(5);
    const refusedKeys = keys.filter((_, i) => answers[i].status === 422);
    for (const k of refusedKeys) expect(await keyStored(k)).toBe(false);
    // A refused key is not consumed: sent again it is refused again, not replayed.
    const again = await buy(user, 10_000, refusedKeys[0]);
    expect(again.status).toBe(422);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body.error.details).toMatchObject({ limit: 'PER_DAY', used: 100_000, remaining: 0 });
  });

  it('a purchase DOKU declines (FAILED) and one canceled give their amounts back to the day', async () => {
    const { user, wallet } = await walletUser(10_000);
    const declined = await buy(user, 60_000);
    expect(declined.status).toBe(422);
    expect(declined.body.error.code).toBe('DOKU.INSUFFICIENT_BALANCE');
    expect((await transactionsOf(user.id, 'PURCHASE'))[0].status).toBe('FAILED');

    env.sim.control.updateAccount(wallet.accountId, { balance: '500000.00' });
    // Only possible because the failed 60,000 went back: 60,000 + 40,000 fill the day exactly.
    const first = await buy(user, 60_000);
    const second = await buy(user, 40_000);
    expect([first.status, second.status]).toEqual([201, 201]);
    const full = await buy(user, 1);
    expect(full.status).toBe(422);
    expect(full.body.error.details).toMatchObject({ limit: 'PER_DAY', used: 100_000, remaining: 0 });

    const cancel = await env.t
      .http()
      .post(`/v1/purchases/${first.body.id}/cancel`)
      .set(bearer(user.accessToken))
      .set('idempotency-key', key())
      .send({ reason: 'Changed my mind' });
    expect(cancel.status).toBe(200);
    expect(cancel.body.purchaseStatus).toBe('CANCELED');
    const afterCancel = await buy(user, 60_000);
    expect(afterCancel.status).toBe(201);
    expect((await buy(user, 1)).body.error.details).toMatchObject({ limit: 'PER_DAY', remaining: 0 });
  });

  it("a service's purchases are counted per hour: the fourth in an hour is refused", async () => {
    const { user, wallet } = await walletUser(500_000);
    const charge = () =>
      env.t
        .http()
        .post(`/v1/users/${user.id}/purchases`)
        .set(bearer(service))
        .set('idempotency-key', key())
        .send({ amount: 1_000, merchantOrderRef: `ORD-${randomUUID()}` });
    for (let i = 0; i < 3; i++) expect((await charge()).status).toBe(201);
    const fourth = await charge();
    expect(fourth.status).toBe(422);
    expect(fourth.body.error).toMatchObject({
      code: 'WALLET.LIMIT_EXCEEDED',
      details: { limit: 'PER_HOUR', channel: 'DOKU_WALLET', caller: 'service', max: 3, used: 3, remaining: 0 },
    });
    expect(fourth.body.error.details.period).toBe(`${jakarta({ dateStyle: 'short' })}T${jakarta({ hour: '2-digit', hourCycle: 'h23' })}`);
    expect(simPurchases(wallet.accountId)).toHaveLength(3);
    // The user's own purchases are another channel and caller: not refused by the service's hour.
    expect((await buy(user, 1_000)).status).toBe(201);
  });

  it('a bank transfer over the day is refused before DOKU; its inquiry stays usable', async () => {
    const { user, wallet } = await walletUser(1_000_000);
    const as = (path: string, body: object, k?: string) => {
      const r = env.t.http().post(path).set(bearer(user.accessToken));
      if (k) r.set('idempotency-key', k);
      return r.send(body);
    };
    const inquire = (amount: number) => as('/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: '8377388292', amount });
    const first = await inquire(100_000);
    expect((await as('/v1/bank-transfers', { inquiryId: first.body.inquiryId }, key())).status).toBe(201);
    const second = await inquire(60_000);
    expect(second.status).toBe(201);
    const k = key();
    const refused = await as('/v1/bank-transfers', { inquiryId: second.body.inquiryId }, k);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'WALLET.LIMIT_EXCEEDED',
      details: {
        limit: 'PER_DAY',
        channel: 'BANK_TRANSFER',
        caller: 'user',
        max: 150_000,
        used: 100_000,
        requested: 60_000,
        remaining: 50_000,
      },
    });
    expect(await transactionsOf(user.id, 'BANK_TRANSFER')).toHaveLength(1);
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).debitCount).toBe(1);
    expect(await keyStored(k)).toBe(false);
    expect((await rows(`SELECT transaction_id FROM bank_transfer_inquiries WHERE id = $1`, [second.body.inquiryId]))[0]).toEqual({
      transaction_id: null,
    });
  });

  describe('top-ups: the balance at DOKU with what is pending, and the month', () => {
    let user: SignedInUser;
    let accountId: string;
    const base = () => `/v1/users/${user.id}/top-ups`;
    const topUp = async (amount: number, k = key()) => {
      const inquiry = await env.t.http().post(`${base()}/inquiries`).set(bearer(service)).send({ amount });
      expect(inquiry.status).toBe(201);
      return env.t.http().post(base()).set(bearer(service)).set('idempotency-key', k).send({ inquiryId: inquiry.body.inquiryId });
    };

    beforeAll(async () => {
      ({
        user,
        wallet: { accountId },
      } = await walletUser(1_000_000));
    });

    it('a top-up over the per-transaction amount is refused at its inquiry, before DOKU is asked anything', async () => {
      const before = env.sim.control.transactions({ accountId }).length;
      const exchanges = async () => {
        // Exchange records are written in batches: everything sent so far is stored first.
        await env.t.app.get(ExchangeRecorderService).flush();
        return Number((await rows<{ n: string }>(`SELECT count(*) AS n FROM doku_exchanges`, []))[0].n);
      };
      const sent = await exchanges();
      const inquiry = await env.t.http().post(`${base()}/inquiries`).set(bearer(service)).send({ amount: 1_000_001 });
      expect(inquiry.status).toBe(422);
      expect(inquiry.body.error).toMatchObject({
        code: 'WALLET.LIMIT_EXCEEDED',
        details: { limit: 'PER_TRANSACTION', channel: 'TOP_UP', caller: 'service', max: 1_000_000, requested: 1_000_001 },
      });
      expect(await rows(`SELECT 1 FROM top_up_inquiries WHERE user_id = $1`, [user.id])).toEqual([]);
      expect(env.sim.control.transactions({ accountId })).toHaveLength(before);
      expect(await exchanges()).toBe(sent);
    });

    it('refuses a top-up that would take an unregistered wallet over its balance, naming what remains', async () => {
      const k = key();
      const over = await topUp(600_000, k);
      expect(over.status).toBe(422);
      expect(over.body.error).toMatchObject({
        code: 'WALLET.LIMIT_EXCEEDED',
        details: {
          limit: 'MAX_BALANCE',
          level: 'UNREGISTERED',
          max: 1_500_000,
          balance: 1_000_000,
          pendingIncoming: 0,
          requested: 600_000,
          remaining: 500_000,
        },
      });
      expect(await keyStored(k)).toBe(false);
      expect(await transactionsOf(user.id, 'TOP_UP')).toEqual([]);
      expect(env.sim.control.ledger({ accountId }).creditCount).toBe(0);

      const fits = await topUp(500_000);
      expect(fits.status).toBe(201);
      expect(fits.body.status).toBe('SUCCESS');
      expect(Number(env.sim.control.getAccount(accountId).balance)).toBe(1_500_000);
    });

    it('a registered wallet has the higher balance; the month’s incoming total still applies', async () => {
      // The back office records the partner's identity check: only an admin may.
      const levelPath = `/v1/admin/users/${user.id}/emoney-limits/level`;
      const support = await registerUser(env.t, 'support');
      expect((await env.t.http().put(levelPath).set(bearer(support.accessToken)).send({ level: 'REGISTERED' })).status).toBe(403);
      const admin = await registerUser(env.t, 'admin');
      expect((await env.t.http().put(levelPath).set(bearer(admin.accessToken)).send({ level: 'PREMIUM' })).status).toBe(400);
      const unknown = await env.t
        .http()
        .put(`/v1/admin/users/${randomUUID()}/emoney-limits/level`)
        .set(bearer(admin.accessToken))
        .send({ level: 'REGISTERED' });
      expect(unknown.status).toBe(404);
      const set = await env.t.http().put(levelPath).set(bearer(admin.accessToken)).send({ level: 'REGISTERED' });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({
        userId: user.id,
        level: 'REGISTERED',
        levelSet: true,
        maxBalance: 3_000_000,
        monthlyIncoming: 2_000_000,
      });
      expect((await topUp(600_000)).status).toBe(201);
      // 1,100,000 came in this month; 950,000 more is over 2,000,000 (and the month is checked first).
      const over = await topUp(950_000);
      expect(over.status).toBe(422);
      // Support reads what the month and the day have counted.
      const usage = await env.t.http().get(`/v1/admin/users/${user.id}/emoney-limits`).set(bearer(support.accessToken));
      expect(usage.status).toBe(200);
      expect(usage.body.counters).toEqual(
        expect.arrayContaining([
          { counter: 'month:in', period: jakarta({ year: 'numeric', month: '2-digit' }), amount: 1_100_000, count: 2 },
          { counter: 'day:TOP_UP:service', period: jakarta({ dateStyle: 'short' }), amount: 1_100_000, count: 2 },
        ]),
      );
      expect(over.body.error.details).toMatchObject({
        limit: 'MONTHLY_INCOMING',
        period: jakarta({ year: 'numeric', month: '2-digit' }),
        max: 2_000_000,
        used: 1_100_000,
        remaining: 900_000,
      });
    });

    it('the month is the calendar month in Asia/Jakarta: last month’s total does not count', async () => {
      const other = (await walletUser(0)).user;
      user = other;
      const lastMonth = await rows<{ m: string }>(
        `SELECT to_char((now() AT TIME ZONE 'Asia/Jakarta') - interval '1 month', 'YYYY-MM') AS m`,
        [],
      );
      await db.query(`INSERT INTO limit_counters (user_id, counter, period, amount, count) VALUES ($1, 'month:in', $2, 2000000, 1)`, [
        user.id,
        lastMonth[0].m,
      ]);
      expect((await topUp(300_000)).status).toBe(201);
      const counters = await rows<{ counter: string; period: string; amount: string }>(
        `SELECT counter, period, amount FROM limit_counters WHERE user_id = $1 ORDER BY counter, period`,
        [user.id],
      );
      expect(counters).toEqual([
        { counter: 'day:TOP_UP:service', period: jakarta({ dateStyle: 'short' }), amount: '300000' },
        expect.objectContaining({ counter: 'hour:TOP_UP:service' }),
        { counter: 'month:in', period: lastMonth[0].m, amount: '2000000' },
        { counter: 'month:in', period: jakarta({ year: 'numeric', month: '2-digit' }), amount: '300000' },
        // Succeeded, but counted as pending until a later read of DOKU's balance shows it.
        { counter: 'pending:in', period: '-', amount: '300000' },
      ]);
    });

    it("a top-up DOKU settled is forgotten as pending once DOKU's balance is read after it (reconciliation)", async () => {
      const fresh = await walletUser(1_000_000);
      user = fresh.user;
      env.sim.control.setFaults([{ endpoint: 'topUp', type: 'pending', times: 1 }]);
      const waiting = await topUp(300_000);
      env.sim.control.setFaults([]);
      expect(waiting.status).toBe(202);
      // DOKU still shows 1,000,000: the waiting 300,000 counts, so 300,000 more does not fit in 1,500,000.
      const over = await topUp(300_000);
      expect(over.status).toBe(422);
      expect(over.body.error.details).toMatchObject({
        limit: 'MAX_BALANCE',
        balance: 1_000_000,
        pendingIncoming: 300_000,
        remaining: 200_000,
      });

      env.sim.control.resolve({ partnerReferenceNo: waiting.body.partnerReferenceNo, status: '00' });
      const settled = await env.t.http().get(`${base()}/${waiting.body.id}`).set(bearer(service));
      expect(settled.body.status).toBe('SUCCESS');
      // DOKU's balance now has the 300,000 and it is no longer pending: 200,000 fits exactly.
      const fits = await topUp(200_000);
      expect(fits.status).toBe(201);
      expect(Number(env.sim.control.getAccount(fresh.wallet.accountId).balance)).toBe(1_500_000);
      const pending = await rows<{ amount: string }>(`SELECT amount FROM limit_counters WHERE user_id = $1 AND counter = 'pending:in'`, [
        user.id,
      ]);
      expect(pending).toEqual([{ amount: '200000' }]);
    });

    it('concurrent top-ups cannot together pass the balance: pending amounts count until DOKU settles them', async () => {
      const fresh = await walletUser(1_000_000);
      user = fresh.user;
      // Inquiries first, so the confirmations race each other only.
      const inquiries = await Promise.all(
        Array.from({ length: 6 }, () => env.t.http().post(`${base()}/inquiries`).set(bearer(service)).send({ amount: 200_000 })),
      );
      env.sim.control.setFaults([{ endpoint: 'topUp', type: 'pending', times: 6 }]);
      try {
        const answers = await Promise.all(
          inquiries.map((inq) =>
            env.t.http().post(base()).set(bearer(service)).set('idempotency-key', key()).send({ inquiryId: inq.body.inquiryId }),
          ),
        );
        const statuses = answers.map((a) => a.status).sort();
        // 1,000,000 at DOKU leaves room for 500,000: two of 200,000, left PENDING by DOKU.
        expect(statuses).toEqual([202, 202, 422, 422, 422, 422]);
        for (const a of answers.filter((x) => x.status === 422)) expect(a.body.error.details.limit).toBe('MAX_BALANCE');
        const last = answers.filter((x) => x.status === 422).map((a) => a.body.error.details.pendingIncoming as number);
        expect(Math.max(...last)).toBe(400_000);
      } finally {
        env.sim.control.setFaults([]);
      }
      expect(await transactionsOf(user.id, 'TOP_UP')).toHaveLength(2);
    });
  });

  it('every reservation agrees with its transaction: live ones still counted, failed and canceled ones given back', async () => {
    const reservations = await rows<{ counter: string; status: string; type: string; released: boolean; settled: boolean }>(
      `SELECT r.counter, t.status, t.type, r.released_at IS NOT NULL AS released, r.settled_at IS NOT NULL AS settled
         FROM limit_reservations r JOIN transactions t ON t.id = r.transaction_id`,
      [],
    );
    expect(reservations.length).toBeGreaterThan(30);
    const wrong = reservations.filter((r) => {
      const live = ['PENDING', 'UNKNOWN', 'SUCCESS'].includes(r.status);
      if (!live) return !r.released;
      if (r.counter !== 'pending:in') return r.released;
      // A pending incoming amount leaves only once DOKU settled it (and a later balance read showed it).
      return r.released ? !(r.status === 'SUCCESS' && r.settled) : r.status === 'SUCCESS' && !r.settled;
    });
    expect(wrong).toEqual([]);
    // Every counter holds exactly what its open reservations add up to, but for the two rows the tests wrote by hand.
    const drift = await rows(
      `SELECT c.user_id, c.counter, c.period, c.amount, COALESCE(sum(r.amount) FILTER (WHERE r.released_at IS NULL), 0) AS reserved
         FROM limit_counters c
         LEFT JOIN limit_reservations r ON r.user_id = c.user_id AND r.counter = c.counter AND r.period = c.period
        GROUP BY c.user_id, c.counter, c.period, c.amount
       HAVING c.amount <> COALESCE(sum(r.amount) FILTER (WHERE r.released_at IS NULL), 0)`,
      [],
    );
    expect(drift).toHaveLength(2);
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ counter: 'day:DOKU_WALLET:user', amount: '100000', reserved: '50000' }),
        expect.objectContaining({ counter: 'month:in', amount: '2000000', reserved: '0' }),
      ]),
    );
  });

  it('the configuration is validated at start: a limit it cannot read stops the app', () => {
    // The same function main.ts builds the app's configuration with, before anything starts.
    expect(() => loadConfig({ NODE_ENV: 'test', EMONEY_CHANNEL_LIMITS: '{"DOKU_WALLET:user":{"perDay":-1}}' })).toThrow(
      /EMONEY_CHANNEL_LIMITS: "DOKU_WALLET:user".perDay must be a whole number of at least 1/,
    );
    expect(env.t.config.limits.channels['DOKU_WALLET:user']).toEqual({ perTransaction: 60_000, perDay: 100_000 });
  });
});
