import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ServiceClientsService } from '../src/clients/service-clients.service';
import { loadConfig } from '../src/config/load-config';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import { until } from './support/until';
import type { WalletEnv } from './support/wallet-fixtures';
import { approveConsent, createBoundWallet, createPinOnPage, startWalletEnv } from './support/wallet-fixtures';

const APP_LINK = 'partnerapp://wallet/result?source=doku';

/**
 * The way back to the partner's app (docs/customer-pages.md#back-to-the-app): every customer page
 * leads to the configured return link with the outcome in it, a service client's own link wins for
 * the purchases it creates, and a purchase that asks for it sends the customer straight to the app
 * (DOKU's isDeeplink "Y").
 */
describe('Back to the app (e2e, simulator)', () => {
  let env: WalletEnv;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });
  const db = () => env.t.app.get(DataSource);

  beforeAll(async () => {
    env = await startWalletEnv({ APP_RETURN_URL: APP_LINK });
  });
  afterAll(async () => {
    await env.close();
  });

  /** The page's return link, parsed, or undefined when it shows none. */
  async function linkOf(url: string): Promise<{ status: number; link?: URL; html: string }> {
    const res = await fetch(url, { redirect: 'manual', headers: { 'accept-language': 'en' } });
    const html = await res.text();
    const href = /class="back" href="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    return { status: res.status, link: href ? new URL(href) : undefined, html };
  }
  const params = (link: URL | undefined) => Object.fromEntries(link?.searchParams ?? []);
  const phoneOf = async (u: SignedInUser): Promise<string> =>
    (await db().query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [u.id]))[0].phone;
  const partnerRef = async (id: string): Promise<string> =>
    (await db().query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id]))[0]
      .partner_reference_no;

  /** The Purchase Web request as recorded in the exchange log (written shortly after the call). */
  async function sentPurchaseWeb(id: string) {
    const ref = await partnerRef(id);
    return until(
      () =>
        db().query<Array<{ body: { urlParams: Array<{ type: string; isDeeplink: string }> } }>>(
          `SELECT request_body AS body FROM doku_exchanges WHERE endpoint = 'purchaseWeb' AND partner_reference = $1`,
          [ref],
        ),
      (rows) => rows.length > 0,
    );
  }

  async function submit(pageUrl: string, fields: Record<string, string>): Promise<string> {
    const html = await (await fetch(pageUrl)).text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
    const token = /name="token" value="([^"]+)"/.exec(html)![1];
    const res = await fetch(new URL(action, pageUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...fields }).toString(),
    });
    return res.headers.get('location')!;
  }

  it('refuses return links that are not an app link, at start and for a service client', async () => {
    expect(() => loadConfig({ NODE_ENV: 'test', APP_RETURN_URL: 'javascript:alert(1)' })).toThrow(
      /APP_RETURN_URL must not use the javascript: scheme/,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', APP_RETURN_URL: 'http://app.example/' })).toThrow(/APP_RETURN_URL/);
    expect(loadConfig({ NODE_ENV: 'test', APP_RETURN_URL: 'https://app.partner.example/wallet' }).app.appReturnUrl).toBe(
      'https://app.partner.example/wallet',
    );
    const clients = env.t.app.get(ServiceClientsService);
    await expect(clients.create('bad link', ['purchases:write'], 'data:text/html,x')).rejects.toMatchObject({
      code: 'CLIENT.INVALID_RETURN_URL',
    });
    await expect(clients.setAppReturnUrl('svc_nope', 'partnerapp://x')).rejects.toMatchObject({ code: 'CLIENT.NOT_FOUND' });
  });

  it('registration and binding pages lead to the app with the outcome: success, cancelled, not found', async () => {
    const user = await registerUser(env.t);
    const reg = await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({});
    const otp = env.sim.control.lastOtp(await phoneOf(user)).otp;
    const verified = await env.t.http().post(`/v1/wallet/registrations/${reg.body.id}/otp`).set(auth(user)).send({ otp });
    const created = await linkOf(await createPinOnPage(verified.body.pinPageUrl, '112233'));
    expect(created.link?.protocol).toBe('partnerapp:');
    expect(params(created.link)).toEqual({ source: 'doku', result: 'success', flow: 'registration', registrationId: reg.body.id });

    // Cancel on DOKU's consent page, then link for real (its reload keeps its outcome).
    const first = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    const cancelUrl = await submit(first.body.nextAction as string, { action: 'cancel' });
    const cancelled = await linkOf(cancelUrl);
    expect(params(cancelled.link)).toMatchObject({ result: 'cancelled', flow: 'binding', bindingId: first.body.bindingId });
    expect(params((await linkOf(cancelUrl)).link)).toEqual(params(cancelled.link));

    const second = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    const linkedUrl = await approveConsent(second.body.nextAction, '112233');
    const linked = await linkOf(linkedUrl);
    expect(params(linked.link)).toEqual({ source: 'doku', result: 'success', flow: 'binding', bindingId: second.body.bindingId });
    expect(params((await linkOf(linkedUrl)).link)).toEqual(params(linked.link));
    // The page also goes there on its own once the outcome is known.
    expect(linked.html).toContain('location.href=');

    const unknown = await linkOf(`${env.t.url}/v1/callbacks/doku/binding?ref=BIND-${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(params(unknown.link)).toEqual({ source: 'doku', result: 'not_found', flow: 'binding' });

    // Even an unexpected failure leads back to the app.
    const third = await env.t.http().post('/v1/wallet/unbinding').set(auth(user)).send();
    expect(third.status).toBeLessThan(300);
    await db().query(`ALTER TABLE wallet_bindings RENAME TO wallet_bindings_away`);
    let broken: Awaited<ReturnType<typeof linkOf>>;
    try {
      broken = await linkOf(`${env.t.url}/v1/callbacks/doku/binding?ref=BIND-${randomUUID()}`);
    } finally {
      await db().query(`ALTER TABLE wallet_bindings_away RENAME TO wallet_bindings`);
    }
    expect(broken.status).toBe(500);
    expect(params(broken.link)).toEqual({ source: 'doku', result: 'failure', flow: 'binding' });
  });

  it('purchase pages lead to the app with the outcome and the purchase id; a service client’s own link wins for its purchases', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 100_000 });
    const buy = (amount: number, extra: Record<string, unknown> = {}) =>
      env.t
        .http()
        .post('/v1/purchases')
        .set(auth(user))
        .set('idempotency-key', `key-${randomUUID()}`)
        .send({ amount, ...extra });

    const waiting = await buy(1_000);
    const before = await linkOf(`${env.t.url}/v1/callbacks/doku/purchase?ref=${await partnerRef(waiting.body.id)}`);
    expect(params(before.link)).toEqual({ source: 'doku', result: 'processing', flow: 'purchase', purchaseId: waiting.body.id });
    const paid = await buy(30_000);
    const success = await linkOf(await approveConsent(paid.body.webRedirectUrl, wallet.pin));
    expect(params(success.link)).toEqual({ source: 'doku', result: 'success', flow: 'purchase', purchaseId: paid.body.id });

    const left = await buy(10_000);
    const failure = await linkOf(await submit(left.body.webRedirectUrl as string, { action: 'cancel' }));
    expect(params(failure.link)).toMatchObject({ result: 'failure', purchaseId: left.body.id });

    // A service with its own app link.
    const service = await serviceToken(env.t, ['purchases:write']);
    await env.t.app.get(ServiceClientsService).setAppReturnUrl(service.clientId, 'https://shop.partner.example/orders/done');
    const order = await env.t
      .http()
      .post(`/v1/users/${user.id}/purchases`)
      .set({ authorization: `Bearer ${service.token}` })
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 5_000, merchantOrderRef: 'ORD-1' });
    expect(order.status).toBe(201);
    const orderPage = await linkOf(await approveConsent(order.body.webRedirectUrl, wallet.pin));
    expect(`${orderPage.link?.origin}${orderPage.link?.pathname}`).toBe('https://shop.partner.example/orders/done');
    expect(params(orderPage.link)).toEqual({ result: 'success', flow: 'purchase', purchaseId: order.body.id });
  });

  it('returnToApp: DOKU is told the return is an app link (isDeeplink "Y") and sends the customer straight there', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 100_000 });
    const created = await env.t
      .http()
      .post('/v1/purchases')
      .set(auth(user))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 20_000, returnToApp: true });
    expect(created.status).toBe(201);
    const location = new URL(await approveConsent(created.body.webRedirectUrl, wallet.pin));
    expect(location.protocol).toBe('partnerapp:');
    expect(params(location)).toMatchObject({ source: 'doku', result: 'processing', flow: 'purchase', purchaseId: created.body.id });
    const sent = await sentPurchaseWeb(created.body.id);
    expect(sent[0].body.urlParams.find((u) => u.type === 'PAY_RETURN')?.isDeeplink).toBe('Y');
    expect(sent[0].body.urlParams.find((u) => u.type === 'PAY_NOTIFY')?.isDeeplink).toBe('N');

    // Without it, our page is the return (isDeeplink "N").
    const plain = await env.t
      .http()
      .post('/v1/purchases')
      .set(auth(user))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 1_000 });
    const plainSent = await sentPurchaseWeb(plain.body.id);
    expect(plainSent[0].body.urlParams.find((u) => u.type === 'PAY_RETURN')?.isDeeplink).toBe('N');

    // No return link configured: asking for it is refused before anything reaches DOKU.
    const configured = env.t.config.app.appReturnUrl;
    env.t.config.app.appReturnUrl = undefined;
    try {
      const refused = await env.t
        .http()
        .post('/v1/purchases')
        .set(auth(user))
        .set('idempotency-key', `key-${randomUUID()}`)
        .send({ amount: 1_000, returnToApp: true });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('PURCHASE.NO_RETURN_URL');
    } finally {
      env.t.config.app.appReturnUrl = configured;
    }
  });
});
