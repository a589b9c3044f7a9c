import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { rupiah } from '../src/common/money/money';
import { toSnapMoney } from '../src/integrations/doku/snap/doku-mapper';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

interface Break {
  kind: string;
  partnerReferenceNo: string | null;
  transactionId: string | null;
  ourStatus: string | null;
  ourAmount: number | null;
  dokuStatus: string | null;
  dokuAmount: number | null;
}

/** The back office's per-user balance check against the simulator's balance and history. */
describe('Balance check (GET /v1/admin/users/:userId/balance-check)', () => {
  let env: WalletEnv;
  let db: DataSource;
  let user: SignedInUser;
  let support: SignedInUser;
  let accountId: string;
  let service: string;

  beforeAll(async () => {
    env = await startWalletEnv();
    db = env.t.app.get(DataSource);
    user = await registerUser(env.t);
    support = await registerUser(env.t, 'support');
    accountId = (await createBoundWallet(env, user, { balance: 100_000 })).accountId;
    service = (await serviceToken(env.t, ['topups:write'])).token;
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(() => {
    env.sim.control.clearFaults();
  });

  const check = (as: SignedInUser, userId = user.id) =>
    env.t.http().get(`/v1/admin/users/${userId}/balance-check`).set('authorization', `Bearer ${as.accessToken}`);
  const topUp = async (amount: number): Promise<{ id: string; partnerReferenceNo: string; status: string }> => {
    const base = `/v1/users/${user.id}/top-ups`;
    const inq = await env.t.http().post(`${base}/inquiries`).set('authorization', `Bearer ${service}`).send({ amount });
    expect(inq.status).toBe(201);
    const res = await env.t
      .http()
      .post(base)
      .set('authorization', `Bearer ${service}`)
      .set('idempotency-key', `bc-${randomUUID()}`)
      .send({ inquiryId: inq.body.inquiryId });
    expect([201, 202]).toContain(res.status);
    return res.body;
  };

  it('reports a consistent wallet: our net, DOKU balance and the informational difference', async () => {
    const t = await topUp(20_000);
    expect(t.status).toBe('SUCCESS');
    const res = await check(support);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      userId: user.id,
      historyComplete: true,
      consistent: true,
      breaks: [],
      records: { topUps: 20_000, purchases: 0, refunds: 0, bankTransfers: 0, net: 20_000, unresolved: [] },
      // The 100,000 the account started with never went through us: reported, not a break.
      balance: { dokuLedger: 120_000, dokuAvailable: 120_000, recordedNet: 20_000, difference: 100_000 },
    });
    expect(res.body.dokuHistoryItems).toBe(1);
  });

  it('reports each kind of break', async () => {
    // STATUS_MISMATCH: DOKU credited it, our row says FAILED.
    const statusBroken = await topUp(11_000);
    await db.query(`UPDATE transactions SET status = 'FAILED', failure_code = 'DOKU.REJECTED' WHERE id = $1`, [statusBroken.id]);
    // AMOUNT_MISMATCH: both say SUCCESS, for different amounts.
    const amountBroken = await topUp(12_000);
    await db.query(`UPDATE transactions SET amount = 12500 WHERE id = $1`, [amountBroken.id]);
    // UNRESOLVED: DOKU keeps the top-up pending (03), ours stays unresolved.
    env.sim.control.setFaults([{ endpoint: 'topUp', type: 'pending', times: 1 }]);
    const pending = await topUp(13_000);
    expect(['PENDING', 'UNKNOWN']).toContain(pending.status);
    // MISSING_LOCALLY: a top-up applied at DOKU behind our back (straight through the DOKU API).
    const [{ phone }] = await db.query(`SELECT phone FROM wallets WHERE user_id = $1`, [user.id]);
    const behindOurBack = `TOP-${randomUUID().replace(/-/g, '')}`;
    await env.t.app.get(DokuClient).topUp({
      partnerReferenceNo: behindOurBack,
      customerNumber: phone,
      amount: toSnapMoney(rupiah(14_000)),
      additionalInfo: { accountId },
    });
    // MISSING_AT_DOKU: a SUCCESS row of ours DOKU has never heard of.
    const ghostReference = `BTR-${randomUUID().replace(/-/g, '')}`;
    const [ghost] = await db.query(
      `INSERT INTO transactions (user_id, type, status, amount, partner_reference_no, details, initiator_kind, initiator_id, finalized_at)
       VALUES ($1::uuid, 'BANK_TRANSFER', 'SUCCESS', 15000, $2, '{}', 'user', $1::text, now()) RETURNING id`,
      [user.id, ghostReference],
    );

    const res = await check(support);
    expect(res.status).toBe(200);
    expect(res.body.consistent).toBe(false);
    const breaks = res.body.breaks as Break[];
    const byRef = (ref: string) => breaks.filter((b) => b.partnerReferenceNo === ref);

    expect(byRef(statusBroken.partnerReferenceNo)).toEqual([
      expect.objectContaining({
        kind: 'STATUS_MISMATCH',
        transactionId: statusBroken.id,
        ourStatus: 'FAILED',
        dokuStatus: 'SUCCESS',
        ourAmount: 11_000,
        dokuAmount: 11_000,
      }),
    ]);
    expect(byRef(amountBroken.partnerReferenceNo)).toEqual([
      expect.objectContaining({
        kind: 'AMOUNT_MISMATCH',
        transactionId: amountBroken.id,
        ourStatus: 'SUCCESS',
        dokuStatus: 'SUCCESS',
        ourAmount: 12_500,
        dokuAmount: 12_000,
      }),
    ]);
    expect(byRef(pending.partnerReferenceNo)).toEqual([
      expect.objectContaining({ kind: 'UNRESOLVED', transactionId: pending.id, dokuStatus: 'PENDING', ourAmount: 13_000 }),
    ]);
    expect(byRef(behindOurBack)).toEqual([
      expect.objectContaining({ kind: 'MISSING_LOCALLY', transactionId: null, ourStatus: null, dokuStatus: 'SUCCESS', dokuAmount: 14_000 }),
    ]);
    expect(byRef(ghostReference)).toEqual([
      expect.objectContaining({
        kind: 'MISSING_AT_DOKU',
        transactionId: ghost.id,
        ourStatus: 'SUCCESS',
        dokuStatus: null,
        ourAmount: 15_000,
      }),
    ]);
    expect(breaks).toHaveLength(5);

    // Our records: SUCCESS rows only (20,000 + 12,500 top-ups, the 15,000 transfer); the pending one is listed apart.
    expect(res.body.records).toMatchObject({ topUps: 32_500, bankTransfers: 15_000, net: 17_500 });
    expect(res.body.records.unresolved).toEqual([expect.objectContaining({ id: pending.id, amount: 13_000 })]);
    const dokuLedger = Number(env.sim.control.getAccount(accountId).balance);
    expect(res.body.balance).toMatchObject({ dokuLedger, recordedNet: 17_500, difference: dokuLedger - 17_500 });
  });

  it('is for admin, support and finance only; another role is refused and an unknown user is 404', async () => {
    expect((await check(user)).status).toBe(403);
    const finance = await registerUser(env.t, 'finance');
    expect((await check(finance)).status).toBe(200);
    const missing = await check(support, randomUUID());
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('USER.NOT_FOUND');
    expect((await check(support, 'not-a-uuid')).status).toBe(404);
    // A user without a bound wallet has nothing at DOKU to compare.
    const unbound = await registerUser(env.t);
    expect((await check(support, unbound.id)).body.error.code).toBe('WALLET.NOT_FOUND');
  });

  it("reads every page of DOKU's history", async () => {
    const other = await registerUser(env.t);
    const otherAccount = (await createBoundWallet(env, other, { balance: 0 })).accountId;
    const [{ phone }] = await db.query(`SELECT phone FROM wallets WHERE user_id = $1`, [other.id]);
    const doku = env.t.app.get(DokuClient);
    const references: string[] = [];
    for (let i = 0; i < 53; i++) {
      const reference = `TOP-${randomUUID().replace(/-/g, '')}`;
      references.push(reference);
      await doku.topUp({
        partnerReferenceNo: reference,
        customerNumber: phone,
        amount: toSnapMoney(rupiah(1_000)),
        additionalInfo: { accountId: otherAccount },
      });
    }
    const res = await check(support, other.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      dokuHistoryItems: 53,
      historyComplete: true,
      balance: { dokuLedger: 53_000, recordedNet: 0, difference: 53_000 },
    });
    expect((res.body.breaks as Break[]).map((b) => b.partnerReferenceNo).sort()).toEqual(references.sort());
    expect((res.body.breaks as Break[]).every((b) => b.kind === 'MISSING_LOCALLY')).toBe(true);
  });
});
