import { randomUUID } from 'node:crypto';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import { until } from './support/until';
import type { WalletEnv } from './support/wallet-fixtures';
import { approveConsent, createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/**
 * The purchase return page answers at once even when DOKU is slow (docs/customer-pages.md#payment-being-confirmed):
 * a "being confirmed" page that polls a light status and reloads once the outcome is known, the
 * status query finishing in the background; the polls never add DOKU queries.
 */
describe('Purchase return on a slow DOKU (e2e, simulator)', () => {
  let env: WalletEnv;
  const received: string[] = [];
  const queries = () => received.filter((e) => e === 'queryPurchase').length;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });

  beforeAll(async () => {
    env = await startWalletEnv(
      {},
      {
        simLog: (line) => {
          const endpoint = (JSON.parse(line) as { endpoint?: string }).endpoint;
          if (endpoint) received.push(endpoint);
        },
      },
    );
  });
  afterAll(async () => {
    await env.close();
  });

  it('answers within about a second with a page that polls, then shows the outcome once DOKU answers', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 100_000 });
    const created = await env.t
      .http()
      .post('/v1/purchases')
      .set(auth(user))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 15_000 });
    const returnUrl = await approveConsent(created.body.webRedirectUrl, wallet.pin);
    env.sim.control.setFaults([{ endpoint: 'queryPurchase', type: 'latency', latencyMs: 4_000, times: 1 }]);
    const before = queries();

    const started = Date.now();
    const res = await fetch(returnUrl, { headers: { 'accept-language': 'en' } });
    const html = await res.text();
    const took = Date.now() - started;
    expect(res.status).toBe(200);
    expect(took).toBeLessThan(2_500);
    expect(html).toContain('Payment being confirmed');
    expect(html).toContain('<noscript><meta http-equiv="refresh"');
    const statusPath = /var u="([^"]+)"/.exec(html)?.[1];
    expect(statusPath).toMatch(/^\/v1\/callbacks\/doku\/purchase\/status\?ref=PUR-[0-9a-f]{32}$/);

    // The light status answers at once from our record while DOKU is still thinking.
    const statusUrl = `${env.t.url}${statusPath!}`;
    const light = Date.now();
    const early = await fetch(statusUrl);
    expect(Date.now() - light).toBeLessThan(1_000);
    expect(await early.json()).toEqual({ final: false });

    // Polled every 100 ms, it turns final once the background query is back.
    const final = await until(
      async () => ((await (await fetch(statusUrl)).json()) as { final: boolean }).final,
      (v) => v,
      10_000,
    );
    expect(final).toBe(true);
    // One status query for the whole wait, however many polls (plus none from the reloaded page).
    expect(queries() - before).toBe(1);
    const reloaded = await fetch(returnUrl, { headers: { 'accept-language': 'en' } });
    const shown = await reloaded.text();
    expect(shown).toContain('Payment successful');
    expect(shown).not.toContain('var u=');
    expect(queries() - before).toBe(1);

    // An unknown reference is a stable 404, not a page: only the page's script reads it.
    const unknown = await fetch(`${env.t.url}/v1/callbacks/doku/purchase/status?ref=PUR-${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('PURCHASE.NOT_FOUND');
  });

  it('with a fast DOKU the return page shows the outcome directly', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 100_000 });
    const created = await env.t
      .http()
      .post('/v1/purchases')
      .set(auth(user))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 5_000 });
    const page = await (
      await fetch(await approveConsent(created.body.webRedirectUrl, wallet.pin), { headers: { 'accept-language': 'en' } })
    ).text();
    expect(page).toContain('Payment successful');
  });
});
