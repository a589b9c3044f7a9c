import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { approveConsent, createBoundWallet, createPinOnPage, startWalletEnv } from './support/wallet-fixtures';

/**
 * Onboarding, binding, wallet state, unbinding and balance (docs/doku-integration.md#flows),
 * over real HTTP against the DOKU simulator, driving its HTML pages like a browser.
 */
describe('Wallet accounts and balance (e2e, simulator)', () => {
  let env: WalletEnv;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });

  beforeAll(async () => {
    env = await startWalletEnv();
  });
  afterAll(async () => {
    await env.close();
  });

  const phoneOf = async (u: SignedInUser): Promise<string> =>
    (await env.t.app.get(DataSource).query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [u.id]))[0].phone;
  const walletRow = async (u: SignedInUser) =>
    (await env.t.app.get(DataSource).query<Array<Record<string, unknown>>>(`SELECT * FROM wallets WHERE user_id = $1`, [u.id]))[0];
  const startRegistration = async (u: SignedInUser) => {
    const res = await env.t.http().post('/v1/wallet/registrations').set(auth(u)).send({});
    expect(res.status).toBe(201);
    return res.body as { id: string; status: string; otpAttemptsLeft: number };
  };
  const wrongOtp = (otp: string) => (otp === '000000' ? '111111' : '000000');

  it('registers, verifies the OTP, creates the PIN, binds through the consent page and reads the balance', async () => {
    const user = await registerUser(env.t);
    const phone = await phoneOf(user);
    const none = await env.t.http().get('/v1/wallet').set(auth(user));
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ status: 'NONE', accountId: null, phone: null, boundAt: null, binding: null, registration: null });

    const reg = await startRegistration(user);
    expect(reg).toMatchObject({ status: 'OTP_SENT', otpAttemptsLeft: 3 });
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('REGISTERING');

    const sent = env.sim.control.lastOtp(phone);
    expect(sent.purpose).toBe('ACCOUNT_CREATION');

    const wrong = await env.t
      .http()
      .post(`/v1/wallet/registrations/${reg.id}/otp`)
      .set(auth(user))
      .send({ otp: wrongOtp(sent.otp) });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('OTP.INVALID');
    expect(wrong.body.error.details).toMatchObject({ attemptsLeft: 2, responseCode: '4040415' });

    const ok = await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp`).set(auth(user)).send({ otp: sent.otp });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('OTP_VERIFIED');
    expect(ok.body.pinPageUrl.startsWith(`${env.sim.url}/`)).toBe(true);
    expect(new URL(ok.body.pinPageUrl).searchParams.get('token')).toBeTruthy();

    // The browser creates the PIN on DOKU's page, which redirects to OUR callback.
    const registrationCallback = await createPinOnPage(ok.body.pinPageUrl, '654321');
    expect(registrationCallback.startsWith(`${env.t.url}/v1/callbacks/doku/registration?`)).toBe(true);
    const landed = await fetch(registrationCallback, { redirect: 'manual' });
    expect(landed.status).toBe(200);
    expect(landed.headers.get('content-type')).toContain('text/html');
    expect(landed.headers.get('location')).toBeNull();

    const accountId = new URL(registrationCallback).searchParams.get('accountId')!;
    const registered = await env.t.http().get('/v1/wallet').set(auth(user));
    expect(registered.body).toMatchObject({ status: 'REGISTERED', accountId: `******${accountId.slice(-4)}` });
    expect(registered.body.phone).not.toContain(phone.slice(4, -3));

    // Replaying DOKU's redirect (a reload) changes nothing and says it is already done.
    const reloaded = await fetch(registrationCallback, { redirect: 'manual', headers: { 'accept-language': 'en' } });
    expect(reloaded.status).toBe(200);
    expect(await reloaded.text()).toContain('already created');

    const bind = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    expect(bind.status).toBe(201);
    expect(bind.body.status).toBe('PENDING');
    const bindingCallback = await approveConsent(bind.body.nextAction, '654321');
    const callbackUrl = new URL(bindingCallback);
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${env.t.url}/v1/callbacks/doku/binding`);
    // DOKU's parameters follow ours, merged or (answer profile appended-query) after a second '?'.
    expect(bindingCallback).toMatch(/[?&]authCode=[^&]+/);
    expect((await fetch(bindingCallback, { redirect: 'manual' })).status).toBe(200);

    const bound = await env.t.http().get('/v1/wallet').set(auth(user));
    expect(bound.body).toMatchObject({ status: 'BOUND', accountId: `******${accountId.slice(-4)}` });
    expect(typeof bound.body.boundAt).toBe('string');
    // The authCode is single-use: replaying the redirect (a reload) changes nothing and says it is already done.
    const rebound = await fetch(bindingCallback, { redirect: 'manual', headers: { 'accept-language': 'en' } });
    expect(rebound.status).toBe(200);
    expect(await rebound.text()).toContain('already linked');
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('BOUND');

    const empty = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ available: 0, ledger: 0, hold: 0, currency: 'IDR', status: 'ACTIVE' });
    env.sim.control.updateAccount(accountId, { balance: '250000.00' });
    const funded = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect(funded.body).toEqual({ available: 250000, ledger: 250000, hold: 0, currency: 'IDR', status: 'ACTIVE' });
  });

  it('binds an existing DOKU Wallet (account created at DOKU directly) and shows it to services and the back office', async () => {
    const user = await registerUser(env.t);
    const bound = await createBoundWallet(env, user, { balance: 125000 });
    const balance = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect(balance.body).toEqual({ available: 125000, ledger: 125000, hold: 0, currency: 'IDR', status: 'ACTIVE' });
    expect(env.sim.control.getAccount(bound.accountId).bindings).toEqual([expect.objectContaining({ status: 'ACTIVE' })]);

    const service = await serviceToken(env.t, ['wallets:read']);
    const read = await env.t.http().get(`/v1/users/${user.id}/wallet`).set('authorization', `Bearer ${service.token}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ status: 'BOUND', accountId: `******${bound.accountId.slice(-4)}` });
    expect(JSON.stringify(read.body)).not.toContain(bound.accountId);
    const support = await registerUser(env.t, 'support');
    expect((await env.t.http().get(`/v1/users/${user.id}/wallet`).set(auth(support))).body.status).toBe('BOUND');
    const other = await registerUser(env.t);
    expect((await env.t.http().get(`/v1/users/${user.id}/wallet`).set(auth(other))).status).toBe(403);
    expect((await env.t.http().get(`/v1/users/${randomUUID()}/wallet`).set('authorization', `Bearer ${service.token}`)).status).toBe(404);

    // Binding again while bound is refused; a second registration too.
    expect((await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({})).body.error.code).toBe('WALLET.ALREADY_BOUND');
    expect((await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({})).body.error.code).toBe('WALLET.ALREADY_EXISTS');
  });

  it('renews a customer token DOKU revoked, transparently', async () => {
    const user = await registerUser(env.t);
    const bound = await createBoundWallet(env, user, { balance: 5000 });
    env.sim.control.revokeTokens({ accountId: bound.accountId, kind: 'b2b2c' });
    const balance = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect(balance.status).toBe(200);
    expect(balance.body.available).toBe(5000);
  });

  it('blocks the OTP after three wrong ones, and throttles resends', async () => {
    const user = await registerUser(env.t);
    const reg = await startRegistration(user);
    const otp = env.sim.control.lastOtp(await phoneOf(user)).otp;
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await env.t
        .http()
        .post(`/v1/wallet/registrations/${reg.id}/otp`)
        .set(auth(user))
        .send({ otp: wrongOtp(otp) });
      codes.push(`${res.status} ${res.body.error.code} ${res.body.error.details.attemptsLeft}`);
    }
    expect(codes).toEqual(['422 OTP.INVALID 2', '422 OTP.INVALID 1', '422 OTP.BLOCKED 0']);
    // Even the right OTP is refused now, without asking DOKU.
    const blocked = await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp`).set(auth(user)).send({ otp });
    expect(blocked.body.error.code).toBe('OTP.BLOCKED');

    const early = await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp/resend`).set(auth(user)).send();
    expect(early.status).toBe(429);
    expect(early.body.error.code).toBe('OTP.RESEND_TOO_SOON');
    expect(Number(early.headers['retry-after'])).toBeGreaterThan(0);

    // A minute later: a new Account Creation with a new partnerReferenceNo, and the new OTP works.
    const db = env.t.app.get(DataSource);
    const before = (
      await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM wallet_registrations WHERE id = $1`, [
        reg.id,
      ])
    )[0];
    await db.query(`UPDATE wallet_registrations SET last_otp_sent_at = now() - interval '61 seconds' WHERE id = $1`, [reg.id]);
    const resent = await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp/resend`).set(auth(user)).send();
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ status: 'OTP_SENT', otpAttemptsLeft: 3, resendsLeft: 2 });
    const after = (
      await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM wallet_registrations WHERE id = $1`, [
        reg.id,
      ])
    )[0];
    expect(after.partner_reference_no).not.toBe(before.partner_reference_no);
    const fresh = env.sim.control.lastOtp(await phoneOf(user));
    expect(fresh.partnerReferenceNo).toBe(after.partner_reference_no);
    const ok = await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp`).set(auth(user)).send({ otp: fresh.otp });
    expect(ok.status).toBe(200);

    // Once verified, no more resends.
    await db.query(`UPDATE wallet_registrations SET last_otp_sent_at = now() - interval '61 seconds' WHERE id = $1`, [reg.id]);
    expect((await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp/resend`).set(auth(user)).send()).body.error.code).toBe(
      'WALLET.REGISTRATION_STATE',
    );
  });

  it("answers 404 for another user's registration, and changes nothing", async () => {
    const owner = await registerUser(env.t);
    const intruder = await registerUser(env.t);
    const reg = await startRegistration(owner);
    const otp = env.sim.control.lastOtp(await phoneOf(owner)).otp;
    const verify = await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp`).set(auth(intruder)).send({ otp });
    expect(verify.status).toBe(404);
    expect(verify.body.error.code).toBe('WALLET.REGISTRATION_NOT_FOUND');
    const resend = await env.t.http().post(`/v1/wallet/registrations/${reg.id}/otp/resend`).set(auth(intruder)).send();
    expect(resend.status).toBe(404);
    const row = (
      await env.t.app
        .get(DataSource)
        .query<Array<Record<string, unknown>>>(`SELECT status, otp_failed_attempts FROM wallet_registrations WHERE id = $1`, [reg.id])
    )[0];
    expect(row).toEqual({ status: 'OTP_SENT', otp_failed_attempts: 0 });
  });

  it('ignores callbacks with unknown or forged references', async () => {
    const user = await registerUser(env.t);
    const reg = await startRegistration(user);
    const sent = env.sim.control.lastOtp(await phoneOf(user));
    const cb = (path: string, q: Record<string, string>) =>
      fetch(`${env.t.url}${path}?${new URLSearchParams(q).toString()}`, { redirect: 'manual' });

    // Unknown reference; and our real reference before its OTP was verified (no PIN could exist).
    expect(
      (
        await cb('/v1/callbacks/doku/registration', {
          accountId: '1140340010',
          partnerReferenceNo: `REG-${randomUUID()}`,
          status: 'SUCCESS',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await cb('/v1/callbacks/doku/registration', {
          accountId: '1140340010',
          partnerReferenceNo: sent.partnerReferenceNo,
          status: 'SUCCESS',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await cb('/v1/callbacks/doku/registration', {
          accountId: '1140340010',
          partnerReferenceNo: 'https://evil.example/',
          status: 'SUCCESS',
        })
      ).status,
    ).toBe(404);
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('REGISTERING');
    expect(reg.status).toBe('OTP_SENT');

    // A binding with a forged authCode: DOKU refuses it, the binding stays pending, the wallet unbound.
    const other = await registerUser(env.t);
    const account = env.sim.control.createAccount({ phoneNo: await phoneOf(other), balance: 1000 });
    const bind = await env.t.http().post('/v1/wallet/binding').set(auth(other)).send({ accountId: account.accountId });
    expect(bind.status).toBe(201);
    const ref = (
      await env.t.app
        .get(DataSource)
        .query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM wallet_bindings WHERE id = $1`, [
          bind.body.bindingId,
        ])
    )[0].partner_reference_no;
    const forged = await cb('/v1/callbacks/doku/binding', { ref, authCode: 'forged-code' });
    expect(forged.status).toBe(422);
    expect((await cb('/v1/callbacks/doku/binding', { ref: `BIND-${randomUUID()}`, authCode: 'x' })).status).toBe(404);
    expect((await cb('/v1/callbacks/doku/binding', { authCode: 'x' })).status).toBe(404);
    expect((await env.t.http().get('/v1/wallet').set(auth(other))).body.status).toBe('NONE');
    const status = (
      await env.t.app
        .get(DataSource)
        .query<Array<{ status: string }>>(`SELECT status FROM wallet_bindings WHERE id = $1`, [bind.body.bindingId])
    )[0];
    expect(status.status).toBe('PENDING');

    // The real approval still completes it afterwards.
    const real = await approveConsent(bind.body.nextAction, account.pin);
    expect((await fetch(real, { redirect: 'manual' })).status).toBe(200);
    expect((await env.t.http().get('/v1/wallet').set(auth(other))).body.status).toBe('BOUND');
  });

  it('sends every unbinding request with a new partnerReferenceNo; the OTP of the latest one completes it; binding again survives a query DOKU appends with a second ?', async () => {
    const user = await registerUser(env.t);
    const bound = await createBoundWallet(env, user, { balance: 1000 });
    const first = await env.t.http().post('/v1/wallet/unbinding').set(auth(user)).send();
    expect(first.body).toMatchObject({ status: 'UNBINDING', otpRequired: true });
    const firstOtp = env.sim.control.lastOtp(bound.phone);
    // The customer did not get (or lost) the OTP and asks again.
    const second = await env.t.http().post('/v1/wallet/unbinding').set(auth(user)).send();
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'UNBINDING', otpRequired: true });
    const secondOtp = env.sim.control.lastOtp(bound.phone);
    expect(firstOtp.partnerReferenceNo).toMatch(/^UNBIND-/);
    expect(secondOtp.partnerReferenceNo).toMatch(/^UNBIND-/);
    expect(secondOtp.partnerReferenceNo).not.toBe(firstOtp.partnerReferenceNo);
    const confirmed = await env.t.http().post('/v1/wallet/unbinding/otp').set(auth(user)).send({ otp: secondOtp.otp });
    expect(confirmed.body).toEqual({ status: 'UNBOUND', otpRequired: false, walletStatus: 'REGISTERED' });

    // Binding again, with DOKU appending its query to our redirect URL with a second "?"
    // (`…/binding?ref=BIND-…?authCode=…`): the binding still completes.
    const again = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    const returned = await approveConsent(again.body.nextAction, bound.pin);
    const proper = new URL(returned);
    const appended = new URLSearchParams([...proper.searchParams].filter(([k]) => k !== 'ref')).toString();
    // Already in that form when the simulator follows the appended-query reading itself.
    const naive = /\?ref=[^?&]+\?/.test(returned)
      ? returned
      : `${proper.origin}${proper.pathname}?ref=${proper.searchParams.get('ref')}?${appended}`;
    expect(naive).toMatch(/\?ref=BIND-[^?&]+\?authCode=/);
    expect((await fetch(naive, { redirect: 'manual' })).status).toBe(200);
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('BOUND');
  });

  it('unbinds in two steps: DOKU sends an OTP, a wrong one is refused, the right one ends the link and purges the tokens', async () => {
    const user = await registerUser(env.t);
    const bound = await createBoundWallet(env, user, { balance: 1000 });
    const db = env.t.app.get(DataSource);
    const bindingRow = async () =>
      (
        await db.query<Array<{ status: string; unbind_partner_reference_no: string | null; unbind_doku_reference_no: string | null }>>(
          `SELECT status, unbind_partner_reference_no, unbind_doku_reference_no FROM wallet_bindings WHERE user_id = $1 AND status IN ('ACTIVE', 'UNBINDING')`,
          [user.id],
        )
      )[0];
    const simBindingStatus = () => (env.sim.control.getAccount(bound.accountId).bindings as Array<{ status: string }>).map((b) => b.status);
    expect((await env.t.http().post('/v1/wallet/unbinding/otp').set(auth(user)).send({ otp: '123456' })).body.error.code).toBe(
      'WALLET.UNBINDING_NOT_STARTED',
    );

    // Step 1: Account Unbinding. DOKU answers "PENDING" and sends an OTP to the wallet's phone.
    const unbind = await env.t.http().post('/v1/wallet/unbinding').set(auth(user)).send();
    expect(unbind.status).toBe(200);
    expect(unbind.body).toEqual({ status: 'UNBINDING', otpRequired: true, walletStatus: 'BOUND' });
    const pending = await bindingRow();
    expect(pending).toMatchObject({ status: 'UNBINDING', unbind_partner_reference_no: expect.stringMatching(/^UNBIND-/) });
    const sent = env.sim.control.lastOtp(bound.phone);
    expect(sent).toMatchObject({
      purpose: 'ACCOUNT_UNBINDING',
      partnerReferenceNo: pending.unbind_partner_reference_no,
      referenceNo: pending.unbind_doku_reference_no,
    });
    // Until the OTP is confirmed the link stands: still bound at DOKU and here, the balance still reads.
    expect(simBindingStatus()).toEqual(['ACTIVE']);
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('BOUND');
    expect((await env.t.http().get('/v1/wallet/balance').set(auth(user))).body.available).toBe(1000);

    // A wrong OTP: OTP.INVALID (DOKU's 4040415, not yet blocked: attempts are left, the right OTP still
    // works below), nothing ends. The binding row keeps no attempt counter, so no attemptsLeft figure.
    const wrong = await env.t
      .http()
      .post('/v1/wallet/unbinding/otp')
      .set(auth(user))
      .send({ otp: wrongOtp(sent.otp) });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('OTP.INVALID');
    expect(wrong.body.error.details).toMatchObject({ responseCode: '4040415' });
    expect((await bindingRow()).status).toBe('UNBINDING');
    expect(simBindingStatus()).toEqual(['ACTIVE']);
    expect((await db.query(`SELECT 1 FROM doku_customer_tokens WHERE user_id = $1`, [user.id])).length).toBe(1);

    // Step 2: the right OTP through Verify OTP completes it.
    const confirmed = await env.t.http().post('/v1/wallet/unbinding/otp').set(auth(user)).send({ otp: sent.otp });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({ status: 'UNBOUND', otpRequired: false, walletStatus: 'REGISTERED' });
    expect(await bindingRow()).toBeUndefined();
    expect(simBindingStatus()).toEqual(['UNBOUND']);
    expect((await db.query(`SELECT 1 FROM doku_customer_tokens WHERE user_id = $1`, [user.id])).length).toBe(0);
    const wallet = await env.t.http().get('/v1/wallet').set(auth(user));
    expect(wallet.body).toMatchObject({ status: 'REGISTERED', boundAt: null });
    const balance = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect(balance.status).toBe(409);
    expect(balance.body.error.code).toBe('WALLET.NOT_BOUND');
    expect((await env.t.http().post('/v1/wallet/unbinding').set(auth(user)).send()).body.error.code).toBe('WALLET.NOT_BOUND');
    expect((await env.t.http().post('/v1/wallet/unbinding/otp').set(auth(user)).send({ otp: sent.otp })).body.error.code).toBe(
      'WALLET.UNBINDING_NOT_STARTED',
    );

    // Binding again uses the known account.
    const again = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    expect((await fetch(await approveConsent(again.body.nextAction, bound.pin), { redirect: 'manual' })).status).toBe(200);
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('BOUND');
    expect(await walletRow(user)).toMatchObject({ doku_account_id: bound.accountId });
  });

  it('answers the errors a user can hit with stable 4xx codes, and DOKU outages with 503', async () => {
    const user = await registerUser(env.t);
    const noWallet = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect([noWallet.status, noWallet.body.error.code]).toEqual([404, 'WALLET.NOT_FOUND']);
    const noAccount = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    expect([noAccount.status, noAccount.body.error.code]).toEqual([400, 'WALLET.ACCOUNT_ID_REQUIRED']);
    const unknownAccount = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({ accountId: '9999999999' });
    expect(unknownAccount.status).toBe(422);
    expect(unknownAccount.body.error).toMatchObject({ code: 'DOKU.INVALID_ACCOUNT', details: { responseCode: '4040711' } });
    const badBody = await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({ phone: '0812', status: 'BOUND' });
    expect(badBody.status).toBe(400);

    const wallet10 = await createBoundWallet(env, user, { balance: 10 });
    env.sim.control.setFaults([{ endpoint: 'balanceInquiry', type: 'error_before', status: 503, times: 1 }]);
    try {
      const down = await env.t.http().get('/v1/wallet/balance').set(auth(user));
      expect([down.status, down.body.error.code, down.headers['retry-after']]).toEqual([503, 'DOKU.UNAVAILABLE', '1']);
    } finally {
      env.sim.control.clearFaults();
    }
    // The user unlinks us on DOKU's side (unbinding + OTP): the customer token dies and no
    // renewal is possible any more.
    const row = await walletRow(user);
    const doku = env.t.app.get(DokuClient);
    const unlinkRef = `UNBIND-${randomUUID()}`;
    const unlink = await doku.accountUnbinding({
      merchantId: env.t.config.doku.clientId,
      partnerReferenceNo: unlinkRef,
      additionalInfo: { accountId: String(row.doku_account_id) },
    });
    await doku.verifyOtp({
      originalPartnerReferenceNo: unlinkRef,
      originalReferenceNo: String(unlink.body.referenceNo),
      otp: env.sim.control.lastOtp(wallet10.phone).otp,
    });
    const rebind = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect([rebind.status, rebind.body.error.code]).toEqual([409, 'WALLET.NEEDS_REBINDING']);
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('NEEDS_REBINDING');
    // Binding again (same DOKU account) brings it back.
    const again = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    expect(again.status).toBe(201);
    expect((await fetch(await approveConsent(again.body.nextAction, '123456'), { redirect: 'manual' })).status).toBe(200);
    expect((await env.t.http().get('/v1/wallet/balance').set(auth(user))).body.available).toBe(10);
  });

  it('documents every wallet route in the OpenAPI document, with an example on every DTO field', async () => {
    const doc = (await env.t.http().get('/docs/openapi.json')).body as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, { example?: unknown }> }> };
    };
    for (const path of [
      '/v1/wallet',
      '/v1/wallet/balance',
      '/v1/wallet/registrations',
      '/v1/wallet/registrations/{id}/otp',
      '/v1/wallet/registrations/{id}/otp/resend',
      '/v1/wallet/binding',
      '/v1/wallet/unbinding',
      '/v1/wallet/unbinding/otp',
      '/v1/users/{userId}/wallet',
      '/v1/callbacks/doku/registration',
      '/v1/callbacks/doku/binding',
    ]) {
      expect({ path, documented: Boolean(doc.paths[path]) }).toEqual({ path, documented: true });
    }
    const dtos = [
      'CreateRegistrationRequestDto',
      'VerifyOtpRequestDto',
      'RegistrationResponseDto',
      'VerifiedRegistrationResponseDto',
      'CreateBindingRequestDto',
      'BindingResponseDto',
      'UnbindingResponseDto',
      'WalletResponseDto',
      'BalanceResponseDto',
    ];
    for (const name of dtos) {
      const properties = Object.entries(doc.components.schemas[name]?.properties ?? {});
      expect({ name, fields: properties.length > 0 }).toEqual({ name, fields: true });
      const missing = properties.filter(([, p]) => p.example === undefined).map(([field]) => field);
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
  });
});
