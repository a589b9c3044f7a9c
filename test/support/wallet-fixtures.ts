import { DataSource } from 'typeorm';
import { DEFAULT_NOTIFY_PATH, startSimulator, type SimulatorHandle } from '../../simulator/src';
import type { SignedInUser } from './actors';
import type { TestApp } from './test-app';
import { startTestApp } from './test-app';

/** The simulator and the app wired together: the app's DOKU is the simulator, over real HTTP. */
export interface WalletEnv {
  t: TestApp;
  sim: SimulatorHandle;
  close(): Promise<void>;
}

export interface WalletEnvOptions {
  /**
   * Let the simulator send DOKU notifications to the app. Off by default: a suite that does
   * not test notifications should not see deliveries arriving at random moments.
   */
  notifications?: boolean;
  /** Partner notification path on the app; the simulator's default otherwise. */
  notifyPath?: string;
  /** Receives each of the simulator's JSON request log lines (to count the calls DOKU received). */
  simLog?: (line: string) => void;
}

/**
 * Starts the DOKU simulator on a free port (registry: simulator/dev-partner.json, which matches the
 * backend's development DOKU credentials), then the app with DOKU_BASE_URL pointing at it.
 *
 * `config.app.publicBaseUrl` is set to the app's real listening URL once it is known, so the
 * redirect URLs the app sends to DOKU (create-PIN and binding callbacks) lead back to this app.
 */
export async function startWalletEnv(env: Record<string, string> = {}, options: WalletEnvOptions = {}): Promise<WalletEnv> {
  const sim = await startSimulator({ port: 0, log: options.simLog ?? false });
  let t: TestApp;
  try {
    t = await startTestApp({ DOKU_BASE_URL: sim.url, ...env });
  } catch (error) {
    await sim.close();
    throw error;
  }
  // The app listens on a random port, so the configured default cannot know it. AppConfigService
  // shares the `app` section object with `t.config`, so this reaches the running app.
  if (!env.PUBLIC_BASE_URL) t.config.app.publicBaseUrl = t.url;
  if (options.notifications) {
    sim.control.setNotification(t.config.doku.clientId, {
      enabled: true,
      baseUrl: t.url,
      path: options.notifyPath ?? DEFAULT_NOTIFY_PATH,
      timeScale: 0.001,
    });
  }
  return {
    t,
    sim,
    close: async () => {
      await t.close();
      await sim.close();
    },
  };
}

export interface BoundWallet {
  /** DOKU accountId (10 digits). */
  accountId: string;
  /** The wallet phone (62…), the user's profile phone. */
  phone: string;
  /** The DOKU PIN of the account, for the simulator's payment pages. */
  pin: string;
  linkId: string;
}

export interface BoundWalletOptions {
  /** Starting balance in rupiah. Default 1,000,000. */
  balance?: number;
  /** DOKU PIN. Default '123456'. */
  pin?: string;
}

/**
 * Gives `user` a BOUND wallet the quickest faithful way: the simulator creates a ready DOKU account
 * (the user's profile phone, the given balance), then the app's own REST binding runs
 * (`POST /v1/wallet/binding`), the simulator's consent page is approved with the PIN like a
 * browser, and its 302 is followed to the app's binding callback, which exchanges the authCode.
 */
export async function createBoundWallet(env: WalletEnv, user: SignedInUser, options: BoundWalletOptions = {}): Promise<BoundWallet> {
  const { t, sim } = env;
  const pin = options.pin ?? '123456';
  const phone = await profilePhone(t, user.id);
  const account = sim.control.createAccount({ phoneNo: phone, pin, balance: options.balance ?? 1_000_000 });

  const bind = await t
    .http()
    .post('/v1/wallet/binding')
    .set('authorization', `Bearer ${user.accessToken}`)
    .send({ accountId: account.accountId });
  if (bind.status !== 201) throw new Error(`binding failed: ${bind.status} ${JSON.stringify(bind.body)}`);
  const callback = await approveConsent(bind.body.nextAction as string, pin);
  const done = await fetch(callback, { redirect: 'manual' });
  if (done.status !== 200) throw new Error(`binding callback failed: ${done.status} ${await done.text()}`);

  const wallet = await t.http().get('/v1/wallet').set('authorization', `Bearer ${user.accessToken}`);
  if (wallet.body.status !== 'BOUND') throw new Error(`wallet not bound: ${JSON.stringify(wallet.body)}`);
  const row = await t.app.get(DataSource).query<Array<{ link_id: string }>>(`SELECT link_id FROM wallets WHERE user_id = $1`, [user.id]);
  return { accountId: account.accountId, phone, pin, linkId: row[0]?.link_id ?? '' };
}

/**
 * A browser on the simulator's binding consent page: GET the form, POST the PIN, return the
 * `Location` of the 302 (the app's binding callback with `authCode`).
 */
export async function approveConsent(nextAction: string, pin: string): Promise<string> {
  return submitPinPage(nextAction, { pin, action: 'approve' });
}

/** A browser on the simulator's DANA page (a DANA purchase's `webRedirectUrl`): approve or decline; the 302's `Location`. */
export async function answerDanaPage(pageUrl: string, action: 'approve' | 'decline'): Promise<string> {
  return submitPinPage(pageUrl, { action });
}

/** A browser on the simulator's create-PIN page (the URL returned after Verify OTP). */
export async function createPinOnPage(pinPageUrl: string, pin: string): Promise<string> {
  return submitPinPage(pinPageUrl, { pin, confirmPin: pin });
}

async function submitPinPage(pageUrl: string, fields: Record<string, string>): Promise<string> {
  const page = await fetch(pageUrl, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`page ${pageUrl} answered ${page.status}`);
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !token) throw new Error('no form on the page');
  const post = await fetch(new URL(unescapeHtml(action), pageUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: unescapeHtml(token), ...fields }).toString(),
  });
  const location = post.headers.get('location');
  if (post.status !== 302 || !location) throw new Error(`page form answered ${post.status}: ${await post.text()}`);
  return location;
}

function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string);
}

async function profilePhone(t: TestApp, userId: string): Promise<string> {
  const rows = await t.app.get(DataSource).query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [userId]);
  if (!rows[0]) throw new Error(`no user ${userId}`);
  return rows[0].phone;
}
