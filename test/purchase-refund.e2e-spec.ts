import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { BoundWallet } from './support/wallet-fixtures';
import { approveConsent, createBoundWallet, startWalletEnv } from './support/wallet-fixtures';
import { until } from './support/until';
import { useChannelPurchaseSuite } from './support/channel-purchase';
import { returnPageOutcome } from './support/return-page';

/**
 * Purchase, cancel and refund over real HTTP against the DOKU simulator: the simulator's ledger is
 * the ground truth of how many debits and credits happened.
 */
describe('Purchases, cancels and refunds (e2e, simulator)', () => {
  // A short DOKU timeout so injected latency leaves intents UNKNOWN quickly.
  const suite = useChannelPurchaseSuite(() => startWalletEnv({ DOKU_TIMEOUT_MS: '2000' }, { notifications: true }));
  const { env, http, key, auth, getPurchase, refund } = suite;

  async function walletUser(balance = 1_000_000): Promise<{ user: SignedInUser; wallet: BoundWallet }> {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance });
    return { user, wallet };
  }

  const buy = suite.buyer();
  const partnerRef = async (id: string): Promise<string> =>
    (
      await env.t.app
        .get(DataSource)
        .query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id])
    )[0].partner_reference_no;
  const simPurchases = (accountId: string) => env.sim.control.transactions({ accountId, type: 'PURCHASE' });
  const ledger = (accountId: string) => env.sim.control.ledger({ accountId });

  async function paidPurchase(user: SignedInUser, amount: number): Promise<string> {
    const created = await buy(user, { amount });
    expect(created.status).toBe(201);
    env.sim.control.pay({ partnerReferenceNo: await partnerRef(created.body.id) });
    const after = await getPurchase(user, created.body.id);
    expect(after.body.status).toBe('SUCCESS');
    return created.body.id as string;
  }

  it('journey: purchase, PIN page like a browser, notification, SUCCESS, partial refund, over-refund 422, full remaining refund', async () => {
    const { user, wallet } = await walletUser(1_000_000);
    const created = await buy(user, {
      amount: 100_000,
      description: 'Order #7781',
      items: [
        { name: 'Kopi', price: 25_000, quantity: 2 },
        { name: 'Roti', price: 50_000, quantity: 1 },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'PENDING',
      amount: 100_000,
      paymentMethod: 'DOKU_WALLET',
      webRedirectUrl: expect.stringContaining(env.sim.url),
    });

    // The user enters the PIN on DOKU's page; DOKU sends the browser back to our PAY_RETURN callback.
    const returnUrl = await approveConsent(created.body.webRedirectUrl, wallet.pin);
    expect(returnUrl.startsWith(`${env.t.url}/v1/callbacks/doku/purchase?ref=`)).toBe(true);
    // What the browser shows once the outcome is known (at once, or after "being confirmed" on a loaded machine).
    const page = await returnPageOutcome(returnUrl);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Payment successful');

    const ref = await partnerRef(created.body.id);
    const delivered = await until(
      async () => env.sim.control.notifications({ partnerReferenceNo: ref }),
      (list) => list.some((n) => n.status === 'delivered'),
    );
    expect(delivered.some((n) => n.status === 'delivered')).toBe(true);
    const stored = await until(
      async () =>
        await env.t.app.get(DataSource).query<
          Array<{
            processed_at: Date | null;
            signature_kind: string;
          }>
        >(`SELECT processed_at, signature_kind FROM doku_notifications WHERE partner_reference_no = $1`, [ref]),
      (rows) => rows.length > 0 && rows.every((r) => r.processed_at !== null),
    );
    expect(stored[0]).toEqual({ processed_at: expect.any(Date), signature_kind: 'symmetric' });

    const paid = await getPurchase(user, created.body.id);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({
      status: 'SUCCESS',
      amount: 100_000,
      refundedAmount: 0,
      webRedirectUrl: null,
      items: expect.any(Array),
    });

    const first = await refund(user.id, created.body.id, 30_000);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'SUCCESS', amount: 30_000, purchaseRefundedAmount: 30_000 });

    const over = await refund(user.id, created.body.id, 80_000);
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({ code: 'PURCHASE.REFUND_EXCEEDS_PAID', details: { refundable: 70_000 } });

    const rest = await refund(user.id, created.body.id, 70_000);
    expect(rest.status).toBe(201);
    expect(rest.body.purchaseRefundedAmount).toBe(100_000);

    const final = await getPurchase(user, created.body.id);
    expect(final.body.refundedAmount).toBe(100_000);
    expect(final.body.refunds.map((r: { status: string }) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
    const truth = ledger(wallet.accountId);
    expect({ debits: truth.debitCount, debitTotal: truth.debitTotal, credits: truth.creditCount, creditTotal: truth.creditTotal }).toEqual({
      debits: 1,
      debitTotal: '100000.00',
      credits: 2,
      creditTotal: '100000.00',
    });
  });

  it('an internal service creates a purchase for an order and reads it; the owner sees it too', async () => {
    const { user } = await walletUser();
    const created = await http()
      .post(`/v1/users/${user.id}/purchases`)
      .set(auth(suite.orderService))
      .set('idempotency-key', key())
      .send({ amount: 15_000, merchantOrderRef: 'ORD-2026-000781' });
    expect(created.status).toBe(201);
    const seen = await http().get(`/v1/users/${user.id}/purchases/${created.body.id}`).set(auth(suite.orderService));
    expect(seen.body).toMatchObject({ id: created.body.id, merchantOrderRef: 'ORD-2026-000781', status: 'PENDING' });
    expect((await getPurchase(user, created.body.id)).body.id).toBe(created.body.id);
  });

  it('cancel before the PIN: CANCELED, and the PIN page no longer takes money', async () => {
    const { user, wallet } = await walletUser();
    const created = await buy(user, { amount: 40_000 });
    const cancel = await http()
      .post(`/v1/purchases/${created.body.id}/cancel`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({ reason: 'Changed my mind' });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ purchaseId: created.body.id, status: 'SUCCESS', purchaseStatus: 'CANCELED' });
    expect((await getPurchase(user, created.body.id)).body).toMatchObject({
      status: 'CANCELED',
      refunds: [{ type: 'CANCEL', status: 'SUCCESS' }],
    });
    expect(simPurchases(wallet.accountId)[0].status).toBe('05');
    const pinPage = await fetch(created.body.webRedirectUrl);
    expect(pinPage.status).not.toBe(200);
    expect(ledger(wallet.accountId).debitCount).toBe(0);
    const again = await http()
      .post(`/v1/purchases/${created.body.id}/cancel`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PURCHASE.NOT_CANCELABLE');
  });

  it('cancel after success on the same day gives the money back; once refunded, a cancel is refused', async () => {
    const { user, wallet } = await walletUser(500_000);
    const id = await paidPurchase(user, 60_000);
    const cancel = await http().post(`/v1/purchases/${id}/cancel`).set(auth(user.accessToken)).set('idempotency-key', key()).send({});
    expect(cancel.status).toBe(200);
    expect((await getPurchase(user, id)).body.status).toBe('CANCELED');
    const truth = ledger(wallet.accountId);
    expect([truth.debitTotal, truth.creditTotal]).toEqual(['60000.00', '60000.00']);

    const refunded = await paidPurchase(user, 10_000);
    expect((await refund(user.id, refunded, 1_000)).status).toBe(201);
    const refused = await http()
      .post(`/v1/purchases/${refunded}/cancel`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('PURCHASE.NOT_CANCELABLE');
  });

  it("a mobile user can never refund (403); another user's purchase is 404", async () => {
    const { user } = await walletUser();
    const id = await paidPurchase(user, 20_000);
    const asUser = await http()
      .post(`/v1/users/${user.id}/purchases/${id}/refunds`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({ amount: 1_000, reason: 'x' });
    expect(asUser.status).toBe(403);
    const asUserAdminPath = await http()
      .post(`/v1/admin/purchases/${id}/refunds`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({ amount: 1_000, reason: 'x' });
    expect(asUserAdminPath.status).toBe(403);

    const other = await registerUser(env.t);
    const foreign = await getPurchase(other, id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('PURCHASE.NOT_FOUND');
    const foreignCancel = await http()
      .post(`/v1/purchases/${id}/cancel`)
      .set(auth(other.accessToken))
      .set('idempotency-key', key())
      .send({});
    expect(foreignCancel.status).toBe(404);
    // A service acting for another user does not reach this purchase either.
    expect((await refund(other.id, id, 1_000)).status).toBe(404);

    const finance = await registerUser(env.t, 'finance');
    const byFinance = await http()
      .post(`/v1/admin/purchases/${id}/refunds`)
      .set(auth(finance.accessToken))
      .set('idempotency-key', key())
      .send({ amount: 1_000, reason: 'Goodwill' });
    expect(byFinance.status).toBe(201);
  });

  it('the same Idempotency-Key twice at once makes exactly one DOKU purchase; the same key with another amount is 422', async () => {
    const { user, wallet } = await walletUser();
    const k = key();
    const [a, b] = await Promise.all([buy(user, { amount: 12_345 }, k), buy(user, { amount: 12_345 }, k)]);
    const statuses = [a.status, b.status].sort();
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses).toContain(201);
    const replay = await buy(user, { amount: 12_345 }, k);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe((a.status === 201 ? a : b).body.id);
    expect(simPurchases(wallet.accountId)).toHaveLength(1);

    const other = await buy(user, { amount: 54_321 }, k);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY.KEY_REUSED');
    expect(simPurchases(wallet.accountId)).toHaveLength(1);
  });

  it('concurrent refunds that together exceed the paid amount: exactly the allowed ones succeed', async () => {
    const { user, wallet } = await walletUser();
    const id = await paidPurchase(user, 100_000);
    const results = await Promise.all(Array.from({ length: 6 }, () => refund(user.id, id, 30_000)));
    // Allowed: 201, or 202 (UNKNOWN, amount kept reserved) should DOKU answer slowly on a busy machine.
    const ok = results.filter((r) => r.status === 201 || r.status === 202);
    const over = results.filter((r) => r.status === 422);
    expect(results.map((r) => r.status).filter((s) => s !== 201 && s !== 202 && s !== 422)).toEqual([]);
    expect([ok.length, over.length]).toEqual([3, 3]);
    expect(over.every((r) => r.body.error.code === 'PURCHASE.REFUND_EXCEEDS_PAID')).toBe(true);
    expect((await getPurchase(user, id)).body.refundedAmount).toBe(90_000);
    const sim = simPurchases(wallet.accountId)[0];
    expect(sim.detail.refunded).toBe('90000.00');
    expect(ledger(wallet.accountId).creditTotal).toBe('90000.00');
  });

  it('rejections are clear 4xx: insufficient balance (FAILED), amount out of range, malformed amounts', async () => {
    const { user, wallet } = await walletUser(10_000);
    const poor = await buy(user, { amount: 50_000 });
    expect(poor.status).toBe(422);
    expect(poor.body.error).toMatchObject({
      code: 'DOKU.INSUFFICIENT_BALANCE',
      details: { status: 'FAILED', responseCode: expect.stringMatching(/^403(54|05)14$/) },
    });
    expect((await getPurchase(user, poor.body.error.details.purchaseId)).body.status).toBe('FAILED');

    const tooBig = await buy(user, { amount: 20_000_000 });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.code).toBe('AMOUNT.OUT_OF_RANGE');
    for (const amount of [0, -1, 1e20, '10.001', 10.5, '1000']) {
      const bad = await buy(user, { amount });
      expect({ amount, status: bad.status, code: bad.body.error.code }).toEqual({ amount, status: 400, code: 'REQUEST.VALIDATION_FAILED' });
    }
    const mismatch = await buy(user, { amount: 1_000, items: [{ name: 'A', price: 300, quantity: 2 }] });
    expect(mismatch.body.error.code).toBe('PURCHASE.ITEMS_MISMATCH');
    const noKey = await http().post('/v1/purchases').set(auth(user.accessToken)).send({ amount: 1_000 });
    expect(noKey.status).toBe(400);
    expect(simPurchases(wallet.accountId)).toHaveLength(1);

    const stranger = await registerUser(env.t);
    const noWallet = await buy(stranger, { amount: 1_000 });
    expect(noWallet.status).toBe(404);
    expect(noWallet.body.error.code).toBe('WALLET.NOT_FOUND');
  });

  it('DOKU latency past our timeout leaves the purchase UNKNOWN; it is resolved with no second debit', async () => {
    const { user, wallet } = await walletUser();
    env.sim.control.setFaults([{ endpoint: 'purchaseWeb', type: 'latency', latencyMs: 3000, times: 1 }]);
    const created = await buy(user, { amount: 25_000 });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'UNKNOWN',
      amount: 25_000,
      paymentMethod: 'DOKU_WALLET',
      webRedirectUrl: null,
    });

    // Once DOKU has processed the late request, the status query finds it waiting for the PIN. Polls
    // ask DOKU at most once per STATUS_QUERY_MIN_INTERVAL_MS (5 s), so this may take one interval.
    const pending = await until(
      () => getPurchase(user, created.body.id),
      (r) => r.body.status === 'PENDING',
      12_000,
    );
    expect(pending.body.status).toBe('PENDING');
    env.sim.control.pay({ partnerReferenceNo: await partnerRef(created.body.id) });
    // Settled by DOKU's notification (or the next interval's query); the polls read our record.
    const paid = await until(
      () => getPurchase(user, created.body.id),
      (r) => r.body.status === 'SUCCESS',
      12_000,
    );
    expect(paid.body.status).toBe('SUCCESS');
    expect(simPurchases(wallet.accountId)).toHaveLength(1);
    expect(ledger(wallet.accountId).debitCount).toBe(1);
  });

  it('a refund applied by DOKU whose answer is dropped stays UNKNOWN (amount reserved) until the status query settles it', async () => {
    const { user, wallet } = await walletUser();
    const id = await paidPurchase(user, 50_000);
    env.sim.control.setFaults([{ endpoint: 'refundPurchase', type: 'drop', times: 1 }]);
    const lost = await refund(user.id, id, 20_000);
    expect(lost.status).toBe(202);
    expect(lost.body.status).toBe('UNKNOWN');
    // The reservation holds: 40,000 more would exceed what was paid.
    expect((await refund(user.id, id, 40_000)).status).toBe(422);

    // Reading the purchase settles it by DOKU's status query, asked at most once per
    // STATUS_QUERY_MIN_INTERVAL_MS (5 s) per purchase: the payment's own check (or its notification)
    // may have just used this interval's query, so this may take one interval.
    const settled = await until(
      () => getPurchase(user, id),
      (r) => r.body.refundedAmount === 20_000,
      12_000,
    );
    expect(settled.body.refundedAmount).toBe(20_000);
    expect(settled.body.refunds).toEqual([expect.objectContaining({ id: lost.body.id, status: 'SUCCESS' })]);
    const truth = ledger(wallet.accountId);
    expect([truth.creditCount, truth.creditTotal]).toEqual([1, '20000.00']);
    expect((await refund(user.id, id, 30_000)).status).toBe(201);
  });
});
