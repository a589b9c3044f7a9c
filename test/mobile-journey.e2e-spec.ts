import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import type { WalletEnv } from './support/wallet-fixtures';
import { startWalletEnv } from './support/wallet-fixtures';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The partner app's universal link: the browser's navigation there is the customer back in the app. */
const APP_ORIGIN = 'https://app.partner.example';
const APP_LINK = `${APP_ORIGIN}/wallet/result`;
const INTERVAL_MS = 2_000;
const SHORT_VALIDITY_SECONDS = 5;
const PIN = '246810';

/**
 * The customer's phone, for real: a headless Chromium drives every page the customer's browser sees
 * (docs/customer-pages.md): the simulator's DOKU pages (create PIN, link the wallet, pay with the
 * PIN) and the pages our backend answers after them, for every outcome (success, failure, cancel,
 * expiry, "being confirmed", a reload). It checks that the customer never sees JSON or an internal
 * code, that every outcome ends in the partner's app with the outcome in the link, and that DOKU
 * receives at most one status query per interval per pending purchase however the pages poll (the
 * simulator's own request log counts them).
 */
describe('The mobile journey in a headless Chromium (e2e, simulator)', () => {
  let env: WalletEnv;
  /** A second instance on the same database whose purchases are payable for 5 s only (the expiry case). */
  let shortLived: TestApp;
  let context: BrowserContext;
  let userDataDir: string;
  let user: SignedInUser;
  let accountId: string;
  const statusQueries: number[] = [];
  /** Every response our backend gave to a page load of the browser (never the script's status reads). */
  let seenStatusReads = 0;
  const seen: Array<{ url: string; status: number; contentType: string; body: Promise<string> }> = [];
  const auth = () => ({ authorization: `Bearer ${user.accessToken}` });
  const db = () => env.t.app.get(DataSource);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is required for the mobile journey and was not found at ${CHROMIUM}: install Debian's package ` +
          '(`apt-get install -y chromium`, as .ci/run does) or point CHROMIUM_PATH at a Chromium binary',
      );
    }
    env = await startWalletEnv(
      { APP_RETURN_URL: APP_LINK, STATUS_QUERY_MIN_INTERVAL_MS: String(INTERVAL_MS) },
      {
        simLog: (line) => {
          if ((JSON.parse(line) as { endpoint?: string }).endpoint === 'queryPurchase') statusQueries.push(Date.now());
        },
      },
    );
    shortLived = await startTestApp(
      {
        DOKU_BASE_URL: env.sim.url,
        PUBLIC_BASE_URL: env.t.url,
        APP_RETURN_URL: APP_LINK,
        STATUS_QUERY_MIN_INTERVAL_MS: String(INTERVAL_MS),
        PURCHASE_VALIDITY_SECONDS: String(SHORT_VALIDITY_SECONDS),
      },
      env.t.databaseUrl,
    );
    userDataDir = mkdtempSync(join(tmpdir(), 'mobile-journey-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      locale: 'id-ID',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // The partner's app: its universal link opens the app, here a blank stand-in page.
    await context.route(`${APP_ORIGIN}/**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Partner app</title><p>app</p>' }),
    );
    context.on('request', (req) => {
      if (req.url().startsWith(`${env.t.url}/v1/callbacks/doku/purchase/status`)) seenStatusReads++;
    });
    context.on('response', (res: Response) => {
      if (!res.url().startsWith(env.t.url) || !res.request().isNavigationRequest()) return;
      seen.push({
        url: res.url(),
        status: res.status(),
        contentType: res.headers()['content-type'] ?? '',
        body: res.text().catch(() => ''),
      });
    });
    user = await registerUser(env.t);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await shortLived?.close();
    await env?.close();
  });

  /** What the customer reads on the page now, and checks it carries no JSON and no internal code. */
  async function readPage(page: Page): Promise<string> {
    const text = await page.locator('body').innerText();
    expect(text.trim().startsWith('{')).toBe(false);
    expect(text).not.toMatch(/"error"\s*:/);
    expect(text).not.toMatch(/\b[A-Z]{2,}\.[A-Z_]{3,}\b/);
    expect(text).not.toMatch(/\b[245]0\d{5}\b/);
    expect(text).not.toMatch(/requestId|PUR-|BIND-|REG-/i);
    return text;
  }

  /** Waits until the page has gone to the app by itself, and gives the link's outcome parameters. */
  async function backInApp(page: Page): Promise<Record<string, string>> {
    await page.waitForURL((url) => url.origin === APP_ORIGIN, { timeout: 15_000 });
    const url = new URL(page.url());
    expect(`${url.origin}${url.pathname}`).toBe(APP_LINK);
    return Object.fromEntries(url.searchParams);
  }

  /** The page's own "Return to the app" button. */
  async function returnButton(page: Page): Promise<Record<string, string>> {
    const href = await page.getAttribute('a.back', 'href');
    expect(href).toBeTruthy();
    const url = new URL(href!);
    expect(`${url.origin}${url.pathname}`).toBe(APP_LINK);
    return Object.fromEntries(url.searchParams);
  }

  const onOurPage = (page: Page) => page.waitForURL((url) => url.href.startsWith(env.t.url), { timeout: 15_000 });

  /** DOKU's PIN or consent page: the PIN, then the button. */
  async function submitDokuPage(page: Page, action: 'approve' | 'cancel', pin?: string): Promise<void> {
    if (pin !== undefined) await page.fill('#pin', pin);
    await page.click(`button[value="${action}"]`);
  }

  async function newPurchase(app: TestApp, amount: number): Promise<{ id: string; webRedirectUrl: string; ref: string }> {
    const res = await app
      .http()
      .post('/v1/purchases')
      .set(auth())
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount, description: 'Sepatu lari' });
    expect(res.status).toBe(201);
    const rows = await db().query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [
      res.body.id,
    ]);
    return { id: res.body.id as string, webRedirectUrl: res.body.webRedirectUrl as string, ref: rows[0].partner_reference_no };
  }

  const purchaseStatus = async (id: string) => (await env.t.http().get(`/v1/purchases/${id}`).set(auth())).body.status as string;

  it('creates the DOKU Wallet on the create-PIN page and comes back to the app; the reload says already created', async () => {
    const page = await context.newPage();
    const reg = await env.t.http().post('/v1/wallet/registrations').set(auth()).send({});
    expect(reg.status).toBe(201);
    const phone = (await db().query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [user.id]))[0].phone;
    const otp = await env.t
      .http()
      .post(`/v1/wallet/registrations/${reg.body.id}/otp`)
      .set(auth())
      .send({ otp: env.sim.control.lastOtp(phone).otp });
    expect(otp.status).toBe(200);

    await page.goto(otp.body.pinPageUrl as string);
    await page.fill('#pin', PIN);
    await page.fill('#confirmPin', PIN);
    await submitDokuPage(page, 'approve');
    await onOurPage(page);
    const callbackUrl = page.url();
    expect(await readPage(page)).toContain('Dompet DOKU berhasil dibuat');
    expect(await returnButton(page)).toMatchObject({ result: 'success', flow: 'registration', registrationId: reg.body.id });
    expect(await backInApp(page)).toMatchObject({ result: 'success', flow: 'registration', registrationId: reg.body.id });

    // The customer opens the same link again (back button, a shared link): the same outcome, nothing redone.
    await page.goto(callbackUrl);
    expect(await readPage(page)).toContain('Dompet DOKU sudah dibuat');
    expect(await backInApp(page)).toMatchObject({ result: 'success', flow: 'registration' });
    expect((await env.t.http().get('/v1/wallet').set(auth())).body.status).toBe('REGISTERED');
    accountId = new URL(callbackUrl).searchParams.get('accountId') ?? '';
    expect(accountId).toMatch(/^\d+$/);
    await page.close();
  });

  it('links the wallet on DOKU consent page: cancelled, then refused after wrong PINs, then linked; each ends in the app', async () => {
    const page = await context.newPage();
    const bind = async () => {
      const res = await env.t.http().post('/v1/wallet/binding').set(auth()).send({});
      expect(res.status).toBe(201);
      await page.goto(res.body.nextAction as string);
    };

    await bind();
    await submitDokuPage(page, 'cancel');
    await onOurPage(page);
    expect(await readPage(page)).toContain('Penghubungan dibatalkan');
    expect(await backInApp(page)).toMatchObject({ result: 'cancelled', flow: 'binding' });
    expect((await env.t.http().get('/v1/wallet').set(auth())).body.binding).toMatchObject({ status: 'CANCELLED' });

    await bind();
    // Wrong PINs until DOKU gives up and sends the browser back.
    for (let attempt = 0; attempt < 5 && !page.url().startsWith(env.t.url); attempt++) {
      await submitDokuPage(page, 'approve', '000000');
      await page.waitForLoadState();
    }
    expect(await readPage(page)).toContain('Dompet DOKU belum terhubung');
    expect(await backInApp(page)).toMatchObject({ result: 'failure', flow: 'binding' });

    await bind();
    await submitDokuPage(page, 'approve', PIN);
    await onOurPage(page);
    expect(await readPage(page)).toContain('Dompet DOKU terhubung');
    await page.reload();
    expect(await readPage(page)).toContain('Dompet DOKU sudah terhubung');
    expect(await backInApp(page)).toMatchObject({ result: 'success', flow: 'binding' });
    expect((await env.t.http().get('/v1/wallet').set(auth())).body.status).toBe('BOUND');
    env.sim.control.updateAccount(accountId, { balance: 500_000 });
    await page.close();
  });

  /** A purchase the customer opens on DOKU's page and leaves there while the other payments go on (the expiry case). */
  let expiring: { id: string; webRedirectUrl: string; ref: string; page: Page; createdAt: number };

  it('pays on DOKU PIN page: success, the reload shows the same, and the app gets the purchase id', async () => {
    const createdAt = Date.now();
    const late = await newPurchase(shortLived, 15_000);
    expiring = { ...late, page: await context.newPage(), createdAt };
    await expiring.page.goto(late.webRedirectUrl);

    const page = await context.newPage();
    const { id, webRedirectUrl } = await newPurchase(env.t, 40_000);
    await page.goto(webRedirectUrl);
    await submitDokuPage(page, 'approve', PIN);
    await onOurPage(page);
    const returnPage = page.url();
    expect(await readPage(page)).toContain('Pembayaran berhasil');
    await page.reload();
    expect(await readPage(page)).toContain('Pembayaran berhasil');
    expect(await backInApp(page)).toEqual({ result: 'success', flow: 'purchase', purchaseId: id });
    // Opened again later (from the browser's history): still a page, the same outcome, to the app again.
    await page.goto(returnPage);
    expect(await readPage(page)).toContain('Pembayaran berhasil');
    expect(await backInApp(page)).toMatchObject({ result: 'success', purchaseId: id });
    expect(await purchaseStatus(id)).toBe('SUCCESS');
    await page.close();
  });

  it('a declined payment (balance too low) and a payment cancelled on DOKU page end in the app as failures, no money taken', async () => {
    const page = await context.newPage();
    const declined = await newPurchase(env.t, 30_000);
    env.sim.control.updateAccount(accountId, { balance: 1_000 });
    await page.goto(declined.webRedirectUrl);
    await submitDokuPage(page, 'approve', PIN);
    await onOurPage(page);
    env.sim.control.updateAccount(accountId, { balance: 500_000 });
    const text = await readPage(page);
    expect(text).toContain('Pembayaran gagal');
    // DOKU's status query says failed, not why: the page gives DOKU's decline in plain words.
    expect(text).toContain('DOKU tidak menyelesaikan pembayaran ini');
    expect(await backInApp(page)).toEqual({ result: 'failure', flow: 'purchase', purchaseId: declined.id });

    const left = await newPurchase(env.t, 10_000);
    await page.goto(left.webRedirectUrl);
    await submitDokuPage(page, 'cancel');
    await onOurPage(page);
    expect(await readPage(page)).toContain('tidak ada uang yang terpotong');
    expect(await backInApp(page)).toMatchObject({ result: 'failure', flow: 'purchase', purchaseId: left.id });
    expect(env.sim.control.ledger({ partnerReferenceNo: declined.ref }).debitCount).toBe(0);
    expect(env.sim.control.ledger({ partnerReferenceNo: left.ref }).debitCount).toBe(0);
    await page.close();
  });

  it('a purchase the app cancels while DOKU page is open: DOKU closes its page, ours says cancelled and leads back to the app', async () => {
    const page = await context.newPage();
    const { id, webRedirectUrl, ref } = await newPurchase(env.t, 5_000);
    await page.goto(webRedirectUrl);
    const cancel = await env.t
      .http()
      .post(`/v1/purchases/${id}/cancel`)
      .set(auth())
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ reason: 'Changed my mind' });
    expect(cancel.status).toBe(200);
    await page.reload();
    expect(await page.locator('body').innerText()).toContain('Link expired');
    // The customer comes back to our page for this purchase (the browser's history, a link).
    await page.goto(`${env.t.url}/v1/callbacks/doku/purchase?ref=${ref}`);
    expect(await readPage(page)).toContain('Pembayaran dibatalkan');
    expect(await backInApp(page)).toEqual({ result: 'cancelled', flow: 'purchase', purchaseId: id });
    await page.close();
  });

  it('a slow DOKU: "being confirmed", polled hard by the page, asks DOKU at most once per interval, then the outcome and the app', async () => {
    const page = await context.newPage();
    const { id, webRedirectUrl } = await newPurchase(env.t, 20_000);
    await page.goto(webRedirectUrl);
    // DOKU takes 4 s to answer the status queries of the next few seconds.
    env.sim.control.setFaults([{ endpoint: 'queryPurchase', type: 'latency', latencyMs: 4_000, times: 2 }]);
    const from = statusQueries.length;
    const statusReads = () => seenStatusReads;
    const readsBefore = statusReads();
    const started = Date.now();
    await submitDokuPage(page, 'approve', PIN);
    await onOurPage(page);
    const waiting = await readPage(page);
    expect(waiting).toContain('Pembayaran sedang dikonfirmasi');
    // Still waiting for the outcome: the page offers the app but does not leave for it on its own.
    expect(await returnButton(page)).toMatchObject({ result: 'processing', flow: 'purchase', purchaseId: id });

    // Besides the page's own polling every 2 s, the customer's browser reads the status 20 times a second
    const statusPath = /var u="([^"]+)"/.exec(await page.content())?.[1];
    expect(statusPath).toMatch(/^\/v1\/callbacks\/doku\/purchase\/status\?ref=PUR-[0-9a-f]{32}$/);
    // (Script run in the page, written as text: the browser's own fetch, not Node's.)
    // It ends when the page reloads itself (its script is then gone).
    const hammered = page
      .evaluate(
        `(async () => { let reads = 0; for (let i = 0; i < 80; i++) {` +
          ` const res = await fetch(${JSON.stringify(statusPath)}, { cache: 'no-store' }).catch(() => undefined);` +
          ` if (!res) break; reads++; await new Promise((r) => setTimeout(r, 50)); } return reads; })()`,
      )
      .catch(() => undefined);
    // and the app polls the purchase ten times a second.
    const appPolls: Array<Promise<number>> = [];
    const appPoller = setInterval(() => {
      appPolls.push(
        env.t
          .http()
          .get(`/v1/purchases/${id}`)
          .set(auth())
          .then((r) => r.status),
      );
    }, 100);
    // The page reloads itself once the outcome is known.
    await page
      .getByText('Pembayaran berhasil')
      .waitFor({ timeout: 20_000 })
      .finally(() => clearInterval(appPoller));
    const elapsed = Date.now() - started;
    expect(appPolls.length).toBeGreaterThan(10);
    expect(new Set(await Promise.all(appPolls))).toEqual(new Set([200]));
    const asked = statusQueries.length - from;
    expect(await readPage(page)).toContain('Pembayaran berhasil');
    expect(await backInApp(page)).toEqual({ result: 'success', flow: 'purchase', purchaseId: id });
    await hammered;
    // The browser really did poll hard: dozens of status reads in the few seconds DOKU took.
    expect(statusReads() - readsBefore).toBeGreaterThan(10);
    expect(asked).toBeGreaterThanOrEqual(1);
    // One claim per interval: at most one query started in each INTERVAL_MS of the wait (counted once
    // every poll has finished, so a query a poll was still waiting on is in the count).
    expect(asked).toBeLessThanOrEqual(Math.floor(elapsed / INTERVAL_MS) + 1);
    env.sim.control.clearFaults();
    await page.close();
  });

  it('pays too late: DOKU page took the PIN after validUpTo, the page says expired and the app link too', async () => {
    const { id, ref, page, createdAt } = expiring;
    // The customer left the phone on DOKU's page past the time to pay, and now enters the PIN.
    await new Promise((r) => setTimeout(r, Math.max(0, createdAt + SHORT_VALIDITY_SECONDS * 1000 + 700 - Date.now())));
    await submitDokuPage(page, 'approve', PIN);
    await onOurPage(page);
    expect(await readPage(page)).toContain('Waktu pembayaran habis');
    expect(await backInApp(page)).toEqual({ result: 'expired', flow: 'purchase', purchaseId: id });
    expect(await purchaseStatus(id)).toBe('FAILED');
    expect(env.sim.control.ledger({ partnerReferenceNo: ref }).debitCount).toBe(0);
    await page.close();
  });

  it('an unknown or tampered link is a page that leads back to the app too', async () => {
    const page = await context.newPage();
    await page.goto(`${env.t.url}/v1/callbacks/doku/purchase?ref=PUR-${'0'.repeat(32)}`);
    expect(await readPage(page)).toContain('Tautan tidak dikenali');
    expect(await returnButton(page)).toMatchObject({ result: 'not_found', flow: 'purchase' });
    await page.goto(`${env.t.url}/v1/callbacks/doku/binding?ref=%7B%22a%22%3A1%7D&authCode=x`);
    expect(await readPage(page)).toContain('Tautan tidak dikenali');
    await page.close();
  });

  it('every page our backend showed the browser was HTML in the customer language, with no JSON and no code', async () => {
    expect(seen.length).toBeGreaterThan(15);
    for (const response of seen) {
      expect({ url: response.url, contentType: response.contentType }).toEqual({
        url: response.url,
        contentType: 'text/html; charset=utf-8',
      });
      const body = await response.body;
      expect(body.startsWith('<!doctype html><html lang="id">')).toBe(true);
      expect(body).not.toMatch(/"error"\s*:/);
      expect(body).not.toMatch(/\b[A-Z]{2,}\.[A-Z_]{3,}\b/);
    }
  });
});
