import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditTrail } from '../src/audit/audit-trail.service';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

const THRESHOLD = 50_000;

/**
 * Maker-checker over real HTTP against the DOKU simulator: a back-office refund above the threshold
 * and every manual resolution wait for a second person; the simulator's ledger shows that nothing
 * is refunded before the approval, and exactly once after it.
 */
describe('Maker-checker for back-office refunds and resolutions (e2e, simulator)', () => {
  let env: WalletEnv;
  let db: DataSource;
  let refunder: string;
  let maker: SignedInUser;
  let checker: SignedInUser;
  let thirdFinance: SignedInUser;
  let support: SignedInUser;
  let admin: SignedInUser;

  beforeAll(async () => {
    env = await startWalletEnv({ MAKER_CHECKER_REFUND_THRESHOLD: String(THRESHOLD) });
    db = env.t.app.get(DataSource);
    refunder = (await serviceToken(env.t, ['refunds:write'])).token;
    maker = await registerUser(env.t, 'finance');
    checker = await registerUser(env.t, 'finance');
    thirdFinance = await registerUser(env.t, 'finance');
    support = await registerUser(env.t, 'support');
    admin = await registerUser(env.t, 'admin');
  });
  afterAll(async () => {
    await env.close();
  });
  afterEach(() => {
    env.sim.control.clearFaults();
  });

  const http = () => env.t.http();
  const key = () => `key-${randomUUID()}`;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  async function paidPurchase(amount: number): Promise<{ user: SignedInUser; purchaseId: string; accountId: string }> {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 1_000_000 });
    const created = await http().post('/v1/purchases').set(auth(user.accessToken)).set('idempotency-key', key()).send({ amount });
    expect(created.status).toBe(201);
    const [{ partner_reference_no: ref }] = await db.query<Array<{ partner_reference_no: string }>>(
      `SELECT partner_reference_no FROM transactions WHERE id = $1`,
      [created.body.id],
    );
    env.sim.control.pay({ partnerReferenceNo: ref });
    const after = await http().get(`/v1/purchases/${created.body.id}`).set(auth(user.accessToken));
    expect(after.body.status).toBe('SUCCESS');
    return { user, purchaseId: created.body.id as string, accountId: wallet.accountId };
  }

  const backOfficeRefund = (who: SignedInUser, purchaseId: string, amount: number, idempotencyKey = key()) =>
    http()
      .post(`/v1/admin/purchases/${purchaseId}/refunds`)
      .set(auth(who.accessToken))
      .set('idempotency-key', idempotencyKey)
      .send({ amount, reason: 'Order canceled by the merchant' });
  const approve = (who: SignedInUser, id: string) => http().post(`/v1/admin/approvals/${id}/approve`).set(auth(who.accessToken)).send({});
  const reject = (who: SignedInUser, id: string) =>
    http().post(`/v1/admin/approvals/${id}/reject`).set(auth(who.accessToken)).send({ note: 'Not agreed with the merchant' });
  const credited = (accountId: string) => env.sim.control.ledger({ accountId }).creditTotal;
  const auditActions = async (targetIds: string[]) =>
    (
      await db.query<Array<{ action: string; actor_id: string }>>(
        `SELECT action, actor_id FROM audit_log WHERE target_id = ANY($1) ORDER BY seq`,
        [targetIds],
      )
    ).map((r) => `${r.action} by ${r.actor_id}`);

  it('a refund at or below the threshold is made at once, and audited', async () => {
    const { purchaseId, accountId } = await paidPurchase(100_000);
    const res = await backOfficeRefund(maker, purchaseId, THRESHOLD);
    expect([res.status, res.body.status, res.body.amount]).toEqual([201, 'SUCCESS', THRESHOLD]);
    expect(credited(accountId)).toBe('50000.00');
    expect(await auditActions([purchaseId])).toEqual([`refund.created by ${maker.id}`]);
  });

  it('above the threshold: pending until another finance person approves; the maker cannot approve; made exactly once', async () => {
    const { purchaseId, accountId } = await paidPurchase(200_000);
    const k = key();
    const requested = await backOfficeRefund(maker, purchaseId, 150_000, k);
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({
      kind: 'REFUND',
      status: 'PENDING',
      targetId: purchaseId,
      amount: 150_000,
      requestedBy: maker.id,
    });
    const approvalId = requested.body.id as string;
    // Nothing reserved, nothing sent to DOKU.
    expect(credited(accountId)).toBe('0.00');
    const [held] = await db.query<Array<{ refund_reserved_amount: string }>>(
      `SELECT refund_reserved_amount FROM transactions WHERE id = $1`,
      [purchaseId],
    );
    expect(held.refund_reserved_amount).toBe('0');

    // The same key again is the same request; with another amount it is refused.
    const replay = await backOfficeRefund(maker, purchaseId, 150_000, k);
    expect([replay.status, replay.headers['idempotent-replayed'], replay.body.id]).toEqual([202, 'true', approvalId]);
    expect((await backOfficeRefund(maker, purchaseId, 160_000, k)).body.error.code).toBe('IDEMPOTENCY.KEY_REUSED');

    const own = await approve(maker, approvalId);
    expect([own.status, own.body.error.code]).toEqual([403, 'APPROVAL.SAME_PERSON']);
    expect((await reject(maker, approvalId)).status).toBe(403);
    expect((await approve(support, approvalId)).status).toBe(403);
    expect((await approve(admin, approvalId)).status).toBe(403);
    expect(credited(accountId)).toBe('0.00');

    const pending = await http().get('/v1/admin/approvals?status=PENDING&kind=REFUND&pageSize=50').set(auth(admin.accessToken));
    expect(pending.status).toBe(200);
    expect(pending.body.items.map((a: { id: string }) => a.id)).toContain(approvalId);

    const approved = await approve(checker, approvalId);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: approvalId, status: 'EXECUTED', decidedBy: checker.id, result: { status: 201 } });
    expect(approved.body.result.body).toMatchObject({ purchaseId, status: 'SUCCESS', amount: 150_000, purchaseRefundedAmount: 150_000 });
    expect(credited(accountId)).toBe('150000.00');

    // Approving again carries out nothing more.
    const again = await approve(thirdFinance, approvalId);
    expect([again.status, again.body.error.code, again.body.error.details.status]).toEqual([409, 'APPROVAL.NOT_PENDING', 'EXECUTED']);
    expect(credited(accountId)).toBe('150000.00');
    const refunds = await db.query<Array<{ initiator_id: string; amount: string }>>(
      `SELECT initiator_id, amount FROM transactions WHERE parent_id = $1 AND type = 'REFUND'`,
      [purchaseId],
    );
    expect(refunds).toEqual([{ initiator_id: maker.id, amount: '150000' }]);

    expect(await auditActions([purchaseId, approvalId])).toEqual([
      `refund.requested by ${maker.id}`,
      `approval.approved by ${checker.id}`,
      `refund.created by ${checker.id}`,
    ]);
  });

  it('a rejected request is never carried out', async () => {
    const { purchaseId, accountId } = await paidPurchase(100_000);
    const requested = await backOfficeRefund(maker, purchaseId, 90_000);
    expect(requested.status).toBe(202);
    const rejected = await reject(checker, requested.body.id);
    expect([rejected.status, rejected.body.status, rejected.body.decisionNote]).toEqual([200, 'REJECTED', 'Not agreed with the merchant']);
    const late = await approve(thirdFinance, requested.body.id);
    expect([late.status, late.body.error.code]).toEqual([409, 'APPROVAL.NOT_PENDING']);
    expect(credited(accountId)).toBe('0.00');
    expect(await auditActions([requested.body.id])).toEqual([`refund.requested by ${maker.id}`, `approval.rejected by ${checker.id}`]);
  });

  it('two people approving at once, or again after an approval whose refund never ran, refund exactly once', async () => {
    const { purchaseId, accountId } = await paidPurchase(300_000);
    const first = await backOfficeRefund(maker, purchaseId, 100_000);
    const [a, b] = await Promise.all([approve(checker, first.body.id), approve(thirdFinance, first.body.id)]);
    // The second waits for the first: it finds the refund done (409) or carries on the same one.
    expect([a.status, b.status].every((s) => s === 200 || s === 409)).toBe(true);
    expect([a.status, b.status]).toContain(200);
    expect(credited(accountId)).toBe('100000.00');

    // As if the process died after the approval committed and before the refund was written.
    const second = await backOfficeRefund(maker, purchaseId, 120_000);
    await db.query(`UPDATE approvals SET status = 'APPROVED', decided_by = $2, decided_at = now() WHERE id = $1`, [
      second.body.id,
      checker.id,
    ]);
    expect(credited(accountId)).toBe('100000.00');
    const resumed = await approve(thirdFinance, second.body.id);
    expect([resumed.status, resumed.body.status, resumed.body.result.status]).toEqual([200, 'EXECUTED', 201]);
    const resumedAgain = await approve(checker, second.body.id);
    expect(resumedAgain.status).toBe(409);
    expect(credited(accountId)).toBe('220000.00');
  });

  it('an approved refund that no longer fits what is refundable ends FAILED with a stable code, nothing sent', async () => {
    const { user, purchaseId, accountId } = await paidPurchase(100_000);
    const requested = await backOfficeRefund(maker, purchaseId, 80_000);
    // Meanwhile a service refunds most of it.
    const byService = await http()
      .post(`/v1/users/${user.id}/purchases/${purchaseId}/refunds`)
      .set(auth(refunder))
      .set('idempotency-key', key())
      .send({ amount: 50_000, reason: 'Item out of stock' });
    expect(byService.status).toBe(201);
    const approved = await approve(checker, requested.body.id);
    expect([approved.status, approved.body.error.code]).toEqual([422, 'PURCHASE.REFUND_EXCEEDS_PAID']);
    const after = await http().get(`/v1/admin/approvals/${requested.body.id}`).set(auth(checker.accessToken));
    expect([after.body.status, after.body.result.body.error.code]).toEqual(['FAILED', 'PURCHASE.REFUND_EXCEEDS_PAID']);
    expect(credited(accountId)).toBe('50000.00');
  });

  it('every manual resolution waits for a second person; support and admin cannot ask; one open request per transaction', async () => {
    const { user, purchaseId } = await paidPurchase(100_000);
    env.sim.control.setFaults([
      { endpoint: 'refundPurchase', type: 'error_before', status: 503 },
      { endpoint: 'queryPurchase', type: 'error_before', status: 503 },
    ]);
    const stuck = await http()
      .post(`/v1/users/${user.id}/purchases/${purchaseId}/refunds`)
      .set(auth(refunder))
      .set('idempotency-key', key())
      .send({ amount: 30_000, reason: 'Item out of stock' });
    expect([stuck.status, stuck.body.status]).toEqual([202, 'UNKNOWN']);
    const resolution = `/v1/admin/transactions/${stuck.body.id}/resolution`;
    const body = { status: 'FAILED', reason: 'DOKU support ticket 4411: no such refund' };
    expect((await http().post(resolution).set(auth(support.accessToken)).send(body)).status).toBe(403);
    expect((await http().post(resolution).set(auth(admin.accessToken)).send(body)).status).toBe(403);

    const requested = await http().post(resolution).set(auth(maker.accessToken)).send(body);
    expect([requested.status, requested.body.status, requested.body.kind]).toEqual([202, 'PENDING', 'RESOLUTION']);
    const twice = await http().post(resolution).set(auth(checker.accessToken)).send(body);
    expect([twice.status, twice.body.error.code]).toEqual([409, 'APPROVAL.ALREADY_REQUESTED']);
    const [still] = await db.query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = $1`, [stuck.body.id]);
    expect(still.status).toBe('UNKNOWN');

    const own = await approve(maker, requested.body.id);
    expect([own.status, own.body.error.code]).toEqual([403, 'APPROVAL.SAME_PERSON']);
    const approved = await approve(checker, requested.body.id);
    expect([approved.status, approved.body.status]).toEqual([200, 'EXECUTED']);
    expect(approved.body.result.body).toMatchObject({
      id: stuck.body.id,
      status: 'FAILED',
      details: { resolution: { by: maker.id, approvedBy: checker.id, reason: body.reason } },
    });
    const [purchase] = await db.query<Array<{ refund_reserved_amount: string }>>(
      `SELECT refund_reserved_amount FROM transactions WHERE id = $1`,
      [purchaseId],
    );
    expect(purchase.refund_reserved_amount).toBe('0');
    expect(await auditActions([requested.body.id, stuck.body.id])).toEqual([
      `resolution.requested by ${maker.id}`,
      `approval.approved by ${checker.id}`,
      `transaction.resolved by ${checker.id}`,
    ]);
    // Settled: a new request is refused at once.
    const late = await http().post(resolution).set(auth(thirdFinance.accessToken)).send(body);
    expect([late.status, late.body.error.code]).toEqual([409, 'ADMIN.TRANSACTION_SETTLED']);
  });

  it('the audit chain of everything above verifies, and names each person with their role and address', async () => {
    const result = await env.t.app.get(AuditTrail).verify();
    expect(result.ok).toBe(true);
    expect(result.rows).toBeGreaterThanOrEqual(15);
    const actors = await db.query<Array<{ actor_id: string; actor_role: string; ip: string }>>(
      `SELECT DISTINCT actor_id, actor_role, ip FROM audit_log WHERE action LIKE 'approval.%' OR action LIKE 'refund.%' OR action LIKE 'resolution.%'`,
    );
    expect(actors.map((a) => a.actor_id)).toEqual(expect.arrayContaining([maker.id, checker.id, thirdFinance.id]));
    for (const a of actors) expect(a).toEqual({ actor_id: expect.any(String), actor_role: 'finance', ip: '127.0.0.1' });
  });

  it('unknown approvals are 404; bad notes are 400', async () => {
    expect((await approve(checker, randomUUID())).body.error.code).toBe('APPROVAL.NOT_FOUND');
    expect((await approve(checker, 'not-a-uuid')).status).toBe(404);
    expect((await http().get(`/v1/admin/approvals/${randomUUID()}`).set(auth(admin.accessToken))).status).toBe(404);
    const bad = await http().post(`/v1/admin/approvals/${randomUUID()}/reject`).set(auth(checker.accessToken)).send({ note: '' });
    expect(bad.status).toBe(400);
  });
});
