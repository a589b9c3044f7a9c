import { createHash, createHmac, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import { registerUser } from './support/actors';
import { startTestApp } from './support/test-app';
import { startWalletEnv } from './support/wallet-fixtures';
import { until } from './support/until';
import { useChannelPurchaseSuite } from './support/channel-purchase';

/**
 * The DOKU e-Wallet checkout (docs/channels.md#doku-e-wallet-checkout) as a payment method of the
 * partner API, over real HTTP against the simulator's checkout mode: DOKU's own payment page, its
 * signed notification to our route, its status query. The simulator's orders are the ground truth
 * of what DOKU has.
 */

const NOTIFY_PATH = '/v1/callbacks/doku/checkout';

/** DOKU's non-SNAP signature, written here from DOKU's page (not borrowed from the backend). */
function sign(secret: string, clientId: string, requestId: string, timestamp: string, target: string, body: string): string {
  const digest = createHash('sha256').update(body).digest('base64');
  const lines = [
    `Client-Id:${clientId}`,
    `Request-Id:${requestId}`,
    `Request-Timestamp:${timestamp}`,
    `Request-Target:${target}`,
    `Digest:${digest}`,
  ];
  return `HMACSHA256=${createHmac('sha256', secret).update(lines.join('\n')).digest('base64')}`;
}

describe('DOKU e-Wallet checkout purchases (e2e, simulator)', () => {
  const suite = useChannelPurchaseSuite(() =>
    startWalletEnv({
      APP_RETURN_URL: 'https://app.partner.example/wallet/result',
      DOKU_TIMEOUT_MS: '2000',
      STATUS_QUERY_MIN_INTERVAL_MS: '200',
      RECONCILER_NOT_FOUND_GRACE_MS: '3000',
    }),
  );
  const { env, http, key, auth, db, getPurchase } = suite;
  const merchant = () => env.t.config.doku.checkout!;

  const buy = suite.buyer({ paymentMethod: 'DOKU_WALLET_CHECKOUT' });
  const row = suite.rowReader<{ partner_reference_no: string; status: string; payment_method: string; doku_external_id: string | null }>(
    'partner_reference_no, status, payment_method, doku_external_id',
  );
  const dokuOrder = (invoice: string) => env.sim.channels.checkout.find(merchant().clientId, invoice);
  const dokuOrderCount = (invoice: string) =>
    [...env.sim.channels.checkout.orders.values()].filter((o) => o.invoiceNumber === invoice).length;
  const payAtDoku = async (invoice: string, result: 'SUCCESS' | 'FAILED') => {
    const r = await fetch(`${env.sim.url}/_sim/checkout/orders/${invoice}/pay`, { method: 'POST', body: JSON.stringify({ result }) });
    expect(r.status).toBe(200);
  };
  const events = async (id: string) =>
    (
      await db().query<Array<{ payload: { status: string; paymentMethod: string } }>>(
        `SELECT payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY created_at, id`,
        [id],
      )
    ).map((e) => [e.payload.status, e.payload.paymentMethod]);
  const reconcile = async (id: string) => {
    await db().query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE id = $1`, [id]);
    await env.t.app.get(ReconciliationService).runOnce();
    return row(id);
  };
  /** A notification body as DOKU writes it. */
  const resultBody = (invoice: string, amount: number, status: string) =>
    JSON.stringify({
      service: { id: 'EMONEY' },
      acquirer: { id: 'DOKU' },
      channel: { id: 'EMONEY_DOKU' },
      order: { invoice_number: invoice, amount },
      transaction: { status, date: `${new Date().toISOString().slice(0, 19)}Z`, original_request_id: randomUUID() },
    });
  /** Delivers `body` to our route as DOKU does, signed with `secret` (the merchant's, or a forger's), under a new Request-Id. */
  const deliver = (body: string, secret = merchant().secretKey) => {
    const requestId = randomUUID();
    const timestamp = `${new Date().toISOString().slice(0, 19)}Z`;
    return http()
      .post(NOTIFY_PATH)
      .set('content-type', 'application/json')
      .set('client-id', merchant().clientId)
      .set('request-id', requestId)
      .set('request-timestamp', timestamp)
      .set('signature', sign(secret, merchant().clientId, requestId, timestamp, NOTIFY_PATH, body))
      .send(body);
  };
  const storedNotifications = async (invoice: string) =>
    (
      await db().query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM doku_notifications WHERE partner_reference_no = $1`, [invoice])
    )[0].n;

  it('create → DOKU’s page → pay → DOKU’s notification → SUCCESS, once; the browser comes back to our return page', async () => {
    const user = await registerUser(env.t);
    const created = await buy(user, {
      amount: 9_000,
      description: 'Kaos',
      items: [
        { name: 'T-Shirt Red', price: 3_000, quantity: 2 },
        { name: 'Polo Navy', price: 3_000, quantity: 1 },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'PENDING',
      amount: 9_000,
      paymentMethod: 'DOKU_WALLET_CHECKOUT',
      webRedirectUrl: expect.stringMatching(new RegExp(`^${env.sim.url}/dokuwallet/pay/[0-9a-f]{32}$`)),
    });
    const stored = await row(created.body.id);
    expect(stored).toMatchObject({ status: 'PENDING', payment_method: 'DOKU_WALLET_CHECKOUT' });
    expect(stored.partner_reference_no).toMatch(/^DWC-[0-9a-f]{32}$/);
    // The order is ours: our reference as invoice number, the Request-Id stored before the call.
    const order = dokuOrder(stored.partner_reference_no)!;
    expect(order).toMatchObject({
      amount: 9_000,
      requestId: stored.doku_external_id,
      notifyTarget: `${env.t.url}${NOTIFY_PATH}`,
      successUrl: `${env.t.url}/v1/callbacks/doku/purchase?ref=${stored.partner_reference_no}`,
      failedUrl: `${env.t.url}/v1/callbacks/doku/purchase?ref=${stored.partner_reference_no}`,
      autoRedirect: true,
    });
    expect(order.lineItems).toHaveLength(2);

    // The customer pays on DOKU's page, which sends the browser back to our return page.
    const page = await fetch(created.body.webRedirectUrl as string);
    expect(page.status).toBe(200);
    const paid = await fetch(created.body.webRedirectUrl as string, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'approve' }).toString(),
    });
    expect(paid.status).toBe(302);
    expect(paid.headers.get('location')).toBe(order.successUrl);

    // Nobody polls: DOKU's notification, confirmed with the status query, settles it.
    const settled = await until(
      () => row(created.body.id),
      (r) => r.status === 'SUCCESS',
    );
    expect(settled.status).toBe('SUCCESS');
    const notes = await db().query<Array<{ signature_kind: string; processed_at: Date | null; headers: Record<string, string> }>>(
      `SELECT signature_kind, processed_at, headers FROM doku_notifications WHERE partner_reference_no = $1`,
      [stored.partner_reference_no],
    );
    expect(notes).toHaveLength(1);
    expect(notes[0].signature_kind).toBe('checkout');
    expect(notes[0].headers.signature).toBeUndefined();

    const returned = await fetch(order.successUrl as string, { headers: { 'accept-language': 'en' } });
    expect(returned.status).toBe(200);
    expect(await returned.text()).toContain('Payment successful');

    // The same notification again (a retry or replay, under a new Request-Id): acknowledged, stored and applied once.
    const [first] = await db().query<Array<{ raw_body: string }>>(
      `SELECT raw_body FROM doku_notifications WHERE partner_reference_no = $1`,
      [stored.partner_reference_no],
    );
    const again = await deliver(first.raw_body);
    const twice = await deliver(first.raw_body);
    expect([again.status, twice.status]).toEqual([200, 200]);
    await until(
      async () =>
        (
          await db().query<Array<{ n: number }>>(
            `SELECT count(*)::int AS n FROM doku_notifications WHERE partner_reference_no = $1 AND processed_at IS NULL`,
            [stored.partner_reference_no],
          )
        )[0].n,
      (n) => n === 0,
    );
    expect(await storedNotifications(stored.partner_reference_no)).toBe(1);
    expect(await events(created.body.id)).toEqual([
      ['PENDING', 'DOKU_WALLET_CHECKOUT'],
      ['SUCCESS', 'DOKU_WALLET_CHECKOUT'],
    ]);
    expect(dokuOrderCount(stored.partner_reference_no)).toBe(1);

    const got = await getPurchase(user, created.body.id);
    expect(got.body).toMatchObject({ status: 'SUCCESS', paymentMethod: 'DOKU_WALLET_CHECKOUT', webRedirectUrl: null });
    const history = await http().get('/v1/transactions').set(auth(user.accessToken));
    expect(history.body.items).toEqual([
      expect.objectContaining({ id: created.body.id, paymentMethod: 'DOKU_WALLET_CHECKOUT', status: 'SUCCESS' }),
    ]);
  });

  it('a forged notification is 401 and changes nothing; a signed one with another amount never marks paid', async () => {
    const user = await registerUser(env.t);
    const created = await buy(user, { amount: 15_000 });
    const ref = (await row(created.body.id)).partner_reference_no;

    const forged = await deliver(resultBody(ref, 15_000, 'SUCCESS'), 'SK-forger');
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('DOKU.INVALID_SIGNATURE');
    const unsigned = await http()
      .post(NOTIFY_PATH)
      .set('content-type', 'application/json')
      .send({ order: { invoice_number: ref } });
    expect(unsigned.status).toBe(401);
    expect(await storedNotifications(ref)).toBe(0);

    // Correctly signed but not what DOKU has: it is only a hint, and the status query says PENDING.
    const misleading = await deliver(resultBody(ref, 1_000, 'SUCCESS'));
    expect(misleading.status).toBe(200);
    await until(
      async () =>
        (
          await db().query<Array<{ processed_at: Date | null }>>(
            `SELECT processed_at FROM doku_notifications WHERE partner_reference_no = $1`,
            [ref],
          )
        )[0]?.processed_at,
      (p) => p !== null && p !== undefined,
    );
    expect((await row(created.body.id)).status).toBe('PENDING');
    expect(dokuOrder(ref)!.status).toBe('PENDING');
    expect(await events(created.body.id)).toEqual([['PENDING', 'DOKU_WALLET_CHECKOUT']]);

    // DOKU itself states another amount for the order it reports paid: contradictory, settles nothing.
    dokuOrder(ref)!.amount = 1_000;
    await payAtDoku(ref, 'SUCCESS');
    await until(
      async () =>
        (
          await db().query<Array<{ n: number }>>(
            `SELECT count(*)::int AS n FROM doku_notifications WHERE partner_reference_no = $1 AND processed_at IS NOT NULL`,
            [ref],
          )
        )[0].n,
      (n) => n === 2,
    );
    expect((await reconcile(created.body.id)).status).toBe('PENDING');
    expect((await getPurchase(user, created.body.id)).body.status).toBe('PENDING');
    expect(await events(created.body.id)).toEqual([['PENDING', 'DOKU_WALLET_CHECKOUT']]);
  });

  it('the customer cancels on DOKU’s page, or DOKU fails the order: FAILED; a checkout purchase has no cancel', async () => {
    const user = await registerUser(env.t);
    const created = await buy(user, { amount: 20_000 });
    const canceled = await fetch(created.body.webRedirectUrl as string, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'cancel' }).toString(),
    });
    expect(canceled.headers.get('location')).toContain(`/v1/callbacks/doku/purchase?ref=`);
    const failed = await until(
      () => getPurchase(user, created.body.id),
      (r) => r.body.status === 'FAILED',
    );
    expect(failed.body).toMatchObject({ status: 'FAILED', paymentMethod: 'DOKU_WALLET_CHECKOUT' });

    const second = await buy(user, { amount: 5_000 });
    await payAtDoku((await row(second.body.id)).partner_reference_no, 'FAILED');
    expect(
      (
        await until(
          () => row(second.body.id),
          (r) => r.status === 'FAILED',
        )
      ).status,
    ).toBe('FAILED');

    const open = await buy(user, { amount: 6_000 });
    const cancel = await http()
      .post(`/v1/purchases/${open.body.id}/cancel`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({});
    expect(cancel.status).toBe(409);
    expect(cancel.body.error).toMatchObject({ code: 'PURCHASE.NOT_CANCELABLE', details: { paymentMethod: 'DOKU_WALLET_CHECKOUT' } });
    expect((await row(open.body.id)).status).toBe('PENDING');
  });

  it('a lost answer is UNKNOWN (202); the status query settles it, and "not found" right after it fails nothing', async () => {
    const user = await registerUser(env.t);
    // DOKU creates the order but answers after our timeout.
    env.sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'latency', latencyMs: 3000, times: 1 }]);
    const slow = await buy(user, { amount: 25_000 });
    expect(slow.status).toBe(202);
    expect(slow.body).toEqual({
      id: expect.any(String),
      status: 'UNKNOWN',
      amount: 25_000,
      paymentMethod: 'DOKU_WALLET_CHECKOUT',
      webRedirectUrl: null,
    });
    const slowRef = (await row(slow.body.id)).partner_reference_no;
    await until(
      () => Promise.resolve(dokuOrder(slowRef)),
      (o) => o !== undefined,
    );
    expect(
      (
        await until(
          () => reconcile(slow.body.id),
          (r) => r.status === 'PENDING',
        )
      ).status,
    ).toBe('PENDING');
    // The reconciler sent the same order again with the stored Request-Id: DOKU's first answer came
    // back, and the app now has the page to show (still one order at DOKU).
    const recovered = await getPurchase(user, slow.body.id);
    expect(recovered.body).toMatchObject({
      status: 'PENDING',
      webRedirectUrl: `${env.sim.publicUrl}/dokuwallet/pay/${dokuOrder(slowRef)!.pageToken}`,
    });
    expect(dokuOrderCount(slowRef)).toBe(1);
    const paidOnPage = await fetch(recovered.body.webRedirectUrl as string, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'approve' }).toString(),
    });
    expect(paidOnPage.status).toBe(302);
    const settled = await until(
      () => getPurchase(user, slow.body.id),
      (r) => r.body.status === 'SUCCESS',
    );
    expect(settled.body.status).toBe('SUCCESS');
    expect(dokuOrderCount(slowRef)).toBe(1);

    // DOKU answers 5xx without creating anything: UNKNOWN; "not found" counts only after the grace period.
    env.sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'error_before', times: 1 }]);
    const lost = await buy(user, { amount: 11_000 });
    expect(lost.status).toBe(202);
    const lostRef = (await row(lost.body.id)).partner_reference_no;
    expect((await reconcile(lost.body.id)).status).toBe('UNKNOWN');
    expect((await getPurchase(user, lost.body.id)).body.status).toBe('UNKNOWN');
    await new Promise((r) => setTimeout(r, 3_100));
    expect((await reconcile(lost.body.id)).status).toBe('FAILED');
    expect(dokuOrder(lostRef)).toBeUndefined();

    // An answer whose signature does not check out is not believed; the order exists, so it is PENDING.
    env.sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'bad_signature', times: 1 }]);
    const unsigned = await buy(user, { amount: 12_000 });
    expect(unsigned.status).toBe(202);
    expect(
      (
        await until(
          () => reconcile(unsigned.body.id),
          (r) => r.status === 'PENDING',
        )
      ).status,
    ).toBe('PENDING');
    await new Promise((r) => setTimeout(r, 3_100));
    // Past the grace period too: DOKU knows it, so it stays open until DOKU says how it ended.
    expect((await reconcile(unsigned.body.id)).status).toBe('PENDING');
  });

  it('refunds are refused with a stable code; finance records one only when DOKU’s status reports it REFUNDED', async () => {
    const user = await registerUser(env.t);
    const created = await buy(user, { amount: 30_000 });
    await payAtDoku((await row(created.body.id)).partner_reference_no, 'SUCCESS');
    await until(
      () => row(created.body.id),
      (r) => r.status === 'SUCCESS',
    );
    const count = async () =>
      (await db().query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM transactions WHERE parent_id = $1`, [created.body.id]))[0].n;

    const byService = await http()
      .post(`/v1/users/${user.id}/purchases/${created.body.id}/refunds`)
      .set(auth(suite.refunder))
      .set('idempotency-key', key())
      .send({ amount: 10_000, reason: 'Item out of stock' });
    expect(byService.status).toBe(422);
    expect(byService.body.error).toMatchObject({
      code: 'PURCHASE.REFUND_NOT_SUPPORTED',
      details: { paymentMethod: 'DOKU_WALLET_CHECKOUT' },
    });

    const finance = await registerUser(env.t, 'finance');
    const byFinance = await http()
      .post(`/v1/admin/purchases/${created.body.id}/refunds`)
      .set(auth(finance.accessToken))
      .set('idempotency-key', key())
      .send({ amount: 30_000, reason: 'Customer complaint' });
    expect(byFinance.status).toBe(422);
    expect(byFinance.body.error.code).toBe('PURCHASE.REFUND_NOT_SUPPORTED');
    expect(await count()).toBe(0);
    const purchase = await getPurchase(user, created.body.id);
    expect(purchase.body).toMatchObject({ status: 'SUCCESS', refundedAmount: 0 });

    // Finance refunds in DOKU's back office, then records it: only what DOKU's status query reports.
    const record = (token: string) =>
      http()
        .post(`/v1/admin/purchases/${created.body.id}/doku-refunds`)
        .set(auth(token))
        .send({ reason: 'Refunded in DOKU back office, ticket 4411' });
    const early = await record(finance.accessToken);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'PURCHASE.REFUND_NOT_CONFIRMED', details: { dokuStatus: 'SUCCESS' } });
    expect(await count()).toBe(0);
    expect((await record(suite.refunder)).status).toBe(403);
    expect((await record(user.accessToken)).status).toBe(403);

    // DOKU's back office refunded the order: its status query now says REFUNDED.
    (dokuOrder((await row(created.body.id)).partner_reference_no)! as { status: string }).status = 'REFUNDED';
    const booked = await record(finance.accessToken);
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ purchaseId: created.body.id, status: 'SUCCESS', amount: 30_000, purchaseRefundedAmount: 30_000 });
    const repeated = await record(finance.accessToken);
    expect(repeated.status).toBe(201);
    expect(repeated.body.id).toBe(booked.body.id);
    expect(await count()).toBe(1);
    // One audit row, committed with the refund, naming the finance person: asking again records nothing.
    const audited = await db().query<Array<{ actor_id: string; after: { reason: string; refund: { id: string } } }>>(
      `SELECT actor_id, after FROM audit_log WHERE action = 'refund.recorded-from-doku' AND target_id = $1`,
      [created.body.id],
    );
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor_id: finance.id,
      after: { reason: 'Refunded in DOKU back office, ticket 4411', refund: { id: booked.body.id } },
    });
    const refunded = await getPurchase(user, created.body.id);
    expect(refunded.body).toMatchObject({ status: 'SUCCESS', refundedAmount: 30_000 });
    // Both events come from one commit (same moment): compared without their order.
    expect((await events(booked.body.id)).sort()).toEqual([
      ['PENDING', 'DOKU_WALLET_CHECKOUT'],
      ['SUCCESS', 'DOKU_WALLET_CHECKOUT'],
    ]);
    // Still no refund through the API.
    const more = await http()
      .post(`/v1/admin/purchases/${created.body.id}/refunds`)
      .set(auth(finance.accessToken))
      .set('idempotency-key', key())
      .send({ amount: 1_000, reason: 'Again' });
    expect(more.body.error.code).toBe('PURCHASE.REFUND_NOT_SUPPORTED');
  });

  it("idempotency and access: one order per key, a service's purchase, another user's purchase is 404", async () => {
    const user = await registerUser(env.t);
    const k = key();
    const [a, b] = await Promise.all([buy(user, { amount: 12_345 }, k), buy(user, { amount: 12_345 }, k)]);
    expect([a.status, b.status]).toContain(201);
    const id = (a.status === 201 ? a : b).body.id as string;
    const replay = await buy(user, { amount: 12_345 }, k);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(id);
    expect(dokuOrderCount((await row(id)).partner_reference_no)).toBe(1);
    expect((await buy(user, { amount: 54_321 }, k)).status).toBe(422);

    const device = await http()
      .post('/v1/purchases')
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({ amount: 1_000, paymentMethod: 'DOKU_WALLET_CHECKOUT', deviceId: 'dev1' });
    expect(device.status).toBe(400);
    expect(device.body.error.details.fields.map((f: { field: string }) => f.field)).toContain('deviceId');

    const other = await registerUser(env.t);
    const foreign = await getPurchase(other, id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('PURCHASE.NOT_FOUND');

    const byService = await http()
      .post(`/v1/users/${user.id}/purchases`)
      .set(auth(suite.orderService))
      .set('idempotency-key', key())
      .send({ amount: 7_000, merchantOrderRef: 'ORD-DWC-1', paymentMethod: 'DOKU_WALLET_CHECKOUT' });
    expect(byService.status).toBe(201);
    expect(byService.body.webRedirectUrl).toContain('/dokuwallet/pay/');

    // Straight back to the app: DOKU's page sends the browser to the app's link, which says where to look.
    const toApp = await buy(user, { amount: 8_000, returnToApp: true });
    expect(toApp.status).toBe(201);
    const appLink = `https://app.partner.example/wallet/result?result=processing&flow=purchase&purchaseId=${toApp.body.id}`;
    expect(dokuOrder((await row(toApp.body.id)).partner_reference_no)).toMatchObject({ successUrl: appLink, failedUrl: appLink });
  });
});

describe('DOKU e-Wallet checkout switched off (no DOKU base URL for its merchant)', () => {
  it('answers 422 PURCHASE.PAYMENT_METHOD_UNAVAILABLE and writes nothing', async () => {
    const t = await startTestApp();
    try {
      const user = await registerUser(t);
      const r = await t
        .http()
        .post('/v1/purchases')
        .set('authorization', `Bearer ${user.accessToken}`)
        .set('idempotency-key', `key-${randomUUID()}`)
        .send({ amount: 10_000, paymentMethod: 'DOKU_WALLET_CHECKOUT' });
      expect(r.status).toBe(422);
      expect(r.body.error).toMatchObject({
        code: 'PURCHASE.PAYMENT_METHOD_UNAVAILABLE',
        details: { paymentMethod: 'DOKU_WALLET_CHECKOUT' },
      });
      const rows = await t.app
        .get(DataSource)
        .query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM transactions WHERE user_id = $1`, [user.id]);
      expect(rows[0].n).toBe(0);
    } finally {
      await t.close();
    }
  });
});
