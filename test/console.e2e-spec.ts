import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { until } from './support/until';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const THRESHOLD = 50_000;
/** Per test: a browser on a loaded 2-core machine (CI runs two test files at once) is slow, not wrong. */
const BROWSER_TEST_MS = 60_000;

/**
 * The back-office console at /admin in a headless Chromium, against the DOKU simulator: each role
 * signs in and sees its screens; support finds a customer and cannot refund (no button, and the API
 * refuses); a refund above the maker-checker threshold asked by one finance person is made only when
 * another approves it; a reconciliation item is resolved with a reason, by two people; the admin
 * reads both in the audit trail. The session is in httpOnly cookies and every call needs its CSRF token.
 */
describe('The back-office console in a headless Chromium (e2e, simulator)', () => {
  let env: WalletEnv;
  let db: DataSource;
  let browser: Browser;
  let userDataDir: string;
  let support: SignedInUser;
  let maker: SignedInUser;
  let checker: SignedInUser;
  let admin: SignedInUser;
  let customer: SignedInUser;
  let accountId: string;
  let phone: string;
  let purchaseId: string;
  let stuckId: string;
  let receiver: Server;
  let receiverUrl: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is required for the console test and was not found at ${CHROMIUM}: install Debian's package ` +
          '(`apt-get install -y chromium`, as .ci/run does) or point CHROMIUM_PATH at a Chromium binary',
      );
    }
    // The partner's webhook receiver: takes every delivery.
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    env = await startWalletEnv({
      MAKER_CHECKER_REFUND_THRESHOLD: String(THRESHOLD),
      WEBHOOKS_ENABLED: 'true',
      WEBHOOKS_INTERVAL_MS: '200',
      WEBHOOK_ALLOW_INSECURE_TARGETS: new URL(receiverUrl).host,
    });
    db = env.t.app.get(DataSource);
    [support, maker, checker, admin] = await Promise.all([
      registerUser(env.t, 'support'),
      registerUser(env.t, 'finance'),
      registerUser(env.t, 'finance'),
      registerUser(env.t, 'admin'),
    ]);

    // A customer with a bound wallet and a paid purchase of 100,000 (above the threshold).
    customer = await registerUser(env.t);
    const wallet = await createBoundWallet(env, customer, { balance: 1_000_000 });
    accountId = wallet.accountId;
    phone = wallet.phone;
    const auth = { authorization: `Bearer ${customer.accessToken}` };
    const created = await env.t.http().post('/v1/purchases').set(auth).set('idempotency-key', randomUUID()).send({ amount: 100_000 });
    expect(created.status).toBe(201);
    purchaseId = created.body.id as string;
    const [{ partner_reference_no: ref }] = await db.query<Array<{ partner_reference_no: string }>>(
      'SELECT partner_reference_no FROM transactions WHERE id = $1',
      [purchaseId],
    );
    env.sim.control.pay({ partnerReferenceNo: ref });
    expect((await env.t.http().get(`/v1/purchases/${purchaseId}`).set(auth)).body.status).toBe('SUCCESS');

    // A second purchase whose service refund DOKU never answered: UNKNOWN, then flagged for a person.
    const other = await env.t.http().post('/v1/purchases').set(auth).set('idempotency-key', randomUUID()).send({ amount: 20_000 });
    const [{ partner_reference_no: otherRef }] = await db.query<Array<{ partner_reference_no: string }>>(
      'SELECT partner_reference_no FROM transactions WHERE id = $1',
      [other.body.id],
    );
    env.sim.control.pay({ partnerReferenceNo: otherRef });
    expect((await env.t.http().get(`/v1/purchases/${other.body.id}`).set(auth)).body.status).toBe('SUCCESS');
    const refunder = (await serviceToken(env.t, ['refunds:write'])).token;
    env.sim.control.setFaults([
      { endpoint: 'refundPurchase', type: 'error_before', status: 503 },
      { endpoint: 'queryPurchase', type: 'error_before', status: 503 },
    ]);
    const stuck = await env.t
      .http()
      .post(`/v1/users/${customer.id}/purchases/${other.body.id}/refunds`)
      .set('authorization', `Bearer ${refunder}`)
      .set('idempotency-key', randomUUID())
      .send({ amount: 5_000, reason: 'Item out of stock' });
    expect([stuck.status, stuck.body.status]).toEqual([202, 'UNKNOWN']);
    env.sim.control.clearFaults();
    stuckId = stuck.body.id as string;
    // What the reconciler does after its last scheduled check (test/reconciliation.e2e-spec.ts covers that schedule).
    await db.query('UPDATE transactions SET attention_required_at = now() WHERE id = $1', [stuckId]);

    userDataDir = mkdtempSync(join(tmpdir(), 'console-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    for (const session of signedIn.values()) await (await session).context.close();
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await env?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /**
   * A browser context (its own cookies) signed in to the console as `who`, once per person: each
   * sign-in loads the console's script again, and that is most of this file's time.
   */
  const signedIn = new Map<string, Promise<{ context: BrowserContext; page: Page }>>();
  function signIn(who: SignedInUser): Promise<{ context: BrowserContext; page: Page }> {
    if (!signedIn.has(who.id)) signedIn.set(who.id, freshSignIn(who));
    return signedIn.get(who.id)!;
  }

  async function freshSignIn(who: SignedInUser): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ baseURL: env.t.url });
    const page = await context.newPage();
    await page.goto('/admin');
    await page.fill('input[name="username"]', who.email);
    await page.fill('input[name="password"]', who.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('text=Waiting for a person', { timeout: 15_000 });
    return { context, page };
  }

  /** Loads the console afresh at a screen (its lists read again, even where the page already was). */
  let loads = 0;
  const open = (page: Page, screen: string) => page.goto(`/admin?load=${++loads}#${screen}`);

  /** The customers list searched for `q`, then the customer's page. */
  async function openCustomer(page: Page, q: string): Promise<void> {
    await open(page, '/customers');
    await page.fill('input[name="q"]', q);
    await page.locator('tbody tr', { hasText: customer.email }).click();
    await page.waitForURL((url) => url.hash === `#/customers/${customer.id}/show`);
  }

  const menu = async (page: Page) =>
    (await page.locator('.RaSidebar-fixed, .RaMenu-open, [class*="RaMenu"]').first().innerText()).split('\n');

  /** What the page's own scripts could do with the session: call the API with or without the CSRF token. */
  const fromPage = (page: Page, path: string, init: { method: string; body?: unknown; csrf: boolean }) =>
    page.evaluate(
      async ({ path, init }) => {
        const session = (await (await fetch('/admin/api/session')).json()) as { csrfToken: string };
        const res = await fetch(path, {
          method: init.method,
          headers: {
            'content-type': 'application/json',
            'idempotency-key': `k-${Math.random()}`,
            ...(init.csrf ? { 'x-csrf-token': session.csrfToken } : {}),
          },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        });
        return { status: res.status, body: (await res.json().catch(() => null)) as { error?: { code: string } } | null };
      },
      { path, init },
    );

  it(
    'keeps the session in httpOnly SameSite=Strict cookies, refuses customers, and needs the CSRF token',
    async () => {
      const { context, page } = await signIn(support);
      const cookies = await context.cookies();
      const access = cookies.find((c) => c.name === 'doku_console');
      expect(access).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(cookies.find((c) => c.name === 'doku_console_refresh')).toMatchObject({ httpOnly: true, path: '/admin/api/session' });
      expect(await page.evaluate('document.cookie')).toBe('');
      expect(await page.evaluate('JSON.stringify(window.localStorage)')).not.toContain(access!.value);

      const withToken = await fromPage(page, `/v1/admin/users/${customer.id}`, { method: 'GET', csrf: true });
      expect(withToken.status).toBe(200);
      const without = await fromPage(page, `/v1/admin/users/${customer.id}`, { method: 'GET', csrf: false });
      expect([without.status, without.body?.error?.code]).toEqual([401, 'AUTH.UNAUTHENTICATED']);
      // The cookie is not a token for the customers' routes.
      expect((await fromPage(page, '/v1/me', { method: 'GET', csrf: true })).status).toBe(401);

      const signInAsCustomer = await env.t.http().post('/admin/api/session').send({ email: customer.email, password: customer.password });
      expect([signInAsCustomer.status, signInAsCustomer.body.error.code]).toEqual([403, 'AUTH.FORBIDDEN']);
      expect(signInAsCustomer.headers['set-cookie']).toBeUndefined();
    },
    BROWSER_TEST_MS,
  );

  it(
    'renews the session from the refresh cookie, and signing out ends it',
    async () => {
      const http = () => env.t.http();
      const signedIn = await http().post('/admin/api/session').send({ email: admin.email, password: admin.password });
      expect(signedIn.status).toBe(200);
      expect(signedIn.body).toEqual({ user: expect.objectContaining({ id: admin.id, role: 'admin' }), csrfToken: expect.any(String) });
      expect(JSON.stringify(signedIn.body)).not.toMatch(/accessToken|refreshToken|eyJ/);
      const cookie = (name: string, res: { headers: Record<string, unknown> }) =>
        ((res.headers['set-cookie'] as string[]).find((c) => c.startsWith(`${name}=`)) ?? '').split(';')[0];
      const access = cookie('doku_console', signedIn);
      const refresh = cookie('doku_console_refresh', signedIn);

      // Only the refresh cookie (the access one expired): a new pair; the session is the same, so the CSRF
      // token it was given and the one renewal gives both speak for it (a signature: not the same bytes).
      const renewed = await http().get('/admin/api/session').set('cookie', refresh);
      expect(renewed.status).toBe(200);
      expect(renewed.body.csrfToken).toEqual(expect.any(String));
      expect(cookie('doku_console', renewed)).toMatch(/^doku_console=ey/);
      expect(cookie('doku_console_refresh', renewed)).not.toBe(refresh);
      const renewedAccess = cookie('doku_console', renewed);
      for (const token of [signedIn.body.csrfToken as string, renewed.body.csrfToken as string]) {
        expect((await http().get('/v1/admin/audit').set('cookie', access).set('x-csrf-token', token)).status).toBe(200);
        expect((await http().get('/v1/admin/audit').set('cookie', renewedAccess).set('x-csrf-token', token)).status).toBe(200);
      }
      // Another session's token does not: a fresh sign-in's token is refused with the first session's cookie.
      const other = await http().post('/admin/api/session').send({ email: admin.email, password: admin.password });
      expect((await http().get('/v1/admin/audit').set('cookie', access).set('x-csrf-token', other.body.csrfToken)).status).toBe(401);
      // The spent refresh token is refused (and, as with /v1/auth/refresh, ends the session family).
      const reused = await http().get('/admin/api/session').set('cookie', refresh);
      expect(reused.status).toBe(401);
      expect(reused.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringMatching(/^doku_console=; Path=\/; Max-Age=0/)]));

      const again = await http().post('/admin/api/session').send({ email: admin.email, password: admin.password });
      const csrf = again.body.csrfToken as string;
      const againAccess = cookie('doku_console', again);
      expect((await http().get('/v1/admin/audit').set('cookie', againAccess).set('x-csrf-token', csrf)).status).toBe(200);
      expect((await http().delete('/admin/api/session').set('cookie', againAccess)).status).toBe(401);
      const out = await http().delete('/admin/api/session').set('cookie', againAccess).set('x-csrf-token', csrf);
      expect(out.status).toBe(204);
      expect((await http().get('/v1/admin/audit').set('cookie', againAccess).set('x-csrf-token', csrf)).status).toBe(401);
      expect((await http().get('/admin/api/session').set('cookie', againAccess)).status).toBe(401);
    },
    BROWSER_TEST_MS,
  );

  it(
    'each role sees its screens',
    async () => {
      const seen: Record<string, string[]> = {};
      for (const [role, who] of [
        ['support', support],
        ['finance', maker],
        ['admin', admin],
      ] as const) {
        const { page } = await signIn(who);
        await page.waitForSelector('text=Customers');
        seen[role] = await menu(page);
      }
      expect(seen.support).toEqual(expect.arrayContaining(['Customers', 'Transactions', 'Reconciliation queue', 'Webhooks']));
      expect(seen.support).not.toEqual(expect.arrayContaining(['Approvals']));
      expect(seen.support).not.toEqual(expect.arrayContaining(['Audit trail']));
      expect(seen.finance).toEqual(expect.arrayContaining(['Customers', 'Transactions', 'Reconciliation queue', 'Approvals']));
      expect(seen.finance).not.toEqual(expect.arrayContaining(['Audit trail']));
      expect(seen.admin).toEqual(expect.arrayContaining(['Approvals', 'Audit trail', 'Webhooks', 'Service clients', 'Staff and roles']));
    },
    BROWSER_TEST_MS,
  );

  it(
    'an admin subscribes a webhook URL and makes, rotates and revokes a service client, each secret shown once',
    async () => {
      const { page } = await signIn(admin);
      await open(page, '/webhooks');
      await page.getByRole('button', { name: 'New subscription' }).click();
      await page.getByTestId('field-url').fill(receiverUrl);
      await page.getByTestId('field-description').fill('Order service');
      await page.getByRole('button', { name: 'Subscribe' }).click();
      expect(await page.getByTestId('one-time-secret').innerText()).toMatch(/^whsec_/);
      await page.waitForSelector(`text=${receiverUrl}`);
      const [row] = await db.query<Array<{ url: string }>>('SELECT url FROM webhook_subscriptions');
      expect(row.url).toBe(receiverUrl);

      // A service client: created (its secret shown once), rotated, revoked.
      await open(page, '/service-clients');
      await page.getByRole('button', { name: 'New service client' }).click();
      await page.getByTestId('field-name').fill('Order service');
      await page.getByTestId('field-scopes').fill('purchases:write, wallets:read');
      await page.getByRole('button', { name: 'Create' }).click();
      const created = await page.getByTestId('one-time-secret').innerText();
      const [client] = await db.query<Array<{ client_id: string; scopes: string[] }>>(
        `SELECT client_id, scopes FROM service_clients WHERE name = 'Order service'`,
      );
      expect(client.scopes).toEqual(['purchases:write', 'wallets:read']);
      const clientRow = page.locator('tr', { hasText: client.client_id });
      await clientRow.getByRole('button', { name: 'Rotate secret' }).click();
      await page.waitForSelector(`text=New secret of ${client.client_id}`);
      expect(await clientRow.getByTestId('one-time-secret').innerText()).not.toBe(created);
      await clientRow.getByRole('button', { name: 'Revoke' }).click();
      await clientRow.getByText('revoked').waitFor();
    },
    BROWSER_TEST_MS,
  );

  it(
    'support finds a customer by DOKU account and sees the wallet, but cannot refund (no button, and the API says 403)',
    async () => {
      const { page } = await signIn(support);
      await openCustomer(page, accountId);
      const wallet = await page.getByTestId('wallet').innerText();
      expect(wallet).toContain('BOUND');
      expect(wallet).toContain(accountId.slice(-4));
      // The balance asked of DOKU from the wallet card: the panel says what the API says.
      await page.getByRole('button', { name: 'Check the balance with DOKU' }).click();
      const panel = await page.getByTestId('balance-check').innerText();
      const api = await env.t
        .http()
        .get(`/v1/admin/users/${customer.id}/balance-check`)
        .set('authorization', `Bearer ${support.accessToken}`);
      expect(api.status).toBe(200);
      expect(panel).toContain(api.body.consistent ? 'Our records match DOKU.' : `${api.body.breaks.length} difference(s) with DOKU.`);
      expect(panel).toContain(JSON.stringify(api.body.balance, null, 2).split('\n')[1].trim());
      // The customer's purchase, from their transactions.
      await page.locator('td', { hasText: 'Rp 100.000' }).first().click();
      await page.waitForSelector('[data-testid="timeline"]');
      expect(await page.getByTestId('timeline').innerText()).toContain('SUCCESS');
      expect(await page.getByTestId('exchanges').innerText()).toMatch(/Exchanges with DOKU \([1-9]/);
      expect(await page.getByRole('button', { name: 'Refund' }).count()).toBe(0);
      const refused = await fromPage(page, `/v1/admin/purchases/${purchaseId}/refunds`, {
        method: 'POST',
        body: { amount: 1_000, reason: 'Trying anyway' },
        csrf: true,
      });
      expect([refused.status, refused.body?.error?.code]).toEqual([403, 'AUTH.FORBIDDEN']);
    },
    BROWSER_TEST_MS,
  );

  it(
    'a customer clicked while the search is still being applied stays open (the list keeps its search out of the address)',
    async () => {
      const { page } = await signIn(support);
      await open(page, '/customers');
      const shown: string[] = [];
      // Around the 500 ms the list waits after the typing: a list keeping its search in the address
      // navigated to its own address then, and took a click landing just before back to the list.
      for (const delay of [0, 300, 400, 430, 450, 470, 490, 510, 540]) {
        await page.evaluate("window.location.hash = '#/customers'");
        await page.locator('tbody tr', { hasText: customer.email }).waitFor();
        await page.fill('input[name="q"]', phone);
        await page.waitForTimeout(delay);
        await page.locator('tbody tr', { hasText: customer.email }).click();
        await page.waitForURL((url) => url.hash === `#/customers/${customer.id}/show`, { timeout: 10_000 });
        await page.waitForTimeout(800);
        shown.push(`${delay} ms: ${new URL(page.url()).hash}`);
      }
      expect(shown.filter((s) => !s.endsWith(`#/customers/${customer.id}/show`))).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  it(
    'a refund above the threshold asked by one finance person is made only when another approves it',
    async () => {
      const credited = () => env.sim.control.ledger({ accountId }).creditTotal;
      const before = credited();
      const first = await signIn(maker);
      // Found by phone number, then the purchase among the customer's transactions.
      await openCustomer(first.page, phone);
      await first.page.locator('td', { hasText: 'Rp 100.000' }).first().click();
      await first.page.waitForURL((url) => url.hash === `#/transactions/${purchaseId}/show`);
      await first.page.getByRole('button', { name: 'Refund' }).click();
      await first.page.getByTestId('field-reason').fill('Order canceled by the merchant');
      await first.page.getByRole('button', { name: 'Request refund' }).click();
      await first.page.waitForSelector('text=waits for a second person');
      const [approval] = await db.query<Array<{ id: string; status: string; requested_by: string }>>(
        `SELECT id, status, requested_by FROM approvals WHERE target_id = $1 AND kind = 'REFUND'`,
        [purchaseId],
      );
      expect([approval.status, approval.requested_by]).toEqual(['PENDING', maker.id]);
      expect(credited()).toBe(before);
      // The person who asked sees it waiting, with no Approve button.
      await open(first.page, '/approvals');
      await first.page.waitForSelector('text=Waiting for another person');
      expect(await first.page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

      const second = await signIn(checker);
      await open(second.page, '/approvals');
      await second.page.getByRole('button', { name: 'Approve' }).click();
      await second.page.waitForSelector('text=REFUND EXECUTED');
      const [done] = await db.query<Array<{ status: string; decided_by: string }>>(
        'SELECT status, decided_by FROM approvals WHERE id = $1',
        [approval.id],
      );
      expect([done.status, done.decided_by]).toEqual(['EXECUTED', checker.id]);
      expect(Number(credited()) - Number(before)).toBe(100_000);
    },
    BROWSER_TEST_MS,
  );

  it(
    'a reconciliation item is resolved with a reason by one finance person and approved by another',
    async () => {
      const reason = 'DOKU support ticket 4411: no such refund';
      const first = await signIn(maker);
      await open(first.page, '/attention');
      await first.page.locator('td', { hasText: 'Rp 5.000' }).first().click();
      await first.page.getByRole('button', { name: 'Resolve' }).click();
      await first.page.getByTestId('field-reason').fill(reason);
      await first.page.getByRole('button', { name: 'Ask to resolve' }).click();
      await first.page.waitForSelector('text=Resolution requested');

      const second = await signIn(checker);
      await open(second.page, '/approvals');
      await second.page.locator('tr', { hasText: 'RESOLUTION' }).getByRole('button', { name: 'Approve' }).click();
      await second.page.waitForSelector('text=RESOLUTION EXECUTED');
      const [tx] = await db.query<Array<{ status: string; details: { resolution?: { by: string; approvedBy: string; reason: string } } }>>(
        'SELECT status, details FROM transactions WHERE id = $1',
        [stuckId],
      );
      expect(tx.status).toBe('FAILED');
      expect(tx.details.resolution).toMatchObject({ by: maker.id, approvedBy: checker.id, reason });
      // Off the queue.
      await open(second.page, '/attention');
      await second.page.waitForSelector('text=Nothing waits for a person');
    },
    BROWSER_TEST_MS,
  );

  it(
    'the admin reads both in the audit trail',
    async () => {
      const { page } = await signIn(admin);
      await open(page, '/audit');
      await page.waitForSelector('text=approval.approved');
      const text = await page.locator('table').innerText();
      for (const action of ['refund.requested', 'resolution.requested', 'approval.approved', 'transaction.resolved'])
        expect(text).toContain(action);
    },
    BROWSER_TEST_MS,
  );
  it(
    "support reads the subscription's delivery log and sends a delivery again",
    async () => {
      // The refund and the resolution above made events; the receiver took them.
      await until(
        () => db.query<unknown[]>(`SELECT 1 FROM webhook_deliveries WHERE status = 'DELIVERED'`),
        (rows) => rows.length > 0,
        15_000,
      );
      const { page } = await signIn(support);
      await open(page, '/webhooks');
      await page.getByText(receiverUrl).click();
      await page.waitForSelector('text=DELIVERED');
      expect(await page.getByRole('button', { name: 'Rotate secret' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Redeliver' }).first().click();
      await page.waitForSelector('text=Queued for delivery again');
      const [{ redelivered }] = await db.query<Array<{ redelivered: number }>>(
        `SELECT count(*)::int AS redelivered FROM audit_log WHERE action = 'webhook.redelivered' AND actor_id = $1`,
        [support.id],
      );
      expect(redelivered).toBe(1);
    },
    BROWSER_TEST_MS,
  );

  it(
    "the dashboard's figures and the lists' filters come from the back-office API (bearer auth as before)",
    async () => {
      const get = (path: string) => env.t.http().get(path).set('authorization', `Bearer ${support.accessToken}`);
      const stats = await get('/v1/admin/stats?days=3');
      expect(stats.status).toBe(200);
      const today = new Date().toISOString().slice(0, 10);
      // Two purchases paid today on the wallet (100,000 and 20,000); 100,000 refunded.
      expect(stats.body.daily).toEqual([
        { day: today, channel: 'DOKU_WALLET', purchases: 2, succeeded: 2, volume: 120_000, successRate: 1 },
      ]);
      expect(stats.body.refunds).toEqual({ refunds: 1, refundedAmount: 100_000, refundRate: 0.8333 });
      expect(stats.body.unresolved).toMatchObject({ waiting: 0, oldestId: null, oldestAgeSeconds: null, pendingApprovals: 0 });
      expect((await get('/v1/admin/stats?days=91')).status).toBe(400);

      const ids = async (q: string) =>
        ((await get(`/v1/admin/transactions?userId=${customer.id}&${q}`)).body.items as Array<{ id: string }>).map((x) => x.id).sort();
      expect(await ids('type=PURCHASE&minAmount=50000')).toEqual([purchaseId]);
      expect(await ids('type=PURCHASE&maxAmount=50000')).toHaveLength(1);
      expect(await ids('paymentMethod=DANA')).toEqual([]);
      expect(await ids(`type=PURCHASE&from=${today}T00:00:00Z`)).toHaveLength(2);
      expect(await ids(`to=${today}T00:00:00Z`)).toEqual([]);
      expect((await get('/v1/admin/transactions?minAmount=-1')).status).toBe(400);

      // The dashboard shows the same.
      const { page } = await signIn(support);
      await open(page, '/');
      await page.waitForSelector('[data-testid="refund-rate"]');
      expect(await page.getByTestId('refund-rate').innerText()).toContain('83.3%');
      expect(await page.getByTestId('waiting').innerText()).toBe('0');
    },
    BROWSER_TEST_MS,
  );

  it(
    "an admin changes a person's role on the Staff and roles screen; the change is in the database and the audit trail",
    async () => {
      const person = await registerUser(env.t, 'support');
      const { page } = await signIn(admin);
      await open(page, `/staff?filter=${encodeURIComponent(JSON.stringify({ q: person.email }))}`);
      const row = page.locator('tr', { hasText: person.email });
      await row.waitFor();
      await row.getByRole('combobox').click();
      await page.getByRole('option', { name: 'finance', exact: true }).click();
      await page.waitForSelector('text=Role changed');
      const [stored] = await db.query<Array<{ role: string }>>('SELECT role FROM users WHERE id = $1', [person.id]);
      expect(stored.role).toBe('finance');
      const audited = await db.query<Array<{ actor_id: string; before: unknown; after: unknown }>>(
        `SELECT actor_id, before, after FROM audit_log WHERE action = 'user.role-changed' AND target_id = $1`,
        [person.id],
      );
      expect(audited).toEqual([{ actor_id: admin.id, before: { role: 'support' }, after: { role: 'finance' } }]);
    },
    BROWSER_TEST_MS,
  );
  it(
    "a purchase DOKU's answer contradicts is marked on its page, found by its filter, and marked handled by finance",
    async () => {
      // As PurchaseStatusService flags it (test/doku-notifications.e2e-spec.ts makes DOKU say so).
      await db.query(`UPDATE transactions SET doku_disagrees_at = now(), doku_reported_status = 'FAILED' WHERE id = $1`, [purchaseId]);
      try {
        const listed = await env.t
          .http()
          .get(`/v1/admin/transactions?userId=${customer.id}&dokuDisagrees=true`)
          .set('authorization', `Bearer ${support.accessToken}`);
        expect((listed.body.items as Array<{ id: string }>).map((x) => x.id)).toEqual([purchaseId]);
        const { page } = await signIn(support);
        await open(page, `/transactions/${purchaseId}/show`);
        await page.waitForSelector('[data-testid="doku-disagrees"]');
        expect(await page.getByTestId('doku-disagrees').innerText()).toContain('SUCCESS here, DOKU reports FAILED');
        await open(page, `/transactions?filter=${encodeURIComponent(JSON.stringify({ userId: customer.id, dokuDisagrees: 'open' }))}`);
        const row = page.locator('tr', { hasText: 'PURCHASE' });
        await row.first().waitFor();
        expect(await row.count()).toBe(1);
        // Support sees it but cannot mark it handled; finance can, with a note.
        await open(page, `/transactions/${purchaseId}/show`);
        await page.waitForSelector('[data-testid="doku-disagrees"]');
        expect(await page.getByRole('button', { name: 'Mark handled' }).count()).toBe(0);
        const fin = await signIn(maker);
        await open(fin.page, `/transactions/${purchaseId}/show`);
        await fin.page.getByRole('button', { name: 'Mark handled' }).click();
        await fin.page.getByTestId('field-note').fill('Customer told; DOKU ticket 5521 says paid after all');
        await fin.page.getByRole('dialog').getByRole('button', { name: 'Mark handled' }).click();
        await fin.page.waitForSelector('text=Marked handled');
        await fin.page.waitForSelector('text=/handled .*DOKU ticket 5521/');
        const [row2] = await db.query<Array<{ doku_disagreement_note: string; doku_disagreement_handled_by: string }>>(
          `SELECT doku_disagreement_note, doku_disagreement_handled_by FROM transactions WHERE id = $1`,
          [purchaseId],
        );
        expect(row2).toEqual({
          doku_disagreement_note: 'Customer told; DOKU ticket 5521 says paid after all',
          doku_disagreement_handled_by: maker.id,
        });
      } finally {
        await db.query(
          `UPDATE transactions SET doku_disagrees_at = NULL, doku_reported_status = NULL, doku_disagreement_handled_at = NULL,
                  doku_disagreement_handled_by = NULL, doku_disagreement_note = NULL WHERE id = $1`,
          [purchaseId],
        );
      }
    },
    BROWSER_TEST_MS,
  );
});
