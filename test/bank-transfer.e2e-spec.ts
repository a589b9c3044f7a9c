import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/** Withdrawal to a bank account (docs/doku-integration.md#bank-transfer) against the simulator; its ledger is the ground truth. */
describe('Bank transfer: inquiry, confirm, status', () => {
  let env: WalletEnv;
  let alice: SignedInUser;
  let bob: SignedInUser;
  let aliceAccount: string;

  beforeAll(async () => {
    env = await startWalletEnv();
    alice = await registerUser(env.t);
    bob = await registerUser(env.t);
    aliceAccount = (await createBoundWallet(env, alice, { balance: 1_000_000 })).accountId;
    await createBoundWallet(env, bob, { balance: 50_000 });
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(() => {
    env.sim.control.setFaults([]);
  });

  const as = (u: SignedInUser) => ({
    post: (path: string, body: object, key?: string) => {
      const r = env.t.http().post(path).set('authorization', `Bearer ${u.accessToken}`);
      if (key) r.set('idempotency-key', key);
      return r.send(body);
    },
    get: (path: string) => env.t.http().get(path).set('authorization', `Bearer ${u.accessToken}`),
  });
  const inquire = (u: SignedInUser, amount: number, accountNumber = '8377388292', bankCode = '014') =>
    as(u).post('/v1/bank-transfers/inquiries', { bankCode, accountNumber, amount });
  const balance = () => env.sim.control.getAccount(aliceAccount).balance;
  const debitsOf = (partnerReferenceNo: string) => env.sim.control.ledger({ partnerReferenceNo }).debitCount;

  it('shows the beneficiary with the account number masked, then transfers once and debits the wallet', async () => {
    const before = balance();
    const inq = await inquire(alice, 100_000);
    expect(inq.status).toBe(201);
    expect(inq.body).toMatchObject({ beneficiaryName: 'FHILEA HERMANUS', bankCode: '014', accountNumber: '******8292', amount: 100_000 });
    expect(JSON.stringify(inq.body)).not.toContain('8377388292');

    const res = await as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, `bt-${randomUUID()}`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'SUCCESS', amount: 100_000, accountNumber: '******8292', beneficiaryName: 'FHILEA HERMANUS' });
    expect(debitsOf(res.body.partnerReferenceNo)).toBe(1);
    expect(Number(balance())).toBe(Number(before) - 100_000);

    const status = await as(alice).get(`/v1/bank-transfers/${res.body.id}`);
    expect(status.body).toMatchObject({ id: res.body.id, status: 'SUCCESS' });

    // The same inquiry cannot be confirmed twice under another key.
    const again = await as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, `bt-${randomUUID()}`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('BANK.INQUIRY_USED');
  });

  it('refuses a transfer above the balance with DOKU.INSUFFICIENT_BALANCE and records it FAILED', async () => {
    const inq = await inquire(bob, 60_000);
    const key = `bt-${randomUUID()}`;
    const res = await as(bob).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, key);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('DOKU.INSUFFICIENT_BALANCE');
    const id = res.body.error.details.transactionId as string;
    expect((await as(bob).get(`/v1/bank-transfers/${id}`)).body).toMatchObject({
      status: 'FAILED',
      failureCode: 'DOKU.INSUFFICIENT_BALANCE',
    });
    // A replay of the key answers the same stored refusal.
    const replay = await as(bob).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, key);
    expect(replay.status).toBe(422);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('answers an unknown bank account with BANK.UNKNOWN_ACCOUNT', async () => {
    const res = await inquire(alice, 10_000, '9999999999');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('BANK.UNKNOWN_ACCOUNT');
    expect(JSON.stringify(res.body)).not.toContain('9999999999');
  });

  it("does not let one user confirm another user's inquiry, or read their transfer (404)", async () => {
    const inq = await inquire(alice, 1_000);
    const res = await as(bob).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, `bt-${randomUUID()}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('BANK.INQUIRY_NOT_FOUND');
    const mine = await as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, `bt-${randomUUID()}`);
    expect((await as(bob).get(`/v1/bank-transfers/${mine.body.id}`)).status).toBe(404);
    expect((await as(bob).get('/v1/bank-transfers/not-a-uuid')).status).toBe(404);
  });

  it('rejects bad amounts and unknown fields before calling DOKU', async () => {
    for (const amount of [0, -1, 1e20, 10.5, '10000']) {
      const res = await as(alice).post('/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: '8377388292', amount });
      expect(res.status).toBe(400);
    }
    const extra = await as(alice).post('/v1/bank-transfers/inquiries', {
      bankCode: '014',
      accountNumber: '8377388292',
      amount: 1000,
      beneficiaryName: 'X',
    });
    expect(extra.status).toBe(400);
    // Over the configured maximum (DOKU_TRANSACTION_MAX_AMOUNT, 10,000,000 by default).
    const over = await as(alice).post('/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: '8377388292', amount: 10_000_001 });
    expect([over.status, over.body.error.code, over.body.error.details]).toEqual([400, 'AMOUNT.OUT_OF_RANGE', { min: 1, max: 10_000_000 }]);
  });

  it('debits once for the same Idempotency-Key sent twice at once', async () => {
    const inq = await inquire(alice, 7_000);
    const key = `bt-${randomUUID()}`;
    const results = await Promise.all([0, 1].map(() => as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, key)));
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(debitsOf(ok[0].body.partnerReferenceNo)).toBe(1);
    expect(env.sim.control.transactions({ type: 'TRANSFER', accountId: aliceAccount }).filter((x) => x.amount === '7000.00')).toHaveLength(
      1,
    );
  });

  it('leaves a transfer whose answer was lost UNKNOWN, then resolves it from DOKU history without a second debit', async () => {
    const before = Number(balance());
    const inq = await inquire(alice, 12_000);
    env.sim.control.setFaults([{ endpoint: 'transferBankPayment', type: 'error_after', status: 504, times: 1 }]);
    const key = `bt-${randomUUID()}`;
    const res = await as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, key);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('UNKNOWN');
    expect(env.sim.control.listFaults().rules[0].fired).toBe(1);

    const resolved = await as(alice).get(`/v1/bank-transfers/${res.body.id}`);
    expect(resolved.body).toMatchObject({ id: res.body.id, status: 'SUCCESS' });
    // A retry with the same key replays the stored 202; nothing is sent again.
    const replay = await as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(debitsOf(res.body.partnerReferenceNo)).toBe(1);
    expect(Number(balance())).toBe(before - 12_000);
  });

  it('never shows a transfer DOKU does not know as FAILED; the reconciler sends it again with the same reference, executed once', async () => {
    const inq = await inquire(alice, 3_000);
    env.sim.control.setFaults([{ endpoint: 'transferBankPayment', type: 'error_before', status: 503, times: 1 }]);
    const res = await as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, `bt-${randomUUID()}`);
    expect(res.status).toBe(202);
    const status = await as(alice).get(`/v1/bank-transfers/${res.body.id}`);
    expect(status.body.status).toBe('UNKNOWN');
    expect(debitsOf(res.body.partnerReferenceNo)).toBe(0);

    // Past the grace period, DOKU's "not found" still settles nothing: DOKU's history may lag
    // behind a transfer it executed. A customer's poll neither fails it nor sends it again.
    const db = env.t.app.get(DataSource);
    // The transfer and its call's recorded outcome both two minutes old (the grace counts from when
    // our call ended, docs/money-rules.md#not-found-counts-from-the-last-call).
    await db.query(`UPDATE transactions SET created_at = now() - interval '2 minutes' WHERE id = $1`, [res.body.id]);
    await db.query(`UPDATE transaction_events SET created_at = created_at - interval '2 minutes' WHERE transaction_id = $1`, [res.body.id]);
    const polled = await as(alice).get(`/v1/bank-transfers/${res.body.id}`);
    expect(polled.body).toMatchObject({ status: 'UNKNOWN', failureCode: null });
    expect(debitsOf(res.body.partnerReferenceNo)).toBe(0);
    // The inquiry stays taken: confirming it again cannot start a second transfer.
    const second = await as(alice).post('/v1/bank-transfers', { inquiryId: inq.body.inquiryId }, `bt-${randomUUID()}`);
    expect(second.body.error.code).toBe('BANK.INQUIRY_USED');

    // The reconciler's check sends the same transfer again (same partnerReferenceNo): executed once.
    await db.query(`UPDATE transactions SET next_check_at = now() - interval '1 second' WHERE id = $1`, [res.body.id]);
    await env.t.app.get(ReconciliationService).runOnce();
    const settled = await as(alice).get(`/v1/bank-transfers/${res.body.id}`);
    expect(settled.body.status).toBe('SUCCESS');
    expect(debitsOf(res.body.partnerReferenceNo)).toBe(1);
    // A further check changes nothing and sends nothing.
    await env.t.app.get(ReconciliationService).runOnce();
    expect(debitsOf(res.body.partnerReferenceNo)).toBe(1);
  });

  it('refuses back-office and service tokens on the user routes', async () => {
    const support = await registerUser(env.t, 'support');
    const res = await as(support).post('/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: '8377388292', amount: 1000 });
    expect(res.status).toBe(403);
  });
});
