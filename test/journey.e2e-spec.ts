import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { serviceToken, uniquePhone } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { approveConsent, createPinOnPage, startWalletEnv } from './support/wallet-fixtures';
import { until } from './support/until';

/**
 * The whole journey of one partner user (issue 4, "Tests"; scripts/demo-journey.sh does the same with
 * curl), over real HTTP: the app, the DOKU simulator, the simulator's HTML pages driven like a
 * browser, and the simulator's own notification reaching our notify endpoint. At the end the
 * simulator's ledger (DOKU's truth) and our records must tell the same story.
 */
describe('The user journey, end to end (e2e, simulator)', () => {
  let env: WalletEnv;

  beforeAll(async () => {
    env = await startWalletEnv({}, { notifications: true });
  });
  afterAll(async () => {
    await env?.close();
  });

  const db = () => env.t.app.get(DataSource);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('register → wallet → OTP → PIN → bind → top-up → purchase → PIN → notification → SUCCESS → partial refund → history → ledgers agree', async () => {
    const http = () => env.t.http();
    const PIN = '246810';
    const TOP_UP = 500_000;
    const PRICE = 150_000;
    const REFUND = 50_000;

    // 1. Sign up with the partner app.
    const phone = uniquePhone();
    const email = `journey.${randomUUID().slice(0, 8)}@example.com`;
    const signUp = await http()
      .post('/v1/auth/register')
      .send({ name: 'Siti Rahayu', email, phone, password: 'correct horse battery staple' });
    expect(signUp.status).toBe(202);
    const signIn = await http().post('/v1/auth/login').send({ email, password: 'correct horse battery staple' });
    expect(signIn.status).toBe(200);
    const user = bearer(signIn.body.accessToken as string);
    const userId = (await http().get('/v1/me').set(user)).body.id as string;
    expect((await http().get('/v1/wallet').set(user)).body).toEqual({
      status: 'NONE',
      accountId: null,
      phone: null,
      boundAt: null,
      binding: null,
      registration: null,
    });

    // 2. Create a DOKU Wallet: DOKU sends an OTP to the phone.
    const registration = await http().post('/v1/wallet/registrations').set(user).send({ name: 'Siti Rahayu', email, phone });
    expect(registration.status).toBe(201);
    expect(registration.body).toMatchObject({ id: expect.any(String), status: 'OTP_SENT', otpAttemptsLeft: 3 });

    // 3. The SMS, read through the simulator's HTTP control API.
    const sms = await fetch(`${env.sim.url}/_sim/otp?phoneNo=${phone}`);
    expect(sms.status).toBe(200);
    const { otp, purpose } = (await sms.json()) as { otp: string; purpose: string };
    expect(purpose).toBe('ACCOUNT_CREATION');
    expect(otp).toMatch(/^\d{6}$/);
    // The OTP reached the phone only, never our API's answer.
    expect(JSON.stringify(registration.body)).not.toContain(otp);

    // 4. Verify it; the answer is DOKU's create-PIN page.
    const verified = await http().post(`/v1/wallet/registrations/${registration.body.id}/otp`).set(user).send({ otp });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ registrationId: registration.body.id, status: 'OTP_VERIFIED' });
    expect(verified.body.pinPageUrl.startsWith(`${env.sim.url}/`)).toBe(true);

    // 5. The browser creates the PIN on DOKU's page and follows DOKU's redirect to OUR callback.
    const registrationCallback = await createPinOnPage(verified.body.pinPageUrl, PIN);
    expect(registrationCallback.startsWith(`${env.t.url}/v1/callbacks/doku/registration?`)).toBe(true);
    expect((await fetch(registrationCallback, { redirect: 'manual' })).status).toBe(200);
    const accountId = new URL(registrationCallback).searchParams.get('accountId')!;
    expect(accountId).toMatch(/^\d{10}$/);
    expect((await http().get('/v1/wallet').set(user)).body).toMatchObject({
      status: 'REGISTERED',
      accountId: `******${accountId.slice(-4)}`,
    });

    // 6. Bind it: DOKU's consent page, approved with the new PIN, redirects to our binding callback.
    const binding = await http().post('/v1/wallet/binding').set(user).send({});
    expect(binding.status).toBe(201);
    const bindingCallback = await approveConsent(binding.body.nextAction, PIN);
    expect(bindingCallback.startsWith(`${env.t.url}/v1/callbacks/doku/binding?`)).toBe(true);
    expect((await fetch(bindingCallback, { redirect: 'manual' })).status).toBe(200);
    expect((await http().get('/v1/wallet').set(user)).body).toMatchObject({ status: 'BOUND', accountId: `******${accountId.slice(-4)}` });

    // 7. Balance, from DOKU: a new wallet is empty.
    const empty = await http().get('/v1/wallet/balance').set(user);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ available: 0, ledger: 0, hold: 0, currency: 'IDR', status: 'ACTIVE' });

    // 8. The rewards service tops the wallet up from the partner's corporate balance.
    const services = bearer((await serviceToken(env.t, ['topups:write', 'refunds:write', 'wallets:read'])).token);
    const inquiry = await http().post(`/v1/users/${userId}/top-ups/inquiries`).set(services).send({ amount: TOP_UP });
    expect(inquiry.status).toBe(201);
    expect(inquiry.body).toMatchObject({ amount: TOP_UP, customerNumber: expect.stringMatching(/^\*+\d{4}$/) });
    const topUpKey = `topup-${randomUUID()}`;
    const topUp = await http()
      .post(`/v1/users/${userId}/top-ups`)
      .set(services)
      .set('idempotency-key', topUpKey)
      .send({ inquiryId: inquiry.body.inquiryId, merchantOrderRef: 'reward-journey-1' });
    expect(topUp.status).toBe(201);
    expect(topUp.body).toMatchObject({ status: 'SUCCESS', amount: TOP_UP, userId, merchantOrderRef: 'reward-journey-1' });
    // The same key again is the stored answer, not a second credit.
    const topUpReplay = await http()
      .post(`/v1/users/${userId}/top-ups`)
      .set(services)
      .set('idempotency-key', topUpKey)
      .send({ inquiryId: inquiry.body.inquiryId, merchantOrderRef: 'reward-journey-1' });
    expect(topUpReplay.status).toBe(201);
    expect(topUpReplay.headers['idempotent-replayed']).toBe('true');
    expect(topUpReplay.body.id).toBe(topUp.body.id);
    expect((await http().get('/v1/wallet/balance').set(user)).body).toMatchObject({ available: TOP_UP, ledger: TOP_UP });

    // 9. A purchase: DOKU's PIN page URL comes back while the purchase is PENDING.
    const purchase = await http()
      .post('/v1/purchases')
      .set(user)
      .set('idempotency-key', `buy-${randomUUID()}`)
      .send({ amount: PRICE, description: 'Sepatu lari' });
    expect(purchase.status).toBe(201);
    expect(purchase.body).toEqual({
      id: expect.any(String),
      status: 'PENDING',
      amount: PRICE,
      paymentMethod: 'DOKU_WALLET',
      webRedirectUrl: expect.stringContaining(env.sim.url),
    });
    const purchaseId = purchase.body.id as string;
    const purchaseRef = (
      await db().query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [purchaseId])
    )[0].partner_reference_no;

    // 10. The user enters the PIN on DOKU's page (the form takes the PIN; the same page helper as the
    //     consent page); DOKU sends the browser back to our PAY_RETURN callback.
    const payReturn = await approveConsent(purchase.body.webRedirectUrl, PIN);
    expect(payReturn.startsWith(`${env.t.url}/v1/callbacks/doku/purchase?`)).toBe(true);
    const returned = await fetch(payReturn, { redirect: 'manual' });
    expect(returned.status).toBe(200);

    // 11. DOKU's notification for this purchase reaches our notify endpoint: stored, then applied.
    const notifications = await until(
      async () =>
        await db().query<Array<{ latest_transaction_status: string; signature_kind: string; processed_at: Date | null }>>(
          `SELECT latest_transaction_status, signature_kind, processed_at FROM doku_notifications WHERE partner_reference_no = $1`,
          [purchaseRef],
        ),
      (rows) => rows.length > 0 && rows.every((r) => r.processed_at !== null),
      10_000,
    );
    expect(notifications).toEqual([{ latest_transaction_status: '00', signature_kind: 'symmetric', processed_at: expect.any(Date) }]);
    const simSide = await until(
      async () => env.sim.control.notifications({ partnerReferenceNo: purchaseRef }),
      (list) => list.some((n) => n.status === 'delivered'),
      10_000,
    );
    expect(simSide.some((n) => n.status === 'delivered')).toBe(true);

    // 12. The purchase is SUCCESS.
    const paid = await http().get(`/v1/purchases/${purchaseId}`).set(user);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ id: purchaseId, status: 'SUCCESS', amount: PRICE, refundedAmount: 0 });

    // 13. The order service refunds part of it.
    const refund = await http()
      .post(`/v1/users/${userId}/purchases/${purchaseId}/refunds`)
      .set(services)
      .set('idempotency-key', `refund-${randomUUID()}`)
      .send({ amount: REFUND, reason: 'One item out of stock' });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ purchaseId, status: 'SUCCESS', amount: REFUND, purchaseRefundedAmount: REFUND });
    expect((await http().get(`/v1/purchases/${purchaseId}`).set(user)).body).toMatchObject({
      status: 'SUCCESS',
      refundedAmount: REFUND,
      refunds: [expect.objectContaining({ id: refund.body.id, status: 'SUCCESS', amount: REFUND })],
    });

    // 14. History: purchase, refund and top-up, each with its status and amount, seen on both sides.
    const history = await http().get('/v1/transactions').set(user);
    expect(history.status).toBe(200);
    expect(history.body.dokuAvailable).toBe(true);
    const items = history.body.items as Array<{
      id: string | null;
      type: string;
      status: string;
      amount: number;
      refundedAmount: number | null;
      source: string;
    }>;
    const byId = (id: string) => items.find((i) => i.id === id);
    expect(byId(purchaseId)).toMatchObject({ type: 'PURCHASE', status: 'SUCCESS', amount: PRICE, refundedAmount: REFUND, source: 'BOTH' });
    expect(byId(refund.body.id)).toMatchObject({ type: 'REFUND', status: 'SUCCESS', amount: REFUND, source: 'BOTH' });
    expect(byId(topUp.body.id)).toMatchObject({ type: 'TOP_UP', status: 'SUCCESS', amount: TOP_UP, source: 'BOTH' });
    // Nothing else: no DOKU-only item, no duplicate.
    expect(items.map((i) => i.type).sort()).toEqual(['PURCHASE', 'REFUND', 'TOP_UP']);
    // The service reads the same history on the user's behalf.
    const forService = await http().get(`/v1/users/${userId}/transactions`).set(services);
    expect(forService.status).toBe(200);
    expect((forService.body.items as Array<{ id: string }>).map((i) => i.id).sort()).toEqual(items.map((i) => i.id).sort());

    // 15. DOKU's ledger and our records agree: balance = top-up − purchase + refund.
    const expected = TOP_UP - PRICE + REFUND;
    const ledger = env.sim.control.ledger({ accountId });
    expect({
      debits: ledger.debitCount,
      debitTotal: ledger.debitTotal,
      credits: ledger.creditCount,
      creditTotal: ledger.creditTotal,
    }).toEqual({
      debits: 1,
      debitTotal: `${PRICE}.00`,
      credits: 2,
      creditTotal: `${TOP_UP + REFUND}.00`,
    });
    expect(env.sim.control.getAccount(accountId).balance).toBe(`${expected}.00`);
    expect((await http().get('/v1/wallet/balance').set(user)).body).toEqual({
      available: expected,
      ledger: expected,
      hold: 0,
      currency: 'IDR',
      status: 'ACTIVE',
    });

    const ours = await db().query<Array<{ type: string; status: string; amount: string; partner_reference_no: string }>>(
      `SELECT type, status, amount::text AS amount, partner_reference_no FROM transactions WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
    expect(ours.map((r) => [r.type, r.status, Number(r.amount)])).toEqual([
      ['TOP_UP', 'SUCCESS', TOP_UP],
      ['PURCHASE', 'SUCCESS', PRICE],
      ['REFUND', 'SUCCESS', REFUND],
    ]);
    const signed = ours.reduce((sum, r) => sum + (r.type === 'PURCHASE' ? -Number(r.amount) : Number(r.amount)), 0);
    expect(signed).toBe(expected);
    // Every ledger movement at DOKU is one of our records, by reference.
    const ourRefs = new Set(ours.map((r) => r.partner_reference_no));
    const dokuRefs = ledger.entries.filter((e) => e.kind !== 'ADMIN_SET').map((e) => e.partnerReferenceNo);
    expect(dokuRefs).toHaveLength(3);
    expect(dokuRefs.filter((ref) => !ourRefs.has(ref))).toEqual([]);
  });
});
