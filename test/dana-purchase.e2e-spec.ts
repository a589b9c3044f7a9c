import { randomUUID } from 'node:crypto';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import { answerDanaPage, startWalletEnv } from './support/wallet-fixtures';
import { until } from './support/until';
import { useChannelPurchaseSuite } from './support/channel-purchase';

/**
 * DANA one-time payments (docs/channels.md) through the partner API, over real HTTP against the
 * simulator: no wallet, no binding. The simulator's DANA ledger is the ground truth of how many
 * payments and refunds happened.
 */
describe('DANA purchases (e2e, simulator)', () => {
  // A short DOKU timeout so injected latency leaves intents UNKNOWN quickly.
  // Polls ask DOKU at most once per STATUS_QUERY_MIN_INTERVAL_MS per purchase: short here.
  const suite = useChannelPurchaseSuite(() =>
    startWalletEnv({ DOKU_TIMEOUT_MS: '2000', STATUS_QUERY_MIN_INTERVAL_MS: '200' }, { notifications: true }),
  );
  const { env, http, key, auth, db, getPurchase, refund } = suite;
  const device = { deviceId: 'Pixel7a0123', ipAddress: '10.20.30.40' };

  const buy = suite.buyer({ paymentMethod: 'DANA', ...device });
  const row = suite.rowReader<{ partner_reference_no: string; status: string; payment_method: string; refund_reserved_amount: string }>(
    'partner_reference_no, status, payment_method, refund_reserved_amount::text',
  );
  const danaLedger = (partnerReferenceNo: string) => env.sim.control.ledger({ partnerReferenceNo });

  async function paidDana(user: SignedInUser, amount: number): Promise<string> {
    const created = await buy(user, { amount });
    expect(created.status).toBe(201);
    env.sim.control.danaPay({ partnerReferenceNo: (await row(created.body.id)).partner_reference_no, outcome: 'approve' });
    expect((await getPurchase(user, created.body.id)).body.status).toBe('SUCCESS');
    return created.body.id as string;
  }

  it('purchase without any wallet → DANA page → approve → notification → SUCCESS; history and events show DANA', async () => {
    const user = await registerUser(env.t);
    const created = await buy(user, { amount: 150_000, description: 'Sepatu lari' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'PENDING',
      amount: 150_000,
      paymentMethod: 'DANA',
      webRedirectUrl: expect.stringContaining(`${env.sim.url}/dana/pay?token=`),
    });
    const stored = await row(created.body.id);
    expect(stored).toMatchObject({ status: 'PENDING', payment_method: 'DANA' });
    expect(stored.partner_reference_no).toMatch(/^DNA-[0-9a-f]{32}$/);
    // The device headers reached DOKU as given; the mobile app pays in-app.
    expect(env.sim.control.danaPayment({ partnerReferenceNo: stored.partner_reference_no })).toMatchObject({
      status: '01',
      amount: '150000.00',
      deviceId: 'Pixel7a0123',
      ipAddress: '10.20.30.40',
      pointOfInitiation: 'app',
    });

    // The customer approves in DANA; the browser comes back to our PAY_RETURN page.
    const back = await answerDanaPage(created.body.webRedirectUrl, 'approve');
    expect(back.startsWith(`${env.t.url}/v1/callbacks/doku/purchase?ref=${stored.partner_reference_no}`)).toBe(true);
    // Without anyone polling: DOKU's notification, confirmed by DANA's status query, settles it.
    const settled = await until(
      () => row(created.body.id),
      (r) => r.status === 'SUCCESS',
    );
    expect(settled.status).toBe('SUCCESS');
    const notes = await db().query<Array<{ processed_at: Date | null }>>(
      `SELECT processed_at FROM doku_notifications WHERE partner_reference_no = $1`,
      [stored.partner_reference_no],
    );
    expect(notes.length).toBeGreaterThan(0);
    expect(danaLedger(stored.partner_reference_no)).toMatchObject({ debitCount: 1, debitTotal: '150000.00' });

    const got = await getPurchase(user, created.body.id);
    expect(got.body).toMatchObject({ status: 'SUCCESS', paymentMethod: 'DANA', refundedAmount: 0, webRedirectUrl: null });
    const history = await http().get('/v1/transactions').set(auth(user.accessToken));
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([expect.objectContaining({ id: created.body.id, paymentMethod: 'DANA', status: 'SUCCESS' })]);
    const detail = await http().get(`/v1/transactions/${created.body.id}`).set(auth(user.accessToken));
    expect(detail.body).toMatchObject({ paymentMethod: 'DANA', status: 'SUCCESS', dokuAvailable: true });
    const events = await db().query<Array<{ payload: { status: string; paymentMethod: string } }>>(
      `SELECT payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY created_at`,
      [created.body.id],
    );
    expect(events.map((e) => [e.payload.status, e.payload.paymentMethod])).toEqual([
      ['PENDING', 'DANA'],
      ['SUCCESS', 'DANA'],
    ]);
  });

  it('the customer declines in DANA → FAILED, nothing debited; a DANA purchase cannot be canceled, only refunded', async () => {
    const user = await registerUser(env.t);
    const created = await buy(user, { amount: 20_000 });
    const back = await answerDanaPage(created.body.webRedirectUrl, 'decline');
    expect(new URL(back).searchParams.get('status')).toBe('FAILED');
    const got = await until(
      () => getPurchase(user, created.body.id),
      (r) => r.body.status === 'FAILED',
    );
    expect(got.body).toMatchObject({ status: 'FAILED', paymentMethod: 'DANA' });
    expect(danaLedger((await row(created.body.id)).partner_reference_no).debitCount).toBe(0);

    const open = await buy(user, { amount: 5_000 });
    const cancel = await http()
      .post(`/v1/purchases/${open.body.id}/cancel`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({});
    expect(cancel.status).toBe(409);
    expect(cancel.body.error).toMatchObject({ code: 'PURCHASE.NOT_CANCELABLE', details: { paymentMethod: 'DANA' } });
    expect((await row(open.body.id)).status).toBe('PENDING');
  });

  it('DOKU slower than our timeout: UNKNOWN (202), then DANA status query (poll or reconciler) settles it, with one payment', async () => {
    const user = await registerUser(env.t);
    env.sim.control.setFaults([{ endpoint: 'danaPayment', type: 'latency', latencyMs: 3000, times: 1 }]);
    const created = await buy(user, { amount: 25_000 });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'UNKNOWN',
      amount: 25_000,
      paymentMethod: 'DANA',
      webRedirectUrl: null,
    });
    const ref = (await row(created.body.id)).partner_reference_no;

    // The reconciler asks DANA's status query (registered for DANA through the resolver registry),
    // once DOKU has the late payment: checks run in a loop while DOKU still sleeps on it would each
    // spend one of the reconciler's scheduled checks.
    await until(
      () => Promise.resolve(env.sim.control.danaPayments().some((p) => p.partnerReferenceNo === ref)),
      (known) => known,
      10_000,
    );
    await db().query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE id = $1`, [created.body.id]);
    await env.t.app.get(ReconciliationService).runOnce();
    expect((await row(created.body.id)).status).toBe('PENDING');
    // Its exchange record is written in the background.
    const statusQueries = await until(
      () =>
        db().query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'danaStatus' AND partner_reference = $1`,
          [ref],
        ),
      (rows) => rows[0].n > 0,
    );
    expect(statusQueries[0].n).toBeGreaterThan(0);
    env.sim.control.danaPay({ partnerReferenceNo: ref, outcome: 'approve' });
    // The next poll after the interval asks DANA's status query and settles it.
    const settled = await until(
      () => getPurchase(user, created.body.id),
      (r) => r.body.status === 'SUCCESS',
      5000,
    );
    expect(settled.body.status).toBe('SUCCESS');
    expect(danaLedger(ref).debitCount).toBe(1);
    const payments = await db().query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'danaPayment' AND partner_reference = $1`,
      [ref],
    );
    expect(payments[0].n).toBe(1);
  });

  it('partial refunds through DANA; a lost refund answer keeps its amount reserved until the status query settles it', async () => {
    const user = await registerUser(env.t);
    const id = await paidDana(user, 50_000);
    const ref = (await row(id)).partner_reference_no;

    const first = await refund(user.id, id, 10_000);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'SUCCESS', amount: 10_000, purchaseRefundedAmount: 10_000 });
    expect((await row(first.body.id)).payment_method).toBe('DANA');

    env.sim.control.setFaults([{ endpoint: 'danaRefund', type: 'drop', times: 1 }]);
    const lost = await refund(user.id, id, 20_000);
    expect(lost.status).toBe(202);
    expect(lost.body.status).toBe('UNKNOWN');
    // Never released on an unknown outcome: 30,000 more would exceed what was paid.
    const over = await refund(user.id, id, 30_000);
    expect(over.status).toBe(422);
    expect(over.body.error.code).toBe('PURCHASE.REFUND_EXCEEDS_PAID');
    // Reserved, or already refunded if DOKU's refund notification settled it meanwhile; never released.
    const held = await db().query<Array<{ n: string }>>(
      `SELECT (refund_reserved_amount + refunded_amount)::text AS n FROM transactions WHERE id = $1`,
      [id],
    );
    expect(held[0].n).toBe('30000');

    // The app polls: DOKU is asked at most once per STATUS_QUERY_MIN_INTERVAL_MS per purchase, and the
    // purchase's own status query (paidDana) may be less than that ago on a fast machine.
    const settled = await until(
      () => getPurchase(user, id),
      (r) => r.body.refundedAmount === 30_000,
      5000,
    );
    expect(settled.body.refundedAmount).toBe(30_000);
    expect(settled.body.refunds).toEqual([
      expect.objectContaining({ id: first.body.id, status: 'SUCCESS' }),
      expect.objectContaining({ id: lost.body.id, status: 'SUCCESS' }),
    ]);
    const truth = env.sim.control
      .ledger({ kind: 'DANA_REFUND_CREDIT' })
      .entries.filter((e) => ([first.body.id, lost.body.id].length > 0 ? e.referenceNo !== '' : false));
    expect(truth.length).toBeGreaterThanOrEqual(2);
    expect(env.sim.control.danaPayment({ partnerReferenceNo: ref })).toMatchObject({ refunded: '30000.00' });
  });

  it('concurrent refunds that together exceed the paid amount: exactly the allowed ones succeed, DANA refunds exactly that', async () => {
    const user = await registerUser(env.t);
    const id = await paidDana(user, 30_000);
    const ref = (await row(id)).partner_reference_no;
    const results = await Promise.all(Array.from({ length: 6 }, () => refund(user.id, id, 10_000)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 422)).toHaveLength(3);
    expect(results.filter((r) => r.status === 422).every((r) => r.body.error.code === 'PURCHASE.REFUND_EXCEEDS_PAID')).toBe(true);
    expect(env.sim.control.danaPayment({ partnerReferenceNo: ref })).toMatchObject({ status: '04', refunded: '30000.00' });
    expect((await getPurchase(user, id)).body.refundedAmount).toBe(30_000);
  });

  it("idempotency, validation and access: one DANA payment per key, clear 400s, another user's DANA purchase is 404", async () => {
    const user = await registerUser(env.t);
    const k = key();
    const [a, b] = await Promise.all([buy(user, { amount: 12_345 }, k), buy(user, { amount: 12_345 }, k)]);
    expect([a.status, b.status]).toContain(201);
    const replay = await buy(user, { amount: 12_345 }, k);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const id = (a.status === 201 ? a : b).body.id as string;
    const ref = (await row(id)).partner_reference_no;
    expect(env.sim.control.danaPayment({ partnerReferenceNo: ref })).toMatchObject({ amount: '12345.00' });
    expect((await buy(user, { amount: 54_321 }, k)).status).toBe(422);

    const count = async () =>
      (await db().query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM transactions WHERE user_id = $1`, [user.id]))[0].n;
    const before = await count();
    const bad = async (body: Record<string, unknown>, field: string) => {
      const r = await http().post('/v1/purchases').set(auth(user.accessToken)).set('idempotency-key', key()).send(body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('REQUEST.VALIDATION_FAILED');
      expect(r.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
    };
    await bad({ amount: 1_000, paymentMethod: 'DANA' }, 'deviceId');
    await bad({ amount: 1_000, paymentMethod: 'DANA', deviceId: 'dev-1' }, 'deviceId');
    await bad({ amount: 1_000, paymentMethod: 'DANA', deviceId: 'dev1', ipAddress: '300.1.2.3' }, 'ipAddress');
    await bad({ amount: 1_000, paymentMethod: 'DANA', deviceId: 'dev1', ipAddress: '2001:db8::1' }, 'ipAddress');
    await bad({ amount: 1_000, paymentMethod: 'PAYPAL', deviceId: 'dev1' }, 'paymentMethod');
    await bad({ amount: 1_000, deviceId: 'dev1' }, 'deviceId');
    expect(await count()).toBe(before);

    const other = await registerUser(env.t);
    const foreign = await getPurchase(other, id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('PURCHASE.NOT_FOUND');
    expect((await refund(other.id, id, 1_000)).status).toBe(404);

    // A service pays for an order on a user's behalf, from a desktop page.
    const byService = await http()
      .post(`/v1/users/${user.id}/purchases`)
      .set(auth(suite.orderService))
      .set('idempotency-key', key())
      .send({ amount: 7_000, merchantOrderRef: 'ORD-DANA-1', paymentMethod: 'DANA', deviceId: 'kiosk42' });
    expect(byService.status).toBe(201);
    const serviceRef = (await row(byService.body.id)).partner_reference_no;
    expect(env.sim.control.danaPayment({ partnerReferenceNo: serviceRef })).toMatchObject({ pointOfInitiation: 'pc', ipAddress: null });
    const nobody = await http()
      .post(`/v1/users/${randomUUID()}/purchases`)
      .set(auth(suite.orderService))
      .set('idempotency-key', key())
      .send({ amount: 7_000, merchantOrderRef: 'ORD-DANA-2', paymentMethod: 'DANA', deviceId: 'kiosk42' });
    expect(nobody.status).toBe(404);
  });
});
