import { DataSource } from 'typeorm';
import { CustomerTokenVault } from '../src/auth-token/customer-token-vault.service';
import { DokuClock } from '../src/integrations/doku/snap/doku-clock';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import { ExchangeRecorderService } from '../src/integrations/doku/snap/exchange-recorder.service';
import type { SimulatorHandle } from '../simulator/src';
import { startSimulator } from '../simulator/src';
import { registerUser, uniquePhone } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/** The per-user B2B2C token vault (docs/doku-integration.md#customer-token) against the simulator. */
describe('Customer token vault', () => {
  let sim: SimulatorHandle;
  let t: TestApp;
  let vault: CustomerTokenVault;
  let userId: string;
  let accountId: string;
  let phoneNo: string;

  const row = async (): Promise<Record<string, unknown> | undefined> =>
    (await t.app.get(DataSource).query(`SELECT * FROM doku_customer_tokens WHERE user_id = $1`, [userId]))[0];
  // DOKU accepts the token: a customer-scoped call succeeds with it.
  const balance = (token: string) => t.app.get(DokuClient).balanceInquiry(token, {});
  const tokenCalls = async (): Promise<{ endpoint: string; grant: string | null; outcome: string }[]> => {
    await t.app.get(ExchangeRecorderService).flush();
    return t.app.get(DataSource).query(
      `SELECT endpoint, request_body->>'grantType' AS grant, outcome FROM doku_exchanges
          WHERE endpoint IN ('b2b2cToken', 'queryAccountBinding') ORDER BY started_at, created_at`,
    );
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 'customer-tokens', log: false });
    t = await startTestApp({ DOKU_BASE_URL: sim.url });
    vault = t.app.get(CustomerTokenVault);
    userId = (await registerUser(t)).id;
    phoneNo = uniquePhone();
    const account = sim.control.createAccount({ phoneNo, bindTo: true });
    accountId = account.accountId;
    await vault.storeFromAuthCode(userId, account.authCode!);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await sim?.close();
  });

  it('stores the tokens sealed: the raw row holds neither token in plain text', async () => {
    const token = await vault.getValidToken(userId);
    expect((await balance(token)).responseCode).toBe('2001100');
    const stored = await row();
    expect(stored).toMatchObject({ account_id: accountId, needs_rebinding: false });
    expect(stored!.access_token_ciphertext).toMatch(/^v2\.[A-Za-z0-9_-]{12}\./);
    expect(stored!.refresh_token_ciphertext).toMatch(/^v2\.[A-Za-z0-9_-]{12}\./);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[1]);
  });

  it('renews an expired token with the refresh token', async () => {
    const old = await vault.getValidToken(userId);
    const before = (await tokenCalls()).length;
    // 1000 s later on both clocks: past the 900 s access-token lifetime.
    jest.spyOn(t.app.get(DokuClock), 'now').mockImplementation(() => new Date(Date.now() + 1_000_000));
    sim.control.advanceClock(1_000_000);

    const renewed = await vault.getValidToken(userId);
    expect(renewed).not.toBe(old);
    expect((await balance(renewed)).responseCode).toBe('2001100');
    expect((await tokenCalls()).slice(before)).toEqual([{ endpoint: 'b2b2cToken', grant: 'refresh_token', outcome: 'SUCCESS' }]);
  });

  it('falls back to Query Account Binding and the decrypted authCode when the refresh token is refused; concurrent callers share one renewal', async () => {
    const old = await vault.getValidToken(userId);
    const before = (await tokenCalls()).length;
    sim.control.revokeTokens({ accountId, kind: 'b2b2c' });
    await vault.invalidateCustomerToken(userId, old);

    const tokens = await Promise.all(Array.from({ length: 20 }, () => vault.getValidToken(userId)));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(old);
    expect((await balance(tokens[0])).responseCode).toBe('2001100');
    expect((await tokenCalls()).slice(before)).toEqual([
      { endpoint: 'b2b2cToken', grant: 'refresh_token', outcome: 'INVALID_CUSTOMER_TOKEN' },
      { endpoint: 'queryAccountBinding', grant: null, outcome: 'SUCCESS' },
      { endpoint: 'b2b2cToken', grant: 'authorization_code', outcome: 'SUCCESS' },
    ]);
  });

  it('ignores an invalidation for a token that was already replaced', async () => {
    const current = await vault.getValidToken(userId);
    await vault.invalidateCustomerToken(userId, 'eyJ.a-replaced-token.sig');
    expect(await vault.getValidToken(userId)).toBe(current);
    expect((await row())!.access_token_ciphertext).not.toBeNull();
  });

  it('a DOKU outage during renewal is not a reason to rebind', async () => {
    await vault.invalidateCustomerToken(userId);
    sim.control.setFaults([{ endpoint: 'b2b2cToken', type: 'error_before', status: 503, times: 1 }]);
    await expect(vault.getValidToken(userId)).rejects.toMatchObject({ code: expect.stringMatching(/^DOKU\./) });
    expect((await row())!.needs_rebinding).toBe(false);
    sim.control.clearFaults();
    expect((await balance(await vault.getValidToken(userId))).responseCode).toBe('2001100');
  });

  it('marks needs_rebinding and throws WALLET.NEEDS_REBINDING when DOKU refuses every way back', async () => {
    // The user unbound on DOKU's side: tokens revoked, Query Account Binding answers "not bound".
    // Unbinding is confirmed with an OTP through Verify OTP.
    const client = t.app.get(DokuClient);
    const unbinding = await client.accountUnbinding({
      merchantId: t.config.doku.clientId,
      partnerReferenceNo: `UNBIND-${accountId}-${Date.now()}`,
      additionalInfo: { accountId },
    });
    const otp = sim.control.lastOtp(phoneNo).otp;
    await client.verifyOtp({
      originalPartnerReferenceNo: unbinding.body.partnerReferenceNo!,
      originalReferenceNo: unbinding.body.referenceNo!,
      otp,
    });
    await vault.invalidateCustomerToken(userId);

    await expect(vault.getValidToken(userId)).rejects.toMatchObject({ code: 'WALLET.NEEDS_REBINDING', status: 409 });
    expect(await row()).toMatchObject({ needs_rebinding: true, access_token_ciphertext: null, refresh_token_ciphertext: null });

    // Flagged: later calls fail at once, without asking DOKU again.
    const calls = (await tokenCalls()).length;
    await expect(vault.getValidToken(userId)).rejects.toMatchObject({ code: 'WALLET.NEEDS_REBINDING' });
    expect((await tokenCalls()).length).toBe(calls);
  });

  it('a new binding clears the flag, and purge() deletes the tokens', async () => {
    const account = sim.control.createAccount({ phoneNo: uniquePhone(), bindTo: true });
    await vault.storeFromAuthCode(userId, account.authCode!, account.accountId);
    expect(await row()).toMatchObject({ needs_rebinding: false, account_id: account.accountId });
    expect((await balance(await vault.getValidToken(userId))).responseCode).toBe('2001100');

    await vault.purge(userId);
    expect(await row()).toBeUndefined();
    await expect(vault.getValidToken(userId)).rejects.toMatchObject({ code: 'WALLET.NEEDS_REBINDING', details: { reason: 'NOT_BOUND' } });
  });
});
