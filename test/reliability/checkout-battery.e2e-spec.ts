import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import type { FaultFiring, FaultType } from '../../simulator/src/faults';
import type { SignedInUser } from '../support/actors';
import { registerUser } from '../support/actors';
import type { ReliabilityEnv } from './support/env';
import { closedAfterEach, startReliabilityEnv } from './support/env';
import { announce, Barrier, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { isStableErrorBody } from './support/http-client';
import { invariantViolations } from './support/reconcile';
import type { CrashBattery, PurchaseCrash } from './support/purchase-crash';
import { checkFinalAnswer, CRASH_POINTS, crashEach, restartAndConverge } from './support/purchase-crash';
import type { ChannelOp } from './support/channel-faults';
import { channelFaultRules, channelRun, landedAtSimulator, MONEY_FAULTS } from './support/channel-faults';

/**
 * The money battery for the DOKU e-Wallet checkout channel (docs/channels.md#doku-e-wallet-checkout,
 * docs/reliability.md), in a file of its own:
 *
 * - concurrent identical POSTs under one Idempotency-Key make exactly one order at DOKU;
 * - order creation under every fault (refused, dropped after applying, 5xx before and after, past
 *   our timeout, a broken body, an answer signed with the wrong key) and status queries under 5xx,
 *   broken and wrongly signed answers, with some of DOKU's notifications wrongly signed too: after the
 *   reconciler and the customers' reads have settled everything, every purchase is what DOKU says
 *   (0 lost, 0 applied twice, 0 left open), and every call whose answer was lost answered 202.
 *
 * Faults are keyed on the order's amount, which the plan makes unique, so a seed replays them.
 */
const TEST = 'CHECKOUT';
const KEYS = sized(10, 60);
const M = sized(8, 30);
const MISMATCH_KEYS = sized(3, 10);
const PAYMENTS = sized(40, 400);
const CONCURRENCY = 8;
const DOKU_TIMEOUT_MS = 1_000;
/** Past the client timeout: DOKU still creates the order, after we gave up on it. */
const LATENCY_MS = 1_800;
/** Longer than any late call, so a late order is never taken for a missing one. */
const GRACE_MS = 4_000;
const RECHECK_SCHEDULE = Array.from({ length: 40 }, (_, i) => Math.min(1 + i, 3)).join(',');
const PAYMENT_FAULTS = [...MONEY_FAULTS, 'bad_signature'] as const satisfies readonly FaultType[];
const STATUS_FAULTS = ['error_before', 'malformed', 'bad_signature'] as const satisfies readonly FaultType[];
const PAYMENT_FAULT_P = 0.1;
const STATUS_FAULT_P = 0.1;
const CONVERGE_MS = sized(60_000, 600_000);
const POLL_MS = 500;

jest.setTimeout(sized(170_000, 3_600_000));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Battery: DOKU e-Wallet checkout purchases', () => {
  beforeAll(() => announce(TEST));
  const opened = closedAfterEach();

  const environment = async (label: string, extra: Record<string, string> = {}): Promise<ReliabilityEnv> => {
    const env = await startReliabilityEnv({
      sim: { seed: `${RELIABILITY_SEED}:${TEST}:${label}:sim`, checkout: { notify: { retryDelaysMs: [0, 300, 600], timeScale: 1 } } },
      env: {
        DOKU_TIMEOUT_MS: String(DOKU_TIMEOUT_MS),
        ACCESS_TOKEN_TTL_SECONDS: '7200',
        ...extra,
      },
      connections: CONCURRENCY * 4 + 16,
    });
    opened.push(env);
    return env;
  };
  /** The simulator's orders of this merchant, by invoice number (there is one map entry per invoice). */
  const ordersAtDoku = (env: ReliabilityEnv) => {
    const clientId = env.t.config.doku.checkout!.clientId;
    return new Map([...env.sim.channels.checkout.orders.values()].filter((o) => o.clientId === clientId).map((o) => [o.invoiceNumber, o]));
  };
  const payAtDoku = async (env: ReliabilityEnv, invoice: string, result: 'SUCCESS' | 'FAILED'): Promise<number> =>
    (await fetch(`${env.sim.url}/_sim/checkout/orders/${invoice}/pay`, { method: 'POST', body: JSON.stringify({ result }) })).status;
  const buy = (env: ReliabilityEnv, user: SignedInUser, amount: number, key: string): Promise<RawResponse> =>
    env.http.send('POST', '/v1/purchases', {
      body: { amount, description: `Checkout battery ${key}`, paymentMethod: 'DOKU_WALLET_CHECKOUT' },
      token: user.accessToken,
      idempotencyKey: key,
    });

  it(`${KEYS} keys x ${M} concurrent identical POSTs make exactly one DOKU order per key`, async () => {
    const t0 = Date.now();
    // This scenario is about one DOKU order per key, not about timeouts: DOKU's 300 ms must never
    // pass for a lost answer, however loaded the machine (the card battery's keys scenario alike).
    const env = await environment('keys', { DOKU_TIMEOUT_MS: '20000' });
    const db = env.t.app.get(DataSource);
    const rng = batteryRng(TEST).fork('keys');
    const users = [await registerUser(env.t), await registerUser(env.t)];
    const tally = new Tally();
    const problems: string[] = [];
    // DOKU takes a moment: the first request of a key is still at DOKU while the others arrive.
    env.sim.control.setFaults([{ id: 'checkout-latency', endpoint: 'checkoutPayment', type: 'latency', latencyMs: 300 }]);
    const plans = Array.from({ length: KEYS }, (_, i) => ({
      key: `cb-key-${i}-${rng.hex(12)}`,
      user: rng.pick(users),
      amount: rng.int(1_000, 100_000),
    }));
    const barrier = new Barrier(KEYS * M);
    const answers = await Promise.all(
      plans.map(async (plan) => ({
        plan,
        responses: await Promise.all(
          Array.from({ length: M }, async () => {
            await barrier.arrive();
            return buy(env, plan.user, plan.amount, plan.key);
          }),
        ),
      })),
    );
    for (const { plan, responses } of answers) {
      const finals = responses.filter((r) => r.status !== 409);
      for (const r of responses.filter((x) => x.status === 409)) {
        tally.add('inFlight409');
        if (!isStableErrorBody(r.json) || r.json.error.code !== 'IDEMPOTENCY.IN_FLIGHT')
          problems.push(`${plan.key}: 409 ${r.text.slice(0, 200)}`);
      }
      if (finals.length === 0) problems.push(`${plan.key}: no final answer`);
      for (const r of finals) {
        if (r.status !== 201 || !isDeepStrictEqual(r.json, finals[0].json))
          problems.push(`${plan.key}: answered ${r.status} ${r.text.slice(0, 200)}`);
      }
      const again = await buy(env, plan.user, plan.amount, plan.key);
      if (again.headers['idempotent-replayed'] === 'true' && again.status === 201 && isDeepStrictEqual(again.json, finals[0]?.json))
        tally.add('replayed');
      else problems.push(`${plan.key}: the retry answered ${again.status} ${again.text.slice(0, 200)}`);
    }
    const createdAtDoku = ordersAtDoku(env).size;
    // The same keys with another amount: refused, and nothing more reaches DOKU.
    for (const plan of rng.shuffle(plans).slice(0, MISMATCH_KEYS)) {
      const other = await buy(env, plan.user, plan.amount + 1, plan.key);
      if (other.status === 422 && other.json?.error?.code === 'IDEMPOTENCY.KEY_REUSED') tally.add('mismatch422');
      else problems.push(`${plan.key}: another body answered ${other.status} ${other.text.slice(0, 200)}`);
    }
    const afterMismatch = ordersAtDoku(env).size;

    const rows = await db.query<Array<{ key: string; id: string; partner_reference_no: string; doku_external_id: string; amount: string }>>(
      `SELECT k.key, t.id, t.partner_reference_no, t.doku_external_id, t.amount::text AS amount
         FROM idempotency_keys k JOIN transactions t ON t.id = k.transaction_id WHERE k.key LIKE 'cb-key-%'`,
    );
    const intents = (
      await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM transactions WHERE payment_method = 'DOKU_WALLET_CHECKOUT'`)
    )[0].n;
    const orders = ordersAtDoku(env);
    for (const row of rows) {
      const order = orders.get(row.partner_reference_no);
      // The order DOKU has carries the Request-Id we stored before calling, and our amount.
      if (!order || order.requestId !== row.doku_external_id || String(order.amount) !== row.amount) {
        problems.push(`${row.key}: DOKU has ${JSON.stringify(order ? { requestId: order.requestId, amount: order.amount } : null)}`);
      }
    }
    // Every customer pays; reading the purchase settles it.
    await mapLimit(rows, 8, async (row) => {
      if ((await payAtDoku(env, row.partner_reference_no, 'SUCCESS')) !== 200) problems.push(`${row.key}: could not pay at DOKU`);
      const owner = answers.find((a) => a.plan.key === row.key)!.plan.user;
      const read = await env.http.get(`/v1/purchases/${row.id}`, owner.accessToken);
      if (read.status !== 200 || read.json?.status !== 'SUCCESS')
        problems.push(`${row.key}: after paying ${read.status} ${read.text.slice(0, 200)}`);
    });
    const invariants = await invariantViolations(db);
    const fired = { ...tally.counts, latency: env.sim.control.listFaults().rules.find((r) => r.id === 'checkout-latency')?.fired ?? 0 };
    printFigures(TEST, {
      scenario: 'checkoutKeys',
      keys: KEYS,
      concurrentPerKey: M,
      requests: env.http.requests,
      faultsFired: fired,
      ordersAtDoku: createdAtDoku,
      ordersAtDokuAfterMismatches: afterMismatch,
      intents,
      invariantViolations: invariants.length,
      serverErrors: env.http.serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(fired, { latency: KEYS, inFlight409: 1, replayed: KEYS, mismatch422: MISMATCH_KEYS })).toEqual([]);
    expect({ createdAtDoku, afterMismatch, intents, keys: rows.length }).toEqual({
      createdAtDoku: KEYS,
      afterMismatch: KEYS,
      intents: KEYS,
      keys: KEYS,
    });
    expect(invariants).toEqual([]);
    expect(env.http.serverErrors).toBe(0);
  });

  it(`${PAYMENTS} orders under every fault of the order call and the status query converge with 0 lost, 0 double-applied`, async () => {
    const t0 = Date.now();
    const env = await environment('faults', {
      RECONCILER_ENABLED: 'true',
      RECONCILER_INTERVAL_MS: '200',
      RECONCILER_BATCH_SIZE: '50',
      RECONCILER_NOT_FOUND_GRACE_MS: String(GRACE_MS),
      RECONCILER_SCHEDULE_SECONDS: RECHECK_SCHEDULE,
    });
    const db = env.t.app.get(DataSource);
    const rng = batteryRng(TEST).fork('faults');
    const users: SignedInUser[] = [];
    for (let i = 0; i < 4; i++) users.push(await registerUser(env.t));
    const run = channelRun<ChannelOp>(env, users, {
      keyPrefix: 'cb-pay-',
      convergeMs: CONVERGE_MS,
      pollMs: POLL_MS,
    });
    const { problems, answers } = run;
    // Phase 0: each fault of the order call once, one order at a time, so every kind is proven to
    // have happened whatever the seed; the firing log is kept before the next rules replace it.
    const firings: FaultFiring[] = [];
    const first = PAYMENT_FAULTS.map((type, i) => ({ key: `cb-pay-f${i}`, amount: 40_000 + i, user: users[i % users.length], type }));
    const sent: Array<{ key: string; amount: number; answer: RawResponse }> = [];
    for (const f of first) {
      env.sim.control.setFaults([
        {
          id: `${f.type}@checkoutPayment:once`,
          endpoint: 'checkoutPayment',
          type: f.type,
          times: 1,
          keyBy: 'amount',
          ...(f.type === 'latency' ? { latencyMs: LATENCY_MS } : {}),
        },
      ]);
      const answer = await buy(env, f.user, f.amount, f.key);
      answers.add(String(answer.status));
      sent.push({ ...f, answer });
      firings.push(...env.sim.control.faultFirings());
    }

    // Phase 1: the orders under every fault at random, each amount unique (the faults are keyed on it).
    env.sim.control.setFaults(
      channelFaultRules({
        money: ['checkoutPayment'],
        moneyFaults: PAYMENT_FAULTS,
        probability: PAYMENT_FAULT_P,
        status: 'checkoutStatus',
        statusFaults: STATUS_FAULTS,
        statusProbability: STATUS_FAULT_P,
        latencyMs: LATENCY_MS,
      }),
      `${RELIABILITY_SEED}:${TEST}:faults`,
    );
    const main = Array.from({ length: PAYMENTS }, (_, i) => ({ key: `cb-pay-${i}`, amount: 50_000 + i, user: users[i % users.length] }));
    sent.push(
      ...(await mapLimit(main, CONCURRENCY, async (p) => {
        const answer = await buy(env, p.user, p.amount, p.key);
        answers.add(String(answer.status));
        return { ...p, answer };
      })),
    );
    const plan = [...first, ...main];
    // DOKU lands the late ones before the customers act (a fixed wait missed one on a loaded machine).
    const unlanded = await landedAtSimulator(env, ['checkoutPayment'], LATENCY_MS);
    if (unlanded > 0) problems.push(`${unlanded} order calls we made never finished at the simulator`);

    // The customers, on DOKU's page, for every order DOKU has: most pay, some give up. An order the
    // reconciler sends again (DOKU never had it) reaches DOKU later; its customer decides then.
    let keys = await run.byKey();
    const decided = new Map<string, 'SUCCESS' | 'FAILED'>();
    const customersDecide = async () => {
      const orders = ordersAtDoku(env);
      for (const p of plan) {
        const row = keys.get(p.key);
        if (decided.has(p.key) || !row || orders.get(row.partner_reference_no)?.status !== 'PENDING') continue;
        const result = rng.next() < 0.8 ? 'SUCCESS' : 'FAILED';
        if ((await payAtDoku(env, row.partner_reference_no, result)) === 200) decided.set(p.key, result);
        else problems.push(`${p.key}: could not decide at DOKU`);
      }
    };
    await customersDecide();

    // Converge: the reconciler runs; the customers' apps read their purchases now and then.
    const open = await run.converge(customersDecide);
    keys = await run.byKey();

    // Every answer was 201 or, when DOKU's answer was lost, 202 UNKNOWN; never a 4xx or 5xx.
    firings.push(...env.sim.control.faultFirings());
    const faulted = new Set(firings.filter((f) => f.endpoint === 'checkoutPayment').map((f) => f.key));
    for (const s of sent) {
      if (s.answer.status >= 400) problems.push(`${s.key}: ${s.answer.status} ${s.answer.text.slice(0, 200)}`);
      if (faulted.has(`amount:${s.amount}`)) run.faultedAnswer(s.key, s.answer);
    }

    // Ours against DOKU's: paid at DOKU is SUCCESS with us, and the other way round; nothing twice.
    const orders = ordersAtDoku(env);
    const ours = await db.query<Array<{ id: string; status: string; amount: string; partner_reference_no: string }>>(
      `SELECT id, status, amount::text AS amount, partner_reference_no FROM transactions WHERE payment_method = 'DOKU_WALLET_CHECKOUT'`,
    );
    const successEvents = new Map(
      (
        await db.query<Array<{ aggregate_id: string; n: number }>>(
          `SELECT aggregate_id, count(*)::int AS n FROM outbox_events WHERE payload->>'status' = 'SUCCESS' GROUP BY aggregate_id`,
        )
      ).map((r) => [r.aggregate_id, r.n]),
    );
    let lost = 0;
    let doubleApplied = 0;
    let match = 0;
    const mismatch: string[] = [];
    for (const o of ours) {
      const at = orders.get(o.partner_reference_no);
      if ((successEvents.get(o.id) ?? 0) > 1) doubleApplied++;
      if (!at) {
        if (o.status === 'FAILED') match++;
        else mismatch.push(`${o.partner_reference_no}: ours ${o.status}, not at DOKU`);
        continue;
      }
      if (String(at.amount) !== o.amount) mismatch.push(`${o.partner_reference_no}: amount ${o.amount} / DOKU ${at.amount}`);
      if (at.status === 'SUCCESS' && o.status !== 'SUCCESS') lost++;
      if (o.status === at.status) match++;
      else mismatch.push(`${o.partner_reference_no}: ours ${o.status}, DOKU ${at.status}`);
    }
    const known = new Set(ours.map((o) => o.partner_reference_no));
    const strays = [...orders.keys()].filter((invoice) => !known.has(invoice));
    for (const p of plan) {
      const row = keys.get(p.key);
      const status = ours.find((o) => o.id === row?.id)?.status;
      const want = decided.get(p.key) ?? 'FAILED';
      if (status !== want) problems.push(`${p.key}: ${status}, expected ${want}`);
    }
    const invariants = await invariantViolations(db);
    const fired = new Tally();
    for (const f of firings) {
      if (f.endpoint === 'checkoutStatus') fired.add(`status_${f.type}`);
      // Orders completed while the bad-signature rule fires have their notifications signed wrongly too.
      else if (f.key.startsWith('notify:')) fired.add(`notify_${f.type}`);
      else fired.add(f.type);
    }
    const notifications = env.sim.channels.checkout.notifications;
    const refusedNotifications = notifications.filter((n) => n.status === 401).length;
    printFigures(TEST, {
      scenario: 'checkoutFaults',
      payments: PAYMENTS,
      decided: decided.size,
      paid: [...decided.values()].filter((v) => v === 'SUCCESS').length,
      answers: answers.counts,
      faultsFired: fired.counts,
      notificationsSent: notifications.length,
      notificationsRefused401: refusedNotifications,
      match,
      mismatch: mismatch.length,
      strays: strays.length,
      lost,
      doubleApplied,
      unresolved: open,
      invariantViolations: invariants.length,
      serverErrors: env.http.serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
    });

    expect(problems.slice(0, 15)).toEqual([]);
    expect(
      belowMinimum(fired.counts, {
        ...Object.fromEntries(PAYMENT_FAULTS.map((t) => [t, 1])),
        ...Object.fromEntries(STATUS_FAULTS.map((t) => [`status_${t}`, 1])),
      }),
    ).toEqual([]);
    expect({ lost, doubleApplied, unresolved: open, mismatch, strays }).toEqual({
      lost: 0,
      doubleApplied: 0,
      unresolved: 0,
      mismatch: [],
      strays: [],
    });
    expect(decided.size).toBeGreaterThan(0);
    expect(invariants).toEqual([]);
    expect(env.http.serverErrors).toBe(0);
  });

  it('kill -9 at every point of a checkout order, then one restart: every order converges with what DOKU has, none paid twice', async () => {
    const t0 = Date.now();
    const env = await environment('crash');
    const db = env.t.app.get(DataSource);
    const rng = batteryRng(TEST).fork('crash');
    const user = await registerUser(env.t);
    const run: CrashBattery = {
      env,
      endpoint: 'checkoutPayment',
      token: user.accessToken,
      dokuTimeoutMs: String(DOKU_TIMEOUT_MS),
      problems: [],
      tally: new Tally(),
      children: [],
    };
    const { problems, tally } = run;
    try {
      const crashes: PurchaseCrash[] = CRASH_POINTS.flatMap((point, p) =>
        [0, 1].map((i) => ({
          point,
          key: `checkout-crash-${p}-${i}-${rng.hex(12)}`,
          body: { amount: 70_000 + p * 10 + i, description: `Checkout crash ${p}/${i}`, paymentMethod: 'DOKU_WALLET_CHECKOUT' },
        })),
      );
      await crashEach(run, crashes);
      // DOKU finishes the calls the dead processes made; then each customer pays the order DOKU has.
      await sleep(1_000);
      const reference = async (id: string | undefined) =>
        (await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id]))[0]
          ?.partner_reference_no;
      for (const crash of crashes) {
        const invoice = await reference(crash.transactionId);
        if (invoice && ordersAtDoku(env).has(invoice))
          tally.add(`paid at DOKU`, (await payAtDoku(env, invoice, 'SUCCESS')) === 200 ? 1 : 0);
      }
      const finals = await restartAndConverge(run, crashes, { convergeMs: CONVERGE_MS, recheckSchedule: RECHECK_SCHEDULE });

      const orders = ordersAtDoku(env);
      for (const crash of crashes) {
        const [row] = await db.query<Array<{ status: string; partner_reference_no: string }>>(
          `SELECT status, partner_reference_no FROM transactions WHERE id = $1`,
          [crash.transactionId],
        );
        const atDoku = orders.get(row?.partner_reference_no ?? '');
        // DOKU never received an order killed before the call: FAILED once "not found" outlives the grace period.
        const want = crash.point === 'money.after-intent-commit' ? 'FAILED' : 'SUCCESS';
        if (row?.status !== want) problems.push(`${crash.key}: ${row?.status}, expected ${want}`);
        if ((atDoku?.status === 'SUCCESS') !== (want === 'SUCCESS'))
          problems.push(`${crash.key}: at DOKU ${atDoku?.status}, ours ${row?.status}`);
        checkFinalAnswer(crash, finals.get(crash.key), want, problems);
      }
      // One SUCCESS event per paid order: none applied twice.
      const successEvents = await db.query<Array<{ aggregate_id: string; n: number }>>(
        `SELECT aggregate_id, count(*)::int AS n FROM outbox_events WHERE payload->>'status' = 'SUCCESS' GROUP BY aggregate_id HAVING count(*) > 1`,
      );
      const invariants = await invariantViolations(db);
      printFigures(TEST, {
        scenario: 'checkoutCrash',
        crashes: crashes.length,
        killed: tally.counts,
        ordersAtDoku: orders.size,
        doubleApplied: successEvents.length,
        problems: problems.length,
        ms: Date.now() - t0,
      });
      expect(problems).toEqual([]);
      expect(belowMinimum(tally.counts, { ...Object.fromEntries(CRASH_POINTS.map((p) => [p, 2])), 'paid at DOKU': 6 })).toEqual([]);
      expect(orders.size).toBe(6);
      expect(successEvents).toEqual([]);
      expect(invariants).toEqual([]);
    } finally {
      await Promise.all(run.children.map((c) => c.kill9()));
    }
  });
});
