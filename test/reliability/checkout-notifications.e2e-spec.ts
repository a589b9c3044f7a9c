import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { nonSnapSign, utcNow } from '../../simulator/src/handlers/checkout/checkout';
import type { SignedInUser } from '../support/actors';
import { registerUser } from '../support/actors';
import { until } from '../support/until';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import { notificationsSettled } from './support/doku-notifications';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { invariantViolations } from './support/reconcile';

/**
 * R4 for the DOKU e-Wallet checkout (docs/channels.md#doku-e-wallet-checkout, docs/reliability.md):
 * its notifications are non-SNAP (HMAC-SHA256 over Client-Id, Request-Id, Request-Timestamp, the
 * path and the body's digest) on a route of their own. Against real orders at the simulator:
 *
 * - a notification with one letter of its body changed, or signed with another secret, is 401 and
 *   stores nothing, moves nothing, writes no event;
 * - DOKU's own notification, delivered again and again under new Request-Ids, is acknowledged every
 *   time, stored once and applied once;
 * - a correctly signed notification that contradicts DOKU's status (the opposite result, late) is
 *   acknowledged but moves nothing: the status query decides, and a final state never moves back.
 *
 * The card channel has no R4: DOKU's KKI page documents no notification, and we do not rely on one.
 */
const TEST = 'R4-CHECKOUT';
const ORDERS = sized(8, 60);
const REPLAYS = 10;
const NOTIFY_PATH = '/v1/callbacks/doku/checkout';

jest.setTimeout(sized(120_000, 1_200_000));

