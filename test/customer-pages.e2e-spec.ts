import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { approveConsent, createBoundWallet, createPinOnPage, startWalletEnv } from './support/wallet-fixtures';

/**
 * Every page a customer's browser can land on after DOKU's pages (registration and binding
 * callbacks, the purchase return) is an HTML page in Indonesian or English, with a plain-language
 * outcome, never JSON and never an internal code, and the same outcome on reload
 * (docs/customer-pages.md).
 */
describe('Customer pages (e2e, simulator)', () => {
  let env: WalletEnv;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });
  const db = () => env.t.app.get(DataSource);

  beforeAll(async () => {
    env = await startWalletEnv();
  });
  afterAll(async () => {
    await env.close();
  });

  interface Page {
    status: number;
    contentType: string;
    language: string | null;
    html: string;
  }

  async function open(url: string, language = 'id-ID,id;q=0.9,en;q=0.8'): Promise<Page> {
    const res = await fetch(url, { redirect: 'manual', headers: { 'accept-language': language } });
    expect(res.headers.get('location')).toBeNull();
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      language: res.headers.get('content-language'),
      html: await res.text(),
    };
  }

  /** What every customer page must be, whatever the outcome. */
  function expectCustomerPage(page: Page, lang: 'id' | 'en'): void {
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.language).toBe(lang);
    expect(page.html.startsWith('<!doctype html>')).toBe(true);
    expect(page.html).toContain(`<html lang="${lang}">`);
    // No JSON, no error code of ours (WALLET.X, DOKU.Y), no SNAP response code, no request id.
    expect(page.html).not.toMatch(/^\s*[{[]/);
    expect(page.html).not.toMatch(/"error"\s*:/);
    expect(page.html).not.toMatch(/\b[A-Z]{2,}\.[A-Z_]{3,}\b/);
    expect(page.html).not.toMatch(/\b[245]0\d{5}\b/);
    expect(page.html).not.toMatch(/requestId/i);
  }

  const phoneOf = async (u: SignedInUser): Promise<string> =>
    (await db().query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [u.id]))[0].phone;

  async function verifiedRegistration(user: SignedInUser): Promise<{ id: string; pinPageUrl: string; partnerReferenceNo: string }> {
    const reg = await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({});
    expect(reg.status).toBe(201);
    const sent = env.sim.control.lastOtp(await phoneOf(user));
    const ok = await env.t.http().post(`/v1/wallet/registrations/${reg.body.id}/otp`).set(auth(user)).send({ otp: sent.otp });
    expect(ok.status).toBe(200);
    return { id: reg.body.id, pinPageUrl: ok.body.pinPageUrl, partnerReferenceNo: sent.partnerReferenceNo };
  }

  it('registration: created in Indonesian, the reload says already created, English on request; failures and unknown links are pages too', async () => {
    const user = await registerUser(env.t);
    const { pinPageUrl } = await verifiedRegistration(user);
    const callback = await createPinOnPage(pinPageUrl, '246810');

    const created = await open(callback, 'id-ID,id;q=0.9,en;q=0.8');
    expect(created.status).toBe(200);
    expectCustomerPage(created, 'id');
    expect(created.html).toContain('Dompet DOKU berhasil dibuat');

    const reload = await open(callback, 'id');
    expect(reload.status).toBe(200);
    expectCustomerPage(reload, 'id');
    expect(reload.html).toContain('Dompet DOKU sudah dibuat');

    const english = await open(callback, 'en-US,en;q=0.9,id;q=0.5');
    expectCustomerPage(english, 'en');
    expect(english.html).toContain('DOKU Wallet already created');
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('REGISTERED');

    // Unknown and malformed references: a page, never JSON.
    const base = `${env.t.url}/v1/callbacks/doku/registration`;
    const queries: Record<string, string>[] = [
      { accountId: '1140340010', partnerReferenceNo: `REG-${randomUUID()}`, status: 'SUCCESS' },
      { accountId: '1140340010', partnerReferenceNo: 'https://evil.example/', status: 'SUCCESS' },
      {},
    ];
    for (const q of queries) {
      const page = await open(`${base}?${new URLSearchParams(q).toString()}`, 'en');
      expect(page.status).toBe(404);
      expectCustomerPage(page, 'en');
      expect(page.html).toContain('Link not recognised');
      expect(page.html).not.toContain('evil.example');
    }

    // DOKU reports no created account: a failure page with a plain reason.
    const other = await registerUser(env.t);
    const second = await verifiedRegistration(other);
    const failed = await open(
      `${base}?${new URLSearchParams({ accountId: '1140340099', partnerReferenceNo: second.partnerReferenceNo, status: 'FAILED' }).toString()}`,
      'id',
    );
    expect(failed.status).toBe(422);
    expectCustomerPage(failed, 'id');
    expect(failed.html).toContain('Dompet DOKU belum dibuat');

    // A registration superseded by a newer one: its link has expired.
    const third = await registerUser(env.t);
    const superseded = await verifiedRegistration(third);
    const newer = await env.t.http().post('/v1/wallet/registrations').set(auth(third)).send({});
    expect(newer.status).toBe(201);
    const expired = await open(
      `${base}?${new URLSearchParams({ accountId: '1140340098', partnerReferenceNo: superseded.partnerReferenceNo, status: 'SUCCESS' }).toString()}`,
      'en',
    );
    expect(expired.status).toBe(410);
    expectCustomerPage(expired, 'en');
    expect(expired.html).toContain('This link has expired');
  });

  it('binding: linked, already linked on reload, cancelled on DOKU, forged codes and unknown links are pages', async () => {
    const user = await registerUser(env.t);
    const account = env.sim.control.createAccount({ phoneNo: await phoneOf(user), balance: 1000 });

    // Cancel on DOKU's consent page.
    const first = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({ accountId: account.accountId });
    expect(first.status).toBe(201);
    const consent = await fetch(first.body.nextAction as string);
    const html = await consent.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
    const token = /name="token" value="([^"]+)"/.exec(html)![1];
    const cancelled = await fetch(new URL(action, first.body.nextAction as string), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'cancel' }).toString(),
    });
    const cancelUrl = cancelled.headers.get('location')!;
    const cancelPage = await open(cancelUrl, 'id');
    expect(cancelPage.status).toBe(200);
    expectCustomerPage(cancelPage, 'id');
    expect(cancelPage.html).toContain('Penghubungan dibatalkan');

    // Tried again: linked.
    const second = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({ accountId: account.accountId });
    expect(second.status).toBe(201);
    const callback = await approveConsent(second.body.nextAction, account.pin);
    const forgedUrl = new URL(callback);
    forgedUrl.searchParams.set('authCode', 'forged-code');
    const forged = await open(forgedUrl.toString(), 'en');
    expect(forged.status).toBe(422);
    expectCustomerPage(forged, 'en');
    expect(forged.html).toContain('DOKU Wallet not linked');

    const linked = await open(callback, 'en');
    expect(linked.status).toBe(200);
    expectCustomerPage(linked, 'en');
    expect(linked.html).toContain('DOKU Wallet linked');
    const reload = await open(callback, 'id');
    expect(reload.status).toBe(200);
    expectCustomerPage(reload, 'id');
    expect(reload.html).toContain('Dompet DOKU sudah terhubung');
    expect((await env.t.http().get('/v1/wallet').set(auth(user))).body.status).toBe('BOUND');

    const forgedLinks: Record<string, string>[] = [
      { ref: `BIND-${randomUUID()}`, authCode: 'x' },
      { authCode: 'x' },
      { ref: '<script>alert(1)</script>' },
    ];
    for (const q of forgedLinks) {
      const page = await open(`${env.t.url}/v1/callbacks/doku/binding?${new URLSearchParams(q).toString()}`, 'id');
      expect(page.status).toBe(404);
      expectCustomerPage(page, 'id');
      expect(page.html).toContain('Tautan tidak dikenali');
      expect(page.html).not.toContain('alert(1)');
    }
  });

  it('purchase return: success, reload, a declined payment with its reason, an unknown reference', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 100_000 });
    const buy = (amount: number) =>
      env.t.http().post('/v1/purchases').set(auth(user)).set('idempotency-key', `key-${randomUUID()}`).send({ amount });

    const created = await buy(40_000);
    expect(created.status).toBe(201);
    const returnUrl = await approveConsent(created.body.webRedirectUrl, wallet.pin);
    const paid = await open(returnUrl, 'id');
    expect(paid.status).toBe(200);
    expectCustomerPage(paid, 'id');
    expect(paid.html).toContain('Pembayaran berhasil');
    const reload = await open(returnUrl, 'en');
    expectCustomerPage(reload, 'en');
    expect(reload.html).toContain('Payment successful');

    // Cancelled on DOKU's PIN page: DOKU fails the payment; the page says so in plain words.
    const second = await buy(10_000);
    const pinPage = await fetch(second.body.webRedirectUrl as string);
    const html = await pinPage.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
    const token = /name="token" value="([^"]+)"/.exec(html)![1];
    const left = await fetch(new URL(action, second.body.webRedirectUrl as string), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'cancel' }).toString(),
    });
    const failed = await open(left.headers.get('location')!, 'en');
    expectCustomerPage(failed, 'en');
    expect(failed.html).toContain('Payment failed');
    expect(failed.html).toContain('no money was taken');

    const unknown = await open(`${env.t.url}/v1/callbacks/doku/purchase?ref=PUR-${'0'.repeat(32)}`, 'en');
    expect(unknown.status).toBe(404);
    expectCustomerPage(unknown, 'en');
    const malformed = await open(`${env.t.url}/v1/callbacks/doku/purchase?ref=%7B%22a%22%3A1%7D`, 'id');
    expect(malformed.status).toBe(404);
    expectCustomerPage(malformed, 'id');
  });

  it('an unexpected failure on a customer route is still a page in the customer language', async () => {
    const user = await registerUser(env.t);
    const { pinPageUrl } = await verifiedRegistration(user);
    const callback = await createPinOnPage(pinPageUrl, '135790');
    // The registrations table is briefly unreadable: the route fails inside, the customer sees a page.
    await db().query(`ALTER TABLE wallet_registrations RENAME TO wallet_registrations_away`);
    let page: Page;
    try {
      page = await open(callback, 'id');
    } finally {
      await db().query(`ALTER TABLE wallet_registrations_away RENAME TO wallet_registrations`);
    }
    expect(page.status).toBe(500);
    expectCustomerPage(page, 'id');
    expect(page.html).toContain('Terjadi kesalahan');
    // Once the table is back, the same link completes the registration.
    const retried = await open(callback, 'en');
    expect(retried.status).toBe(200);
    expect(retried.html).toContain('DOKU Wallet created');
  });
});
