import { randomUUID } from 'node:crypto';
import { rupiah } from '../src/common/money/money';
import { toSnapMoney } from '../src/integrations/doku/snap/doku-mapper';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { BoundWallet, WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/** History merged with DOKU's, and the back-office reads, against the simulator. */
describe('History and back office', () => {
  let env: WalletEnv;
  let alice: SignedInUser;
  let wallet: BoundWallet;
  let transferId: string;
  let transferRef: string;
  let externalRef: string;

  beforeAll(async () => {
    env = await startWalletEnv();
    alice = await registerUser(env.t);
    wallet = await createBoundWallet(env, alice, { balance: 500_000 });
    const auth = (r: ReturnType<ReturnType<typeof env.t.http>['post']>) => r.set('authorization', `Bearer ${alice.accessToken}`);
    const inq = await auth(env.t.http().post('/v1/bank-transfers/inquiries')).send({
      bankCode: '008',
      accountNumber: '1122334455',
      amount: 25_000,
    });
    const transfer = await auth(env.t.http().post('/v1/bank-transfers'))
      .set('idempotency-key', `h-${randomUUID()}`)
      .send({ inquiryId: inq.body.inquiryId });
    expect(transfer.status).toBe(201);
    transferId = transfer.body.id;
    transferRef = transfer.body.partnerReferenceNo;
    // A top-up made elsewhere (not through this API): only DOKU knows it.
    externalRef = `EXT-${randomUUID().replace(/-/g, '')}`;
    await env.t.app.get(DokuClient).topUp({
      partnerReferenceNo: externalRef,
      customerNumber: wallet.phone,
      amount: toSnapMoney(rupiah(4_000)),
      additionalInfo: { accountId: wallet.accountId },
    });
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(() => {
    env.sim.control.setFaults([]);
  });

  const get = (token: string, path: string) => env.t.http().get(path).set('authorization', `Bearer ${token}`);

  it("merges our transfer with DOKU's view and lists the DOKU-only top-up", async () => {
    const res = await get(alice.accessToken, '/v1/transactions');
    expect(res.status).toBe(200);
    expect(res.body.dokuAvailable).toBe(true);
    const ours = res.body.items.find((i: { id: string }) => i.id === transferId);
    expect(ours).toMatchObject({
      source: 'BOTH',
      type: 'BANK_TRANSFER',
      status: 'SUCCESS',
      amount: 25_000,
      partnerReferenceNo: transferRef,
    });
    expect(ours.doku).toMatchObject({ type: 'DISBURSMENT', status: 'SUCCESS', amount: 25_000 });
    const external = res.body.items.find((i: { partnerReferenceNo: string }) => i.partnerReferenceNo === externalRef);
    expect(external).toMatchObject({ source: 'DOKU', id: null, type: 'TOP_UP', status: 'SUCCESS', amount: 4_000 });
  });

  it('pages the merged list and refuses page sizes over 50 and windows over 31 days', async () => {
    const first = await get(alice.accessToken, '/v1/transactions?page=1&pageSize=1');
    const second = await get(alice.accessToken, '/v1/transactions?page=2&pageSize=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.hasMore).toBe(true);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].partnerReferenceNo).not.toBe(first.body.items[0].partnerReferenceNo);

    expect((await get(alice.accessToken, '/v1/transactions?pageSize=10000')).status).toBe(400);
    const wide = await get(alice.accessToken, '/v1/transactions?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(wide.status).toBe(400);
    expect(wide.body.error.code).toBe('HISTORY.RANGE_TOO_WIDE');
    const reversed = await get(alice.accessToken, '/v1/transactions?from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z');
    expect(reversed.body.error.code).toBe('HISTORY.INVALID_RANGE');
  });

  it("still answers with our records when DOKU is down, flagged as missing DOKU's side", async () => {
    env.sim.control.setFaults([{ endpoint: 'transactionHistoryList', type: 'error_before', status: 503 }]);
    const res = await get(alice.accessToken, '/v1/transactions');
    expect(res.status).toBe(200);
    expect(res.body.dokuAvailable).toBe(false);
    expect(res.body.dokuError).toBe('DOKU.UNAVAILABLE');
    expect(res.body.items.map((i: { id: string }) => i.id)).toContain(transferId);
  });

  it("gives the detail with DOKU's view; another user's transaction is 404", async () => {
    const res = await get(alice.accessToken, `/v1/transactions/${transferId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: transferId, source: 'BOTH', dokuAvailable: true, doku: { status: 'SUCCESS' } });
    const bob = await registerUser(env.t);
    expect((await get(bob.accessToken, `/v1/transactions/${transferId}`)).status).toBe(404);
    const bobList = await get(bob.accessToken, '/v1/transactions');
    expect(bobList.body.items).toEqual([]);
    expect(bobList.body).toMatchObject({ dokuAvailable: false, dokuError: 'WALLET.NOT_FOUND' });
  });

  it('services with wallets:read and the back office read a user history', async () => {
    const reader = await serviceToken(env.t, ['wallets:read']);
    const svc = await get(reader.token, `/v1/users/${alice.id}/transactions`);
    expect(svc.status).toBe(200);
    expect(svc.body.items.map((i: { id: string }) => i.id)).toContain(transferId);
    const support = await registerUser(env.t, 'support');
    expect((await get(support.accessToken, `/v1/admin/users/${alice.id}/transactions/${transferId}`)).body.id).toBe(transferId);
    const writer = await serviceToken(env.t, ['topups:write']);
    expect((await get(writer.token, `/v1/users/${alice.id}/transactions`)).status).toBe(403);
  });

  it("support sees where a purchase's payment page went, not its one-time token; the customer's own answer keeps the working link", async () => {
    const created = await env.t
      .http()
      .post('/v1/purchases')
      .set('authorization', `Bearer ${alice.accessToken}`)
      .set('idempotency-key', `admin-mask-${randomUUID()}`)
      .send({ amount: 12_000, description: 'masked link' });
    expect(created.status).toBe(201);
    const link = created.body.webRedirectUrl as string;
    const token = new URL(link).searchParams.get('token');
    expect(token).toBeTruthy();
    const support = await registerUser(env.t, 'support');
    const detail = await get(support.accessToken, `/v1/admin/transactions/${created.body.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.details.webRedirectUrl).toBe(`${link.split('?')[0]}?[redacted]`);
    expect(JSON.stringify(detail.body)).not.toContain(token!);
    const own = await get(alice.accessToken, `/v1/purchases/${created.body.id}`);
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.body)).toContain(encodeURIComponent(token!));
  });

  it('admin reads: user search, user with wallet, transactions with events, DOKU exchanges', async () => {
    const support = await registerUser(env.t, 'support');
    const token = support.accessToken;
    const found = await get(token, `/v1/admin/users?query=${encodeURIComponent(alice.email.slice(0, 8))}`);
    expect(found.body.items.map((u: { id: string }) => u.id)).toContain(alice.id);
    const byPhone = await get(token, `/v1/admin/users?query=${wallet.phone}`);
    expect(byPhone.body.items.map((u: { id: string }) => u.id)).toEqual([alice.id]);

    const user = await get(token, `/v1/admin/users/${alice.id}`);
    expect(user.body).toMatchObject({ id: alice.id, wallet: { status: 'BOUND' } });
    expect(user.body.wallet.accountId).toMatch(/^\*+\d{4}$/);
    expect((await get(token, `/v1/admin/users/${randomUUID()}`)).status).toBe(404);

    const list = await get(token, `/v1/admin/transactions?type=BANK_TRANSFER&status=SUCCESS&userId=${alice.id}`);
    expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([transferId]);
    const detail = await get(token, `/v1/admin/transactions/${transferId}`);
    expect(detail.body.events.map((e: { toStatus: string }) => e.toStatus)).toEqual(['PENDING', 'SUCCESS']);
    // Each change says its cause from the closed set, and the sentence derived from it.
    expect(detail.body.events.map((e: { cause: string; causeDescription: string }) => [e.cause, e.causeDescription])).toEqual([
      ['created', 'Recorded before calling DOKU'],
      ['doku-response', "DOKU's answer to the request"],
    ]);

    const exchanges = await get(token, `/v1/admin/doku-exchanges?partnerReference=${transferRef}`);
    expect(exchanges.status).toBe(200);
    expect(exchanges.body.items.length).toBeGreaterThanOrEqual(1);
    const payment = exchanges.body.items.find((e: { endpoint: string }) => e.endpoint === 'transferBankPayment');
    expect(payment).toMatchObject({ responseCode: '2004300', partnerReference: transferRef });
    expect(payment.requestBody.beneficiaryAccountNumber).toBe('******4455');
    const text = JSON.stringify(exchanges.body);
    expect(text).not.toContain('1122334455');
    expect(text).not.toContain(wallet.phone);
  });

  it('support cannot call write routes; mobile users cannot read the back office', async () => {
    const support = await registerUser(env.t, 'support');
    const write = await env.t
      .http()
      .post(`/v1/admin/users/${alice.id}/top-ups`)
      .set('authorization', `Bearer ${support.accessToken}`)
      .set('idempotency-key', `s-${randomUUID()}`)
      .send({ inquiryId: randomUUID() });
    expect(write.status).toBe(403);
    expect((await get(alice.accessToken, '/v1/admin/users')).status).toBe(403);
    expect((await get(alice.accessToken, `/v1/admin/doku-exchanges`)).status).toBe(403);
  });
});