describe('R4: DOKU e-Wallet checkout notifications under attack, replay and contradiction', () => {
  let env: ReliabilityEnv;
  beforeAll(async () => {
    announce(TEST);
    env = await startReliabilityEnv({
      sim: { seed: `${RELIABILITY_SEED}:${TEST}:sim`, checkout: { notify: { retryDelaysMs: [0, 300, 600], timeScale: 1 } } },
      env: { STATUS_QUERY_MIN_INTERVAL_MS: '200' },
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  it(`${ORDERS} orders: hostile notifications change nothing, replays are applied once, contradictions never move a final state`, async () => {
    const t0 = Date.now();
    const db = env.t.app.get(DataSource);
    const r = batteryRng(TEST);
    const merchant = env.t.config.doku.checkout!;
    const checkout = env.sim.channels.checkout;
    const tally = new Tally();
    const problems: string[] = [];

    /** Delivers `body` to our route as DOKU does, under a new Request-Id, signed over `signedBody` with `secret`. */
    const deliver = (body: string | Buffer, options: { secret?: string; signedBody?: string } = {}): Promise<RawResponse> => {
      const requestId = randomUUID();
      const timestamp = utcNow(Date.now());
      const signature = nonSnapSign(options.secret ?? merchant.secretKey, {
        clientId: merchant.clientId,
        requestId,
        timestamp,
        target: NOTIFY_PATH,
        body: options.signedBody ?? body.toString(),
      });
      return env.http.send('POST', NOTIFY_PATH, {
        body,
        contentType: 'application/json',
        headers: { 'client-id': merchant.clientId, 'request-id': requestId, 'request-timestamp': timestamp, signature },
      });
    };
    const stored = async (invoice?: string): Promise<number> =>
      (
        await db.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM doku_notifications WHERE signature_kind = 'checkout'${invoice ? ' AND partner_reference_no = $1' : ''}`,
          invoice ? [invoice] : [],
        )
      )[0].n;
    const outbox = async (): Promise<number> => (await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM outbox_events`))[0].n;
    const statusOf = async (id: string): Promise<string> =>
      (await db.query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = $1`, [id]))[0].status;

    interface Order {
      id: string;
      invoice: string;
      user: SignedInUser;
      result: 'SUCCESS' | 'FAILED';
    }
    const users = [await registerUser(env.t), await registerUser(env.t)];
    const orders: Order[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const user = users[i % users.length];
      const res = await env.http.send('POST', '/v1/purchases', {
        body: { amount: r.int(10_000, 90_000), description: `R4 checkout ${i}`, paymentMethod: 'DOKU_WALLET_CHECKOUT' },
        token: user.accessToken,
        idempotencyKey: `r4-checkout-${i}-${r.hex(12)}`,
      });
      if (res.status !== 201) throw new Error(`checkout purchase: ${res.status} ${res.text.slice(0, 200)}`);
      const [row] = await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [
        res.json?.id,
      ]);
      // The first is paid, the second fails, the rest at random.
      const result = i === 0 ? 'SUCCESS' : i === 1 ? 'FAILED' : r.next() < 0.7 ? 'SUCCESS' : 'FAILED';
      orders.push({ id: res.json?.id as string, invoice: row.partner_reference_no, user, result });
    }

    // Hostile, while every order waits at DOKU: a paid result with one byte changed (signed over the
    // original), and one signed with another secret. 401 each; nothing stored, moved or announced.
    const storedBefore = await stored();
    const outboxBefore = await outbox();
    for (const o of orders) {
      const order = checkout.find(merchant.clientId, o.invoice)!;
      const claim = JSON.stringify({ ...checkout.envelope(order), transaction: { status: 'SUCCESS', date: utcNow(Date.now()) } });
      // One letter changed for another: the body stays JSON, so only the signature can refuse it.
      const bytes = Buffer.from(claim, 'utf8');
      const letters = [...bytes.keys()].filter((i) => /[A-Za-z]/.test(String.fromCharCode(bytes[i])));
      const at = letters[r.int(0, letters.length - 1)];
      bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
      const tampered = await deliver(bytes, { signedBody: claim });
      tally.add('tamperedBody');
      if (tampered.status !== 401) problems.push(`${o.invoice}: tampered body answered ${tampered.status} ${tampered.text.slice(0, 200)}`);
      const forged = await deliver(claim, { secret: `${merchant.secretKey}-forged` });
      tally.add('forgedSignature');
      if (forged.status !== 401) problems.push(`${o.invoice}: forged signature answered ${forged.status} ${forged.text.slice(0, 200)}`);
      if ((await statusOf(o.id)) !== 'PENDING') problems.push(`${o.invoice}: a hostile notification moved the purchase`);
    }
    if ((await stored()) !== storedBefore) problems.push('a hostile checkout notification was stored');
    if ((await outbox()) !== outboxBefore) problems.push('a hostile checkout notification wrote an event');

    // The customers finish on DOKU's page; DOKU notifies us itself.
    for (const o of orders) {
      const res = await fetch(`${env.sim.url}/_sim/checkout/orders/${o.invoice}/pay`, {
        method: 'POST',
        body: JSON.stringify({ result: o.result }),
      });
      if (res.status !== 200) problems.push(`${o.invoice}: paying at DOKU answered ${res.status}`);
    }
    for (const o of orders) {
      const got = await until(
        () => statusOf(o.id),
        (s) => s !== 'PENDING' && s !== 'UNKNOWN',
        20_000,
      );
      if (got !== o.result) problems.push(`${o.invoice}: ${got} after DOKU's notification, DOKU says ${o.result}`);
    }

    // DOKU's own notification again, REPLAYS times, each under a new Request-Id: acknowledged, stored once.
    const settledOutbox = await outbox();
    for (const o of orders) {
      const body = JSON.stringify(checkout.envelope(checkout.find(merchant.clientId, o.invoice)!));
      for (let k = 0; k < REPLAYS; k++) {
        const res = await deliver(body);
        tally.add('replay');
        if (res.status !== 200) problems.push(`${o.invoice}: replay ${k} answered ${res.status} ${res.text.slice(0, 200)}`);
      }
      const n = await stored(o.invoice);
      if (n !== 1) problems.push(`${o.invoice}: ${n} stored notifications after ${REPLAYS} replays of DOKU's one`);
    }
    // Late and contradicting DOKU: the opposite result, correctly signed. Acknowledged; the status query decides.
    for (const o of orders) {
      const order = checkout.find(merchant.clientId, o.invoice)!;
      const opposite = o.result === 'SUCCESS' ? 'FAILED' : 'SUCCESS';
      const res = await deliver(
        JSON.stringify({ ...checkout.envelope(order), transaction: { status: opposite, date: utcNow(Date.now()) } }),
      );
      tally.add('contradiction');
      if (res.status !== 200) problems.push(`${o.invoice}: contradiction answered ${res.status} ${res.text.slice(0, 200)}`);
    }
    await notificationsSettled(db, {});
    for (const o of orders) {
      const got = await statusOf(o.id);
      if (got !== o.result) problems.push(`${o.invoice}: ${got} after replays and a contradiction, DOKU says ${o.result}`);
    }
    if ((await outbox()) !== settledOutbox) problems.push('a replay or a contradiction wrote an event');

    // One final event per order, and ours equal to DOKU's.
    const finals = await db.query<Array<{ aggregate_id: string; n: number }>>(
      `SELECT aggregate_id, count(*)::int AS n FROM outbox_events WHERE payload->>'status' IN ('SUCCESS','FAILED') GROUP BY aggregate_id`,
    );
    const finalCount = new Map(finals.map((f) => [f.aggregate_id, f.n]));
    for (const o of orders) {
      if (finalCount.get(o.id) !== 1) problems.push(`${o.invoice}: ${finalCount.get(o.id) ?? 0} final events`);
      if (checkout.find(merchant.clientId, o.invoice)?.status !== o.result) problems.push(`${o.invoice}: DOKU's order is not ${o.result}`);
    }
    const invariants = await invariantViolations(db);
    printFigures(TEST, {
      scenario: 'checkoutNotifications',
      orders: orders.length,
      paid: orders.filter((o) => o.result === 'SUCCESS').length,
      fired: tally.counts,
      dokuDeliveries: checkout.notifications.length,
      invariantViolations: invariants.length,
      serverErrors: env.http.serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
    });

    expect(problems.slice(0, 15)).toEqual([]);
    expect(
      belowMinimum(tally.counts, { tamperedBody: ORDERS, forgedSignature: ORDERS, replay: ORDERS * REPLAYS, contradiction: ORDERS }),
    ).toEqual([]);
    expect(orders.some((o) => o.result === 'SUCCESS') && orders.some((o) => o.result === 'FAILED')).toBe(true);
    expect(invariants).toEqual([]);
    expect(env.http.serverErrors).toBe(0);
  });
});
