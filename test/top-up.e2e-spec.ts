import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/** Top-up from the partner's corporate balance (docs/doku-integration.md#top-up) against the simulator. */
describe('Top-up: inquiry, top-up, query', () => {
  let env: WalletEnv;
  let user: SignedInUser;
  let accountId: string;
  let service: string;
  let clientId: string;

  beforeAll(async () => {
    env = await startWalletEnv();
    user = await registerUser(env.t);
    accountId = (await createBoundWallet(env, user, { balance: 10_000 })).accountId;
    service = (await serviceToken(env.t, ['topups:write'])).token;
    clientId = env.t.config.doku.clientId;
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(() => {
    env.sim.control.setFaults([]);
    env.sim.control.setCorporateBalance(clientId, '100000000.00');
  });

  const post = (token: string, path: string, body: object, key?: string) => {
    const r = env.t.http().post(path).set('authorization', `Bearer ${token}`);
    if (key) r.set('idempotency-key', key);
    return r.send(body);
  };
  const get = (token: string, path: string) => env.t.http().get(path).set('authorization', `Bearer ${token}`);
  const base = () => `/v1/users/${user.id}/top-ups`;
  const balance = () => Number(env.sim.control.getAccount(accountId).balance);

  it('a service tops a wallet up: inquiry names the holder, top-up credits it once, status reads it', async () => {
    const before = balance();
    const inq = await post(service, `${base()}/inquiries`, { amount: 50_000 });
    expect(inq.status).toBe(201);
    expect(inq.body).toMatchObject({ customerName: expect.any(String), amount: 50_000 });
    expect(inq.body.customerNumber).toMatch(/^\*+\d{4}$/);

    const res = await post(service, base(), { inquiryId: inq.body.inquiryId, merchantOrderRef: 'reward-1' }, `tu-${randomUUID()}`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'SUCCESS', amount: 50_000, userId: user.id, merchantOrderRef: 'reward-1' });
    expect(balance()).toBe(before + 50_000);
    expect(env.sim.control.ledger({ partnerReferenceNo: res.body.partnerReferenceNo }).creditCount).toBe(1);
    expect((await get(service, `${base()}/${res.body.id}`)).body).toMatchObject({ status: 'SUCCESS' });
  });

  it('answers an insufficient corporate balance with TOPUP.PARTNER_BALANCE_INSUFFICIENT', async () => {
    const inq = await post(service, `${base()}/inquiries`, { amount: 20_000 });
    env.sim.control.setCorporateBalance(clientId, '100.00');
    const res = await post(service, base(), { inquiryId: inq.body.inquiryId }, `tu-${randomUUID()}`);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('TOPUP.PARTNER_BALANCE_INSUFFICIENT');
    expect((await get(service, `${base()}/${res.body.error.details.transactionId}`)).body.status).toBe('FAILED');
  });

  it("answers an amount over the wallet's limit with TOPUP.LIMIT_EXCEEDED", async () => {
    env.sim.control.updateAccount(accountId, { maxBalance: '100000.00' });
    const res = await post(service, `${base()}/inquiries`, { amount: 5_000_000 });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('TOPUP.LIMIT_EXCEEDED');
    env.sim.control.updateAccount(accountId, { maxBalance: '20000000.00' });
  });

  it('resolves a top-up whose answer was lost with Query Top Up, crediting once', async () => {
    const before = balance();
    const inq = await post(service, `${base()}/inquiries`, { amount: 7_000 });
    env.sim.control.setFaults([{ endpoint: 'topUp', type: 'error_after', status: 504, times: 1 }]);
    const res = await post(service, base(), { inquiryId: inq.body.inquiryId }, `tu-${randomUUID()}`);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('UNKNOWN');
    const resolved = await get(service, `${base()}/${res.body.id}`);
    expect(resolved.body.status).toBe('SUCCESS');
    expect(env.sim.control.ledger({ partnerReferenceNo: res.body.partnerReferenceNo }).creditCount).toBe(1);
    expect(balance()).toBe(before + 7_000);
    const events = await env.t.app
      .get(DataSource)
      .query(`SELECT to_status, cause FROM transaction_events WHERE transaction_id = $1 ORDER BY created_at`, [res.body.id]);
    expect(events.map((e: { to_status: string }) => e.to_status)).toEqual(['PENDING', 'UNKNOWN', 'SUCCESS']);
  });

  it('never lets a mobile user top up (403), even their own wallet', async () => {
    for (const path of [
      `${base()}/inquiries`,
      base(),
      `/v1/admin/users/${user.id}/top-ups/inquiries`,
      `/v1/admin/users/${user.id}/top-ups`,
    ]) {
      const res = await post(user.accessToken, path, { amount: 1000 }, `tu-${randomUUID()}`);
      expect(res.status).toBe(403);
    }
    expect((await get(user.accessToken, `${base()}/${randomUUID()}`)).status).toBe(403);
  });

  it('finance tops up from the back office; support may read but not write; nobody tops up their own wallet', async () => {
    const finance = await registerUser(env.t, 'finance');
    const support = await registerUser(env.t, 'support');
    const admin = `/v1/admin/users/${user.id}/top-ups`;
    const inq = await post(finance.accessToken, `${admin}/inquiries`, { amount: 1_000 });
    expect(inq.status).toBe(201);
    const res = await post(finance.accessToken, admin, { inquiryId: inq.body.inquiryId }, `tu-${randomUUID()}`);
    expect(res.status).toBe(201);
    expect((await get(support.accessToken, `${admin}/${res.body.id}`)).body.status).toBe('SUCCESS');
    expect((await post(support.accessToken, `${admin}/inquiries`, { amount: 1_000 })).status).toBe(403);
    expect((await post(support.accessToken, admin, { inquiryId: inq.body.inquiryId }, `tu-${randomUUID()}`)).status).toBe(403);
    // A service cannot confirm an inquiry made by someone else.
    const other = await post(finance.accessToken, `${admin}/inquiries`, { amount: 1_000 });
    const stolen = await post(service, base(), { inquiryId: other.body.inquiryId }, `tu-${randomUUID()}`);
    expect(stolen.status).toBe(404);
    const self = await post(finance.accessToken, `/v1/admin/users/${finance.id}/top-ups/inquiries`, { amount: 1_000 });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('TOPUP.SELF_TOP_UP_FORBIDDEN');
  });
});
