import { request } from 'undici';
import type { Harness } from './support/harness';
import { idr, P, startHarness } from './support/harness';
import { aesEcbDecrypt } from './support/signing';

async function sim<T = Record<string, unknown>>(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request(`${h.sim.url}${path}`, {
    method: method as 'GET',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

describe('control API over HTTP (/_sim)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ otp: { fixed: '654321' } });
  });
  afterAll(async () => {
    await h.sim.close();
  });

  it('reads OTPs, creates ready accounts, sets balances, pays purchases, counts debits and resets', async () => {
    await h.client.call(P.accountCreation, {
      partnerReferenceNo: 'C-REG',
      email: 'c@example.com',
      name: 'C',
      phoneNo: '6281700000001',
      redirectUrl: 'https://p.example.com/r',
    });
    const otp = await sim<{ otp: string; partnerReferenceNo: string }>(h, 'GET', '/_sim/otp?phoneNo=081700000001');
    expect(otp.body).toMatchObject({ otp: '654321', partnerReferenceNo: 'C-REG' });
    expect((await sim(h, 'GET', '/_sim/otp?phoneNo=6289999999999')).status).toBe(404);

    const acc = await sim<{ accountId: string; authCode: string; linkId: string }>(h, 'POST', '/_sim/accounts', {
      phoneNo: '6281700000002',
      balance: 50000,
      bindTo: true,
      pin: '111111',
    });
    expect(acc.status).toBe(200);
    expect(acc.body.accountId).toMatch(/^\d{10}$/);
    const token = await h.client.customerToken(acc.body.authCode);
    const customerToken = token.body.accessToken as string;
    expect((await sim(h, 'POST', '/_sim/accounts', { phoneNo: '6281700000002' })).status).toBe(409);

    const updated = await sim(h, 'POST', `/_sim/accounts/${acc.body.accountId}`, { balance: '75000.00' });
    expect(updated.body).toMatchObject({
      balance: '75000.00',
      available: '75000.00',
      bindings: [{ clientId: h.partner.clientId, status: 'ACTIVE' }],
    });
    const corp = await sim(h, 'POST', `/_sim/partners/${h.partner.clientId}/corporate-balance`, { balance: '1.00' });
    expect(corp.body).toMatchObject({ corporateBalance: '1.00' });

    await h.client.call(P.purchase, { partnerReferenceNo: 'C-PUR', amount: idr('5000.00') }, { customerToken });
    const wrong = await sim(h, 'POST', '/_sim/purchases/pay', { partnerReferenceNo: 'C-PUR', pin: '000000' });
    expect(wrong.body).toMatchObject({ result: 'WRONG_PIN', attemptsLeft: 2 });
    const paid = await sim(h, 'POST', '/_sim/purchases/pay', { partnerReferenceNo: 'C-PUR', pin: '111111' });
    expect(paid.body).toMatchObject({ result: 'SUCCESS', status: '00' });
    const again = await sim(h, 'POST', '/_sim/purchases/pay', { partnerReferenceNo: 'C-PUR', pin: '111111' });
    expect(again.body).toMatchObject({ result: 'INVALID_STATE' });

    const ledger = await sim<{ debitCount: number; entries: unknown[] }>(h, 'GET', '/_sim/ledger?partnerReferenceNo=C-PUR');
    expect(ledger.body.debitCount).toBe(1);
    const txns = await sim<Array<{ type: string; status: string }>>(h, 'GET', '/_sim/transactions?partnerReferenceNo=C-PUR');
    expect(txns.body).toEqual([expect.objectContaining({ type: 'PURCHASE', status: '00', amount: '5000.00' })]);

    // Query Account Binding still works for the control-created binding.
    const q = await h.client.call(P.queryAccountBinding, {
      partnerReferenceNo: 'C-QAB',
      additionalInfo: { accountId: acc.body.accountId },
    });
    expect(aesEcbDecrypt(h.partner.authCodeKey, (q.body.additionalInfo as { authCode: string }).authCode).length).toBeGreaterThan(10);

    const clock = await sim<{ offsetMs: number }>(h, 'POST', '/_sim/clock', { advanceMs: 60_000 });
    expect(clock.body.offsetMs).toBe(60_000);
    const revoked = await sim<{ revoked: number }>(h, 'POST', '/_sim/tokens/revoke', { kind: 'b2b' });
    expect(revoked.body.revoked).toBe(1);

    expect((await sim(h, 'POST', '/_sim/reset')).body).toEqual({ reset: true });
    const state = await sim(h, 'GET', '/_sim/state');
    expect(state.body).toMatchObject({ accounts: 0, purchases: 0, ledgerEntries: 0 });
    expect((await sim(h, 'GET', '/_sim/nope')).status).toBe(404);
    expect((await sim(h, 'POST', '/_sim/accounts', { phoneNo: 'x' })).status).toBe(400);
  });
});
