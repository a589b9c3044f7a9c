import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startSimulator } from '../simulator/src';
import type { KkiCard } from '../simulator/src/handlers/kki/kki';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import { useChannelPurchaseSuite } from './support/channel-purchase';
import { startTestApp } from './support/test-app';
import { until } from './support/until';
import { createBoundWallet } from './support/wallet-fixtures';

/**
 * KKI card payments (docs/channels.md#kki-card-host-to-host) through the partner API, over real HTTP
 * against the simulator's KKI mode: by card token or CPAN with the OTP, the issuer-app confirmation,
 * refunds through 12-character references, lost answers settled by the status query, and card data
 * kept nowhere (database, logs, answers). The simulator's cards and payments are the ground truth.
 */
describe('Card purchases (e2e, simulator)', () => {
  const logs: string[] = [];
  const suite = useChannelPurchaseSuite(async () => {
    const sim = await startSimulator({ port: 0, log: false });
    // Every log line the app writes, at the most talkative level, to search for card data.
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const t = await startTestApp(
      {
        DOKU_BASE_URL: sim.url,
        DOKU_TIMEOUT_MS: '2000',
        STATUS_QUERY_MIN_INTERVAL_MS: '100',
        RECONCILER_NOT_FOUND_GRACE_MS: '60000',
        LOG_LEVEL: 'debug',
      },
      undefined,
      { logDestination: destination },
    ).catch(async (e: unknown) => {
      await sim.close();
      throw e;
    });
    t.config.app.publicBaseUrl = t.url;
    return {
      t,
      sim,
      close: async () => {
        await t.close();
        await sim.close();
      },
    };
  });
  const { env, http, key, auth, db, getPurchase, refund } = suite;
  const kki = () => env.sim.channels.kki;
  const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');

  /** A new test card at the simulator, with values no other test uses. */
  const newCard = (options: { confirm?: 'direct' | 'in-app'; available?: string } = {}): KkiCard =>
    kki().addCard({ cpan: `936000${digits(13)}`, otp: digits(8), available: options.available ?? '5000000.00', confirm: options.confirm });

  async function cardUser(): Promise<SignedInUser> {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user);
    return user;
  }

  const buy = suite.buyer({ paymentMethod: 'CARD' });
  const row = suite.rowReader<{
    partner_reference_no: string;
    status: string;
    payment_method: string;
    failure_code: string | null;
    refund_reserved_amount: string;
    refunded_amount: string;
  }>('partner_reference_no, status, payment_method, failure_code, refund_reserved_amount::text, refunded_amount::text');
  const atDoku = async (id: string) => kki().payments.get(`${env.t.config.doku.clientId}|${(await row(id)).partner_reference_no}`);
  const settle = (user: SignedInUser, id: string, status: string) =>
    until(
      () => getPurchase(user, id),
      (r) => r.body.status === status,
      8000,
    );

  async function paidByCard(user: SignedInUser, card: KkiCard, amount: number): Promise<string> {
    const created = await buy(user, { amount, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(created.status).toBe(201);
    expect((await settle(user, created.body.id, 'SUCCESS')).body.status).toBe('SUCCESS');
    return created.body.id as string;
  }

  it("pays with DOKU's card token and OTP: PENDING until the KKI status query reports it paid, then SUCCESS", async () => {
    const user = await cardUser();
    const card = newCard();
    const created = await buy(user, { amount: 150_000, description: 'Sepatu lari', bankCardToken: card.bankCardToken, otp: card.otp });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'PENDING',
      amount: 150_000,
      paymentMethod: 'CARD',
      webRedirectUrl: null,
    });
    const stored = await row(created.body.id);
    expect(stored).toMatchObject({ status: 'PENDING', payment_method: 'CARD' });
    // Exactly the 32 letters and digits DOKU's KKI page allows.
    expect(stored.partner_reference_no).toMatch(/^KKI[0-9a-f]{29}$/);
    expect(await atDoku(created.body.id)).toMatchObject({ status: '00', amount: 15_000_000n, cpan: card.cpan });
    expect(card.available).toBe(500_000_000n - 15_000_000n);

    const got = await settle(user, created.body.id, 'SUCCESS');
    expect(got.body).toMatchObject({ status: 'SUCCESS', paymentMethod: 'CARD', refundedAmount: 0 });
    const events = await db().query<Array<{ payload: { status: string; paymentMethod: string } }>>(
      `SELECT payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY created_at`,
      [created.body.id],
    );
    expect(events.map((e) => [e.payload.status, e.payload.paymentMethod])).toEqual([
      ['PENDING', 'CARD'],
      ['SUCCESS', 'CARD'],
    ]);
    // A card purchase cannot be canceled through our API (DOKU documents no cancel for KKI).
    const cancel = await http()
      .post(`/v1/purchases/${created.body.id}/cancel`)
      .set(auth(user.accessToken))
      .set('idempotency-key', key())
      .send({});
    expect(cancel.status).toBe(409);
    expect(cancel.body.error).toMatchObject({ code: 'PURCHASE.NOT_CANCELABLE', details: { paymentMethod: 'CARD' } });
  });

  it("pays with the card's CPAN and OTP, also for a service paying a user's order", async () => {
    const user = await cardUser();
    const card = newCard();
    const created = await buy(user, { amount: 42_000, cpan: card.cpan, otp: card.otp });
    expect(created.status).toBe(201);
    expect(await atDoku(created.body.id)).toMatchObject({ status: '00', amount: 4_200_000n, cpan: card.cpan });
    expect((await settle(user, created.body.id, 'SUCCESS')).body.paymentMethod).toBe('CARD');

    const byService = await http()
      .post(`/v1/users/${user.id}/purchases`)
      .set(auth(suite.orderService))
      .set('idempotency-key', key())
      .send({ amount: 7_000, merchantOrderRef: 'ORD-CARD-1', paymentMethod: 'CARD', cpan: card.cpan, otp: card.otp });
    expect(byService.status).toBe(201);
    expect(await atDoku(byService.body.id)).toMatchObject({ status: '00', amount: 700_000n });
    expect(card.available).toBe(500_000_000n - 4_200_000n - 700_000n);
  });

  it('a wrong OTP: 422 DOKU.INVALID_OTP, the purchase FAILED, nothing charged; a card without enough funds likewise', async () => {
    const user = await cardUser();
    const card = newCard({ available: '1000.00' });
    const wrong = String((Number(card.otp) + 1) % 100_000_000).padStart(8, '0');
    const declined = await buy(user, { amount: 500, cpan: card.cpan, otp: wrong });
    expect(declined.status).toBe(422);
    expect(declined.body.error).toMatchObject({
      code: 'DOKU.INVALID_OTP',
      message: 'The card issuer refused the OTP',
      details: { status: 'FAILED', purchaseId: expect.any(String), responseCode: '4045415' },
    });
    expect(await row(declined.body.error.details.purchaseId as string)).toMatchObject({
      status: 'FAILED',
      failure_code: 'DOKU.INVALID_OTP',
    });
    expect(await atDoku(declined.body.error.details.purchaseId as string)).toBeUndefined();

    const poor = await buy(user, { amount: 2_000, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(poor.status).toBe(422);
    expect(poor.body.error).toMatchObject({ code: 'DOKU.INSUFFICIENT_BALANCE', message: 'There is not enough available on the card' });
    expect(card.available).toBe(100_000n);
  });

  it("in-app confirmation: the app gets the issuer's link, PENDING until the customer approves there; a declined one FAILS", async () => {
    const user = await cardUser();
    const card = newCard({ confirm: 'in-app' });
    const created = await buy(user, { amount: 33_000, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'PENDING', webRedirectUrl: expect.stringContaining(`${env.sim.url}/kki/confirm?token=`) });
    // Asked again after the polling interval: still waiting for the customer.
    await new Promise((r) => setTimeout(r, 150));
    expect((await getPurchase(user, created.body.id)).body).toMatchObject({ status: 'PENDING' });
    const payment = await atDoku(created.body.id);
    expect(payment?.status).toBe('01');

    // The customer approves on the issuer's page.
    const page = await fetch(created.body.webRedirectUrl as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: new URL(created.body.webRedirectUrl as string).searchParams.get('token')!, action: 'approve' }),
    });
    expect(page.status).toBe(200);
    expect((await settle(user, created.body.id, 'SUCCESS')).body.status).toBe('SUCCESS');
    expect(card.available).toBe(500_000_000n - 3_300_000n);

    const other = await buy(user, { amount: 11_000, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(other.status).toBe(201);
    kki().confirm((await atDoku(other.body.id))!, false);
    expect((await settle(user, other.body.id, 'FAILED')).body.status).toBe('FAILED');
    expect(card.available).toBe(500_000_000n - 3_300_000n);
  });

  it('a status answer stating another amount than ours settles nothing; the right amount then settles it', async () => {
    const user = await cardUser();
    const card = newCard();
    const created = await buy(user, { amount: 18_000, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(created.status).toBe(201);
    const payment = (await atDoku(created.body.id))!;
    expect(payment.status).toBe('00');
    // DOKU's status query names the payment with another amount: contradictory, not evidence.
    payment.amount = 1_900_000n;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 120));
      expect((await getPurchase(user, created.body.id)).body.status).toBe('PENDING');
    }
    // DOKU was asked (the exchange records are written in the background).
    const ref = (await row(created.body.id)).partner_reference_no;
    const asked = await until(
      () =>
        db().query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'kkiStatus' AND partner_reference = $1`,
          [ref],
        ),
      (rows) => rows[0].n > 0,
    );
    expect(asked[0].n).toBeGreaterThan(0);
    expect((await row(created.body.id)).status).toBe('PENDING');
    payment.amount = 1_800_000n;
    expect((await settle(user, created.body.id, 'SUCCESS')).body.status).toBe('SUCCESS');
  });

  it('refunds in part and in full through 12-character references; never more than was paid', async () => {
    const user = await cardUser();
    const card = newCard();
    const id = await paidByCard(user, card, 50_000);

    const first = await refund(user.id, id, 10_000);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'SUCCESS', amount: 10_000, purchaseRefundedAmount: 10_000 });
    const firstRow = await row(first.body.id);
    expect(firstRow).toMatchObject({ payment_method: 'CARD', status: 'SUCCESS' });
    expect(firstRow.partner_reference_no).toMatch(/^K[0-9A-Z]{11}$/);

    const over = await refund(user.id, id, 40_001);
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({ code: 'PURCHASE.REFUND_EXCEEDS_PAID', details: { refundable: 40_000 } });

    const rest = await refund(user.id, id, 40_000);
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ status: 'SUCCESS', purchaseRefundedAmount: 50_000 });
    expect((await refund(user.id, id, 1)).status).toBe(422);

    const payment = await atDoku(id);
    expect(payment).toMatchObject({ status: '04' });
    expect(payment!.refunds.map((r) => [r.partnerRefundNo, r.amount])).toEqual([
      [firstRow.partner_reference_no, 1_000_000n],
      [(await row(rest.body.id)).partner_reference_no, 4_000_000n],
    ]);
    expect(card.available).toBe(500_000_000n);
    expect((await getPurchase(user, id)).body).toMatchObject({ status: 'SUCCESS', refundedAmount: 50_000 });
  });

  it('a lost refund answer keeps its amount reserved and is settled by the status query, with one refund at DOKU', async () => {
    const user = await cardUser();
    const card = newCard();
    const id = await paidByCard(user, card, 30_000);
    env.sim.control.setFaults([{ endpoint: 'kkiRefund', type: 'drop', times: 1 }]);
    const lost = await refund(user.id, id, 20_000);
    expect(lost.status).toBe(202);
    expect(lost.body.status).toBe('UNKNOWN');
    // Never released on an unknown outcome: 10,001 more would exceed what was paid.
    expect((await refund(user.id, id, 10_001)).status).toBe(422);
    expect(await row(id)).toMatchObject({ refund_reserved_amount: '20000', refunded_amount: '0' });

    const settled = await until(
      () => getPurchase(user, id),
      (r) => r.body.refundedAmount === 20_000,
      8000,
    );
    expect(settled.body.refunds).toEqual([expect.objectContaining({ id: lost.body.id, status: 'SUCCESS', amount: 20_000 })]);
    expect((await atDoku(id))!.refunds).toHaveLength(1);
    expect(await row(id)).toMatchObject({ refund_reserved_amount: '0', refunded_amount: '20000' });
  });

  it('DOKU slower than our timeout: UNKNOWN (202); "not found" right after does not fail it; the status query settles it, one payment', async () => {
    const user = await cardUser();
    const card = newCard();
    // DOKU applies the payment 8 s after it arrives, 6 s after our 2 s timeout: room for the checks
    // below to run while DOKU does not know the payment yet, even on a loaded machine.
    env.sim.control.setFaults([{ endpoint: 'kkiPayment', type: 'latency', latencyMs: 8000, times: 1 }]);
    const created = await buy(user, { amount: 25_000, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({
      id: expect.any(String),
      status: 'UNKNOWN',
      amount: 25_000,
      paymentMethod: 'CARD',
      webRedirectUrl: null,
    });
    const ref = (await row(created.body.id)).partner_reference_no;

    // The reconciler asks at once, while DOKU does not know the payment yet: within the grace period
    // "not found" settles nothing.
    await db().query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE id = $1`, [created.body.id]);
    await env.t.app.get(ReconciliationService).runOnce();
    expect((await row(created.body.id)).status).toBe('UNKNOWN');
    // The status query was asked (its exchange record is written in the background).
    const queries = await until(
      () =>
        db().query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'kkiStatus' AND partner_reference = $1`,
          [ref],
        ),
      (rows) => rows[0].n > 0,
    );
    expect(queries[0].n).toBeGreaterThan(0);
    expect((await row(created.body.id)).status).toBe('UNKNOWN');

    // DOKU applies the late payment; the reconciler's next check settles it. (Checks are not run in a
    // loop while DOKU still sleeps on it: each would spend one of the reconciler's scheduled checks.)
    await until(
      () => atDoku(created.body.id),
      (p) => p !== undefined,
      20_000,
    );
    await db().query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE id = $1`, [created.body.id]);
    await env.t.app.get(ReconciliationService).runOnce();
    expect((await row(created.body.id)).status).toBe('SUCCESS');
    const payments = await db().query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'kkiPayment' AND partner_reference = $1`,
      [ref],
    );
    expect(payments[0].n).toBe(1);
    expect(card.available).toBe(500_000_000n - 2_500_000n);
  });

  it('"not found" counts from when our call ended, not from the purchase\'s creation: a payment sent late is not failed while DOKU may apply it', async () => {
    const user = await cardUser();
    const card = newCard();
    const due = (id: string) => db().query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const reconcile = () => env.t.app.get(ReconciliationService).runOnce();
    const statusQueries = (ref: string) =>
      db().query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'kkiStatus' AND partner_reference = $1`,
        [ref],
      );
    /** Makes the purchase 10 minutes old (its call's end stays as it is), has the reconciler check it, and waits until DOKU was asked. */
    const checkedLongAfterCreation = async (id: string) => {
      const ref = (await row(id)).partner_reference_no;
      await db().query(`UPDATE transactions SET created_at = now() - interval '10 minutes' WHERE id = $1`, [id]);
      await due(id);
      await reconcile();
      const asked = await until(
        () => statusQueries(ref),
        (rows) => rows[0].n > 0,
      );
      expect(asked[0].n).toBeGreaterThan(0);
    };
    // DOKU applies the payment 8 s after it arrives, 6 s after our 2 s timeout.
    env.sim.control.setFaults([{ endpoint: 'kkiPayment', type: 'latency', latencyMs: 8000, times: 1 }]);
    const late = await buy(user, { amount: 26_000, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(late.status).toBe(202);
    // The request left us long after the purchase was committed (as on a loaded instance, a token to
    // fetch first): its creation is far past the 60 s grace, but its call ended just now. DOKU does
    // not know it yet, and that is no proof it never will.
    await checkedLongAfterCreation(late.body.id);
    expect(await row(late.body.id)).toMatchObject({ status: 'UNKNOWN', failure_code: null });
    expect(await atDoku(late.body.id)).toBeUndefined();

    // DOKU applies it; the next check settles it paid, charged once.
    await until(
      () => atDoku(late.body.id),
      (p) => p !== undefined,
      20_000,
    );
    await due(late.body.id);
    await reconcile();
    expect((await row(late.body.id)).status).toBe('SUCCESS');
    expect(card.available).toBe(500_000_000n - 2_600_000n);

    // A payment DOKU never received (the connection refused before anything was read): once its
    // call's end is past the grace too, "not found" fails it, nothing charged.
    env.sim.control.setFaults([{ endpoint: 'kkiPayment', type: 'refuse', times: 1 }]);
    const lost = await buy(user, { amount: 27_000, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(lost.status).toBe(202);
    // DOKU is asked and says it does not know it: not yet proof, its call ended just now.
    await checkedLongAfterCreation(lost.body.id);
    expect((await row(lost.body.id)).status).toBe('UNKNOWN');
    await db().query(`UPDATE transaction_events SET created_at = created_at - interval '10 minutes' WHERE transaction_id = $1`, [
      lost.body.id,
    ]);
    await due(lost.body.id);
    await reconcile();
    expect(await row(lost.body.id)).toMatchObject({ status: 'FAILED', failure_code: 'DOKU.NOT_FOUND' });
    expect(await atDoku(lost.body.id)).toBeUndefined();
    expect(card.available).toBe(500_000_000n - 2_600_000n);
  });

  it('idempotency: concurrent same-key POSTs make one payment; a replay answers the first; another body is 422', async () => {
    const user = await cardUser();
    const card = newCard();
    const k = key();
    const body = { amount: 12_345, bankCardToken: card.bankCardToken, otp: card.otp };
    const [a, b] = await Promise.all([buy(user, body, k), buy(user, body, k)]);
    expect([a.status, b.status]).toContain(201);
    const id = (a.status === 201 ? a : b).body.id as string;
    const replay = await buy(user, body, k);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(id);
    // Another OTP under the same key is another request.
    expect((await buy(user, { ...body, otp: '00000000' }, k)).status).toBe(422);
    const mine = [...kki().payments.values()].filter((p) => p.cpan === card.cpan);
    expect(mine).toHaveLength(1);
    expect(card.available).toBe(500_000_000n - 1_234_500n);
  });

  it("validation and access: clear 400s naming the card fields, no DOKU Wallet is 404, another user's card purchase is 404", async () => {
    const user = await cardUser();
    const card = newCard();
    const count = async () =>
      (await db().query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM transactions WHERE user_id = $1`, [user.id]))[0].n;
    const before = await count();
    const bad = async (body: Record<string, unknown>, field: string) => {
      const r = await http().post('/v1/purchases').set(auth(user.accessToken)).set('idempotency-key', key()).send(body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('REQUEST.VALIDATION_FAILED');
      expect(r.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
      // The answer never repeats the card data it refused.
      for (const secret of [card.cpan, card.bankCardToken, card.otp]) expect(JSON.stringify(r.body)).not.toContain(secret);
    };
    await bad({ amount: 1_000, paymentMethod: 'CARD' }, 'bankCardToken');
    await bad({ amount: 1_000, paymentMethod: 'CARD', otp: card.otp }, 'bankCardToken');
    await bad({ amount: 1_000, paymentMethod: 'CARD', cpan: card.cpan, bankCardToken: card.bankCardToken, otp: card.otp }, 'cpan');
    await bad({ amount: 1_000, paymentMethod: 'CARD', cpan: `${card.cpan}x`, otp: card.otp }, 'cpan');
    await bad({ amount: 1_000, paymentMethod: 'CARD', cpan: '12345', otp: card.otp }, 'cpan');
    await bad({ amount: 1_000, paymentMethod: 'CARD', cpan: card.cpan, otp: '1234567' }, 'otp');
    await bad({ amount: 1_000, paymentMethod: 'CARD', cpan: card.cpan, otp: 12345678 }, 'otp');
    await bad({ amount: 1_000, paymentMethod: 'CARD', bankCardToken: 'has space', otp: card.otp }, 'bankCardToken');
    await bad({ amount: 1_000, paymentMethod: 'CARD', bankCardToken: 'x'.repeat(65), otp: card.otp }, 'bankCardToken');
    await bad({ amount: 1_000, cpan: card.cpan, otp: card.otp }, 'cpan');
    await bad({ amount: 1_000, paymentMethod: 'DANA', deviceId: 'dev1', otp: card.otp }, 'otp');
    await bad({ amount: 1_000, paymentMethod: 'CARD', cpan: card.cpan, otp: card.otp, deviceId: 'dev1' }, 'deviceId');
    expect(await count()).toBe(before);

    // The customer token DOKU requires on a card payment is the bound wallet's.
    const unbound = await registerUser(env.t);
    const noWallet = await buy(unbound, { amount: 1_000, cpan: card.cpan, otp: card.otp });
    expect(noWallet.status).toBe(404);
    expect(noWallet.body.error.code).toBe('WALLET.NOT_FOUND');
    expect(await db().query(`SELECT id FROM transactions WHERE user_id = $1`, [unbound.id])).toEqual([]);
    expect([...kki().payments.values()].filter((p) => p.cpan === card.cpan)).toHaveLength(0);

    const id = await paidByCard(user, card, 9_000);
    const other = await cardUser();
    const foreign = await getPurchase(other, id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('PURCHASE.NOT_FOUND');
    expect((await refund(other.id, id, 1_000)).status).toBe(404);
    const detail = await http().get(`/v1/transactions/${id}`).set(auth(other.accessToken));
    expect(detail.status).toBe(404);
  });

  /** Every stored row of every table of ours, as text, that contains `text`. */
  async function tablesContaining(text: string): Promise<string[]> {
    const tables = await db().query<Array<{ name: string }>>(
      `SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const { name } of tables) {
      const hits = await db().query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${name} t WHERE t::text LIKE $1`, [`%${text}%`]);
      if (hits[0].n > 0) found.push(`${name}: ${text}`);
    }
    return found;
  }

  /** A test card whose CPAN and OTP do not occur anywhere in the database yet (8 digits could, by chance, in a timestamp). */
  async function unseenCard(options: { confirm?: 'direct' | 'in-app' } = {}): Promise<KkiCard> {
    for (;;) {
      const card = newCard(options);
      if ((await tablesContaining(card.otp)).length === 0 && (await tablesContaining(card.cpan)).length === 0) return card;
      kki().cards.delete(card.cpan);
    }
  }

  it('card data is nowhere: not in any table (exchanges, idempotency keys, purchases, events), not in any log line, not in any answer', async () => {
    const user = await cardUser();
    const byToken = await unseenCard();
    const byCpan = await unseenCard({ confirm: 'in-app' });
    const declinedCard = await unseenCard();
    let wrongOtp = declinedCard.otp;
    while (wrongOtp === declinedCard.otp || (await tablesContaining(wrongOtp)).length > 0) wrongOtp = digits(8);
    const answers: string[] = [];
    const send = async (body: Record<string, unknown>) => {
      const r = await buy(user, body);
      answers.push(JSON.stringify(r.body));
      return r;
    };
    const paid = await send({ amount: 21_000, bankCardToken: byToken.bankCardToken, otp: byToken.otp });
    expect(paid.status).toBe(201);
    const inApp = await send({ amount: 22_000, cpan: byCpan.cpan, otp: byCpan.otp });
    expect(inApp.status).toBe(201);
    expect((await send({ amount: 23_000, cpan: declinedCard.cpan, otp: wrongOtp })).status).toBe(422);
    // A lost answer too: its exchange record and the UNKNOWN state must not keep the card either.
    env.sim.control.setFaults([{ endpoint: 'kkiPayment', type: 'error_after', status: 500, times: 1 }]);
    expect((await send({ amount: 24_000, cpan: declinedCard.cpan, otp: declinedCard.otp })).status).toBe(202);
    answers.push(JSON.stringify((await settle(user, paid.body.id, 'SUCCESS')).body));
    answers.push(JSON.stringify((await refund(user.id, paid.body.id, 1_000)).body));

    // The exchanges were recorded (with the card data replaced), so the search below looks at real rows.
    const exchanges = await db().query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'kkiPayment'`);
    expect(exchanges[0].n).toBeGreaterThanOrEqual(4);
    const keys = await db().query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM idempotency_keys WHERE scope = $1`, [
      `user:${user.id}`,
    ]);
    expect(keys[0].n).toBe(4);

    const secrets = [
      byToken.bankCardToken,
      byToken.otp,
      byToken.cpan,
      byCpan.cpan,
      byCpan.otp,
      declinedCard.cpan,
      declinedCard.otp,
      wrongOtp,
    ];
    const found: string[] = [];
    for (const secret of secrets) found.push(...(await tablesContaining(secret)));
    expect(found).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    const logText = logs.join('');
    // The logs did record these requests (so the search is not over an empty text).
    expect(logText).toContain('/v1/purchases');
    expect(secrets.filter((s) => logText.includes(s))).toEqual([]);
    expect(secrets.filter((s) => answers.some((a) => a.includes(s)))).toEqual([]);
  });
});
