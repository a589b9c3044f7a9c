import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { approveConsent, createPinOnPage, startWalletEnv } from './support/wallet-fixtures';

/**
 * Binding and registration attempts expose their real state (docs/customer-pages.md#binding-and-registration-states):
 * cancelling on DOKU's consent page is its own outcome, not a decline, and the customer can simply
 * bind again; a PIN lockout, a replaced attempt and a registration DOKU did not create each say so.
 */
describe('Binding and registration states (e2e, simulator)', () => {
  let env: WalletEnv;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });
  const db = () => env.t.app.get(DataSource);

  beforeAll(async () => {
    env = await startWalletEnv();
  });
  afterAll(async () => {
    await env.close();
  });

  const wallet = async (u: SignedInUser) => (await env.t.http().get('/v1/wallet').set(auth(u))).body;
  const phoneOf = async (u: SignedInUser): Promise<string> =>
    (await db().query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [u.id]))[0].phone;

  /** Submits DOKU's consent form once; gives the redirect, or undefined when the page answered again. */
  async function consent(pageUrl: string, fields: Record<string, string>): Promise<string | undefined> {
    const html = await (await fetch(pageUrl)).text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    const token = /name="token" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !token) throw new Error('no consent form');
    const res = await fetch(new URL(action, pageUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...fields }).toString(),
    });
    return res.status === 302 ? (res.headers.get('location') ?? undefined) : undefined;
  }
  const page = async (url: string) => {
    const res = await fetch(url, { redirect: 'manual', headers: { 'accept-language': 'en' } });
    return { status: res.status, html: await res.text() };
  };

  it('cancel on DOKU’s page is CANCELLED (not a decline), shows again on reload, and binding again links', async () => {
    const user = await registerUser(env.t);
    const account = env.sim.control.createAccount({ phoneNo: await phoneOf(user), balance: 1000 });
    const first = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({ accountId: account.accountId });
    const back = await consent(first.body.nextAction as string, { action: 'cancel' });
    expect((await page(back!)).html).toContain('Linking cancelled');

    const after = await wallet(user);
    expect(after.status).toBe('NONE');
    expect(after.binding).toEqual({
      id: first.body.bindingId,
      status: 'CANCELLED',
      failureReason: 'CUSTOMER_CANCELLED',
      updatedAt: expect.any(String),
    });
    // The reload says the same, and changes nothing.
    const reload = await page(back!);
    expect(reload.status).toBe(200);
    expect(reload.html).toContain('Linking cancelled');
    expect((await wallet(user)).binding.status).toBe('CANCELLED');
    const events = await db().query<Array<{ payload: { status: string; failureReason: string | null } }>>(
      `SELECT payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq`,
      [first.body.bindingId],
    );
    expect(events.map((e) => [e.payload.status, e.payload.failureReason])).toEqual([
      ['PENDING', null],
      ['CANCELLED', 'CUSTOMER_CANCELLED'],
    ]);

    // Simply try again.
    const second = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({ accountId: account.accountId });
    expect(second.status).toBe(201);
    expect((await page(await approveConsent(second.body.nextAction, account.pin))).html).toContain('DOKU Wallet linked');
    const linked = await wallet(user);
    expect(linked.status).toBe('BOUND');
    expect(linked.binding).toMatchObject({ id: second.body.bindingId, status: 'ACTIVE', failureReason: null });
  });

  it('a PIN lockout at DOKU is FAILED with its reason; a replaced attempt is FAILED as superseded and its link has expired', async () => {
    const user = await registerUser(env.t);
    const account = env.sim.control.createAccount({ phoneNo: await phoneOf(user), balance: 1000, pin: '135791' });
    const replaced = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({ accountId: account.accountId });
    const locked = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({ accountId: account.accountId });
    expect((await wallet(user)).binding).toMatchObject({ id: locked.body.bindingId, status: 'PENDING' });
    const replacedRow = await db().query<Array<{ status: string; failure_reason: string }>>(
      `SELECT status, failure_reason FROM wallet_bindings WHERE id = $1`,
      [replaced.body.bindingId],
    );
    expect(replacedRow[0]).toEqual({ status: 'FAILED', failure_reason: 'SUPERSEDED' });
    const replacedRef = (
      await db().query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM wallet_bindings WHERE id = $1`, [
        replaced.body.bindingId,
      ])
    )[0].partner_reference_no;
    const expired = await page(`${env.t.url}/v1/callbacks/doku/binding?ref=${replacedRef}&authCode=late`);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('This link has expired');

    let back: string | undefined;
    for (let i = 0; i < 10 && !back; i++) back = await consent(locked.body.nextAction as string, { pin: '000000', action: 'approve' });
    expect(new URL(back!).searchParams.get('status')).toBe('FAILED');
    const failed = await page(back!);
    expect(failed.status).toBe(422);
    expect(failed.html).toContain('too many wrong PINs');
    expect((await wallet(user)).binding).toMatchObject({ id: locked.body.bindingId, status: 'FAILED', failureReason: 'DOKU_DECLINED' });
  });

  it('a registration DOKU reports as not created is FAILED with its reason, and the reload shows the failure', async () => {
    const user = await registerUser(env.t);
    const reg = await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({});
    const sent = env.sim.control.lastOtp(await phoneOf(user));
    const ok = await env.t.http().post(`/v1/wallet/registrations/${reg.body.id}/otp`).set(auth(user)).send({ otp: sent.otp });
    expect(ok.status).toBe(200);
    const url = `${env.t.url}/v1/callbacks/doku/registration?${new URLSearchParams({
      accountId: '1140340077',
      partnerReferenceNo: sent.partnerReferenceNo,
      status: 'FAILED',
    }).toString()}`;
    const first = await page(url);
    expect(first.status).toBe(422);
    expect(first.html).toContain('DOKU Wallet not created');
    const after = await wallet(user);
    expect(after.registration).toEqual({
      id: reg.body.id,
      status: 'FAILED',
      failureCode: 'WALLET.ACCOUNT_NOT_CREATED',
      updatedAt: expect.any(String),
    });
    // Neither a reload nor a late "success" for the same reference revives it.
    expect((await page(url)).html).toContain('DOKU Wallet not created');
    const late = await page(url.replace('status=FAILED', 'status=SUCCESS'));
    expect(late.status).toBe(422);
    expect((await wallet(user)).registration.status).toBe('FAILED');

    // A new registration works as before.
    const again = await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({});
    expect(again.status).toBe(201);
    const otp = env.sim.control.lastOtp(await phoneOf(user)).otp;
    const verified = await env.t.http().post(`/v1/wallet/registrations/${again.body.id}/otp`).set(auth(user)).send({ otp });
    expect((await page(await createPinOnPage(verified.body.pinPageUrl, '246802'))).html).toContain('DOKU Wallet created');
    expect(await wallet(user)).toMatchObject({
      status: 'REGISTERED',
      registration: { id: again.body.id, status: 'COMPLETED', failureCode: null },
    });
  });
});
