import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/**
 * The rule of docs/money-rules.md against the simulator over HTTP: money is never failed or
 * released on a missing, unknown or contradictory answer; what DOKU does not know after the grace
 * period is sent again with its own identifiers, on the reconciler's schedule only.
 */
describe('Money rules: never release on unknown', () => {
  let env: WalletEnv;
  let db: DataSource;
  let refunder: string;
  let topUps: string;

  beforeAll(async () => {
    env = await startWalletEnv({ DOKU_TIMEOUT_MS: '2000' });
    db = env.t.app.get(DataSource);
    refunder = (await serviceToken(env.t, ['refunds:write'])).token;
    topUps = (await serviceToken(env.t, ['topups:write'])).token;
  });
  afterAll(async () => {
    await env.close();
  });
  afterEach(() => {
    env.sim.control.clearFaults();
  });

  const http = () => env.t.http();
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const row = async (id: string) =>
    (
      await db.query<
        Array<{
          status: string;
          failure_code: string | null;
          partner_reference_no: string;
          refund_reserved_amount: string;
          refunded_amount: string;
        }>
      >(`SELECT status, failure_code, partner_reference_no, refund_reserved_amount, refunded_amount FROM transactions WHERE id = $1`, [id])
    )[0];
  /**
   * Makes the transaction and its last call old enough for "not found" to count (the grace runs from
   * when that call's outcome was recorded), and due for the reconciler.
   */
  const pastGrace = async (id: string, due = false) => {
    await db.query(
      `UPDATE transactions SET created_at = now() - interval '10 minutes'${due ? `, next_check_at = now() - interval '1 second'` : ''} WHERE id = $1`,
      [id],
    );
    await db.query(`UPDATE transaction_events SET created_at = created_at - interval '10 minutes' WHERE transaction_id = $1`, [id]);
  };
  const pastGraceAndDue = (id: string) => pastGrace(id, true);
  const reconcile = () => env.t.app.get(ReconciliationService).runOnce();

  async function paidPurchase(user: SignedInUser, amount: number): Promise<string> {
    const created = await http().post('/v1/purchases').set(auth(user.accessToken)).set('idempotency-key', randomUUID()).send({ amount });
    expect(created.status).toBe(201);
    env.sim.control.pay({ partnerReferenceNo: (await row(created.body.id)).partner_reference_no });
    const after = await http().get(`/v1/purchases/${created.body.id}`).set(auth(user.accessToken));
    expect(after.body.status).toBe('SUCCESS');
    return created.body.id as string;
  }
  const refund = (user: SignedInUser, purchaseId: string, amount: number) =>
    http()
      .post(`/v1/users/${user.id}/purchases/${purchaseId}/refunds`)
      .set(auth(refunder))
      .set('idempotency-key', randomUUID())
      .send({ amount, reason: 'Damaged' });

  it('a refund DOKU never received keeps its amount reserved, is never failed by a poll, and is sent again once by the reconciler', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 500_000 });
    const purchaseId = await paidPurchase(user, 100_000);
    env.sim.control.setFaults([{ endpoint: 'refundPurchase', type: 'refuse', times: 1 }]);
    const lost = await refund(user, purchaseId, 60_000);
    expect(lost.status).toBe(202);
    expect(lost.body.status).toBe('UNKNOWN');
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('0.00');

    // Past the grace period a poll reads DOKU's answer, which has no line for this refund: nothing
    // is released, so a second refund cannot take the same money.
    await pastGrace(lost.body.id);
    await http().get(`/v1/purchases/${purchaseId}`).set(auth(user.accessToken));
    expect(await row(lost.body.id)).toMatchObject({ status: 'UNKNOWN', failure_code: null });
    expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '60000', refunded_amount: '0' });
    const overlapping = await refund(user, purchaseId, 60_000);
    expect(overlapping.status).toBe(422);
    expect(overlapping.body.error.code).toBe('PURCHASE.REFUND_EXCEEDS_PAID');

    // The reconciler sends the same refund again (same partnerRefundNo): DOKU applies it once.
    await pastGraceAndDue(lost.body.id);
    await reconcile();
    expect(await row(lost.body.id)).toMatchObject({ status: 'SUCCESS' });
    expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '0', refunded_amount: '60000' });
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('60000.00');
    await pastGraceAndDue(lost.body.id);
    await reconcile();
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('60000.00');
  });

  it("a refund DOKU applied but whose answer was lost is settled from DOKU's report once, a failed status query on the way settling nothing", async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 500_000 });
    const purchaseId = await paidPurchase(user, 100_000);
    env.sim.control.setFaults([{ endpoint: 'refundPurchase', type: 'drop', times: 1 }]);
    const lost = await refund(user, purchaseId, 40_000);
    expect(lost.status).toBe(202);
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('40000.00');
    // Its status query fails this time, so the reconciler cannot read refundHistory either.
    env.sim.control.setFaults([{ endpoint: 'queryPurchase', type: 'error_before', status: 503, times: 1 }]);
    await pastGraceAndDue(lost.body.id);
    await reconcile();
    expect(await row(lost.body.id)).toMatchObject({ status: 'UNKNOWN' });
    await pastGraceAndDue(lost.body.id);
    await reconcile();
    if (env.sim.control.profiles().profiles.includes('no-refund-history')) {
      // DOKU's answer never lists refunds: nothing can confirm this one. It is sent again with its
      // own partnerRefundNo, DOKU answers that it already has it, and it stays unresolved with its
      // amount reserved (for the back office), never released, never credited twice.
      await pastGraceAndDue(lost.body.id);
      await reconcile();
      expect(await row(lost.body.id)).toMatchObject({ status: 'UNKNOWN', failure_code: null });
      expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '40000', refunded_amount: '0' });
      expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('40000.00');
      const second = await refund(user, purchaseId, 70_000);
      expect(second.body.error?.code).toBe('PURCHASE.REFUND_EXCEEDS_PAID');
      return;
    }
    expect(await row(lost.body.id)).toMatchObject({ status: 'SUCCESS' });
    expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '0', refunded_amount: '40000' });
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('40000.00');
  });

  it("under DOKU's reading without refundHistory, a refund whose answer was lost is never released and never paid twice", async () => {
    const before = env.sim.control.profiles().profiles;
    env.sim.control.setProfiles(['no-refund-history']);
    try {
      const user = await registerUser(env.t);
      const wallet = await createBoundWallet(env, user, { balance: 500_000 });
      const purchaseId = await paidPurchase(user, 100_000);
      env.sim.control.setFaults([{ endpoint: 'refundPurchase', type: 'drop', times: 1 }]);
      const lost = await refund(user, purchaseId, 30_000);
      expect(lost.status).toBe(202);
      for (let i = 0; i < 3; i++) {
        await pastGraceAndDue(lost.body.id);
        await reconcile();
        await http().get(`/v1/purchases/${purchaseId}`).set(auth(user.accessToken));
      }
      expect(await row(lost.body.id)).toMatchObject({ status: 'UNKNOWN', failure_code: null });
      expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '30000', refunded_amount: '0' });
      expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('30000.00');
      expect((await refund(user, purchaseId, 80_000)).body.error.code).toBe('PURCHASE.REFUND_EXCEEDS_PAID');
    } finally {
      env.sim.control.setProfiles(before);
    }
  });

  it('a top-up DOKU does not know is never FAILED (its inquiry stays taken); the reconciler sends it again, credited once', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 10_000 });
    const base = `/v1/users/${user.id}/top-ups`;
    const inq = await http().post(`${base}/inquiries`).set(auth(topUps)).send({ amount: 25_000 });
    expect(inq.status).toBe(201);
    env.sim.control.setFaults([{ endpoint: 'topUp', type: 'error_before', status: 503, times: 1 }]);
    const res = await http().post(base).set(auth(topUps)).set('idempotency-key', randomUUID()).send({ inquiryId: inq.body.inquiryId });
    expect(res.status).toBe(202);

    await pastGrace(res.body.id);
    const polled = await http().get(`${base}/${res.body.id}`).set(auth(topUps));
    expect(polled.body).toMatchObject({ status: 'UNKNOWN' });
    const again = await http().post(base).set(auth(topUps)).set('idempotency-key', randomUUID()).send({ inquiryId: inq.body.inquiryId });
    expect(again.body.error.code).toBe('TOPUP.INQUIRY_USED');
    expect(env.sim.control.ledger({ partnerReferenceNo: res.body.partnerReferenceNo }).creditCount).toBe(0);

    await pastGraceAndDue(res.body.id);
    await reconcile();
    expect((await http().get(`${base}/${res.body.id}`).set(auth(topUps))).body).toMatchObject({ status: 'SUCCESS' });
    expect(env.sim.control.ledger({ partnerReferenceNo: res.body.partnerReferenceNo }).creditCount).toBe(1);
    expect(Number(env.sim.control.getAccount(wallet.accountId).balance)).toBe(35_000);
  });
  it("stores the purchase's X-EXTERNAL-ID as DOKU saw it and names the purchase by it in refunds", async () => {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 500_000 });
    const purchaseId = await paidPurchase(user, 70_000);
    const [stored] = await db.query<
      Array<{
        doku_external_id: string | null;
        partner_reference_no: string;
      }>
    >(`SELECT doku_external_id, partner_reference_no FROM transactions WHERE id = $1`, [purchaseId]);
    const atDoku = [...env.sim.state.purchases.values()].find((p) => p.partnerReferenceNo === stored.partner_reference_no);
    expect(stored.doku_external_id).toMatch(/^[0-9]{27}$/);
    expect(atDoku?.originalExternalId).toBe(stored.doku_external_id);

    // DOKU matches a refund's originalExternalId against the purchase's: a wrong one is refused,
    // which shows it is sent; the right one refunds.
    await db.query(`UPDATE transactions SET doku_external_id = '20990101000000000000000000001' WHERE id = $1`, [purchaseId]);
    const wrong = await refund(user, purchaseId, 10_000);
    expect({ status: wrong.status, code: wrong.body.error.code, refund: wrong.body.error.details.status }).toEqual({
      status: 404,
      code: 'DOKU.NOT_FOUND',
      refund: 'FAILED',
    });
    await db.query(`UPDATE transactions SET doku_external_id = $2 WHERE id = $1`, [purchaseId, stored.doku_external_id]);
    const right = await refund(user, purchaseId, 10_000);
    expect(right.status).toBe(201);
    expect(right.body.status).toBe('SUCCESS');
  });
  it('what nothing settles is raised for the back office, which settles it with a reason: FAILED releases the refund, once', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 500_000 });
    const purchaseId = await paidPurchase(user, 100_000);
    // Every Refund Purchase and Query Purchase fails: nothing DOKU says can settle the refund.
    env.sim.control.setFaults([
      { endpoint: 'refundPurchase', type: 'error_before', status: 503 },
      { endpoint: 'queryPurchase', type: 'error_before', status: 503 },
    ]);
    const stuck = await refund(user, purchaseId, 80_000);
    expect(stuck.status).toBe(202);
    // The last scheduled check passes without an answer: flagged, still UNKNOWN, still reserved.
    await db.query(`UPDATE transactions SET check_attempts = 100 WHERE id = $1`, [stuck.body.id]);
    await pastGraceAndDue(stuck.body.id);
    await reconcile();
    const [flagged] = await db.query<Array<{ status: string; attention_required_at: Date | null }>>(
      `SELECT status, attention_required_at FROM transactions WHERE id = $1`,
      [stuck.body.id],
    );
    expect(flagged.status).toBe('UNKNOWN');
    expect(flagged.attention_required_at).not.toBeNull();
    expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '80000' });

    const finance = await registerUser(env.t, 'finance');
    const support = await registerUser(env.t, 'support');
    const queue = await http().get('/v1/admin/transactions?attention=true&type=REFUND').set(auth(finance.accessToken));
    expect(queue.body.items.map((t: { id: string }) => t.id)).toContain(stuck.body.id);
    const resolution = `/v1/admin/transactions/${stuck.body.id}/resolution`;
    const body = { status: 'FAILED', reason: 'DOKU settlement report of the day has no such refund' };
    expect((await http().post(resolution).set(auth(support.accessToken)).send(body)).status).toBe(403);
    expect((await http().post(resolution).set(auth(user.accessToken)).send(body)).status).toBe(403);
    expect((await http().post(resolution).set(auth(finance.accessToken)).send({ status: 'FAILED', reason: 'short' })).status).toBe(400);
    expect((await http().post(resolution).set(auth(finance.accessToken)).send({ status: 'CANCELED', reason: body.reason })).status).toBe(
      400,
    );

    // Maker-checker: one finance person asks, another approves, and only then does it move.
    const requested = await http().post(resolution).set(auth(finance.accessToken)).send(body);
    expect([requested.status, requested.body.status, requested.body.kind]).toEqual([202, 'PENDING', 'RESOLUTION']);
    expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '80000' });
    const checker = await registerUser(env.t, 'finance');
    const resolved = await http().post(`/v1/admin/approvals/${requested.body.id}/approve`).set(auth(checker.accessToken)).send({});
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('EXECUTED');
    expect(resolved.body.result.body).toMatchObject({
      id: stuck.body.id,
      status: 'FAILED',
      failureCode: 'ADMIN.RESOLVED_FAILED',
      details: { resolution: { by: finance.id, approvedBy: checker.id, reason: body.reason } },
    });
    expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '0', refunded_amount: '0' });
    const again = await http().post(resolution).set(auth(finance.accessToken)).send({ status: 'SUCCESS', reason: body.reason });
    expect([again.status, again.body.error.code]).toEqual([409, 'ADMIN.TRANSACTION_SETTLED']);
    expect(await row(purchaseId)).toMatchObject({ refund_reserved_amount: '0', refunded_amount: '0' });
    const events = await db.query<Array<{ to_status: string; cause: string; reason: string }>>(
      `SELECT to_status, cause, details->>'reason' AS reason FROM transaction_events WHERE transaction_id = $1 ORDER BY created_at`,
      [stuck.body.id],
    );
    expect(events.at(-1)).toEqual({ to_status: 'FAILED', cause: 'back-office', reason: body.reason });

    // The released amount is refundable again; DOKU applied nothing for the stuck one.
    env.sim.control.clearFaults();
    const next = await refund(user, purchaseId, 100_000);
    expect(next.status).toBe(201);
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditTotal).toBe('100000.00');
    expect((await http().post(`/v1/admin/transactions/${randomUUID()}/resolution`).set(auth(finance.accessToken)).send(body)).status).toBe(
      404,
    );
  });
});
