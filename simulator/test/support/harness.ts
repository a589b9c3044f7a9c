import { generateKeyPairSync, randomInt } from 'node:crypto';
import { request } from 'undici';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src';
import { jakartaTimestamp, snapSymmetric, snapTokenSignature } from './signing';

export interface TestPartner {
  clientId: string;
  clientSecret: string;
  privateKeyPem: string;
  publicKeyPem: string;
  authCodeKey: string;
}

export function makePartner(clientId = 'BRN-0000-1700000000099'): TestPartner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    clientId,
    clientSecret: `SK-test-${clientId}`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    authCodeKey: 'ThrowawayAesKey1',
  };
}

/** A settable clock shared by the simulator and the test client. */
export class TestClock {
  constructor(public t: number = Date.UTC(2024, 4, 21, 3, 15, 30)) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

let extCounter = 0;
export function newExternalId(): string {
  extCounter += 1;
  return `${Date.now()}${String(extCounter).padStart(6, '0')}${randomInt(1000, 9999)}`;
}

/** A minimal SNAP client for tests: signs with the test's own code. */
export class SnapTestClient {
  b2bToken?: string;

  constructor(
    readonly baseUrl: string,
    readonly partner: TestPartner,
    readonly now: () => number,
  ) {}

  async post(path: string, body: string, headers: Record<string, string>): Promise<Reply> {
    const res = await request(`${this.baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
  }

  async tokenRequest(
    kind: 'b2b' | 'b2b2c',
    body: Record<string, unknown>,
    opts: { timestamp?: string; signature?: string; clientKey?: string } = {},
  ): Promise<Reply> {
    const timestamp = opts.timestamp ?? jakartaTimestamp(this.now());
    const clientKey = opts.clientKey ?? this.partner.clientId;
    return this.post(`/authorization/v1/access-token/${kind}`, JSON.stringify(body), {
      'X-CLIENT-KEY': clientKey,
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': opts.signature ?? snapTokenSignature(clientKey, timestamp, this.partner.privateKeyPem),
    });
  }

  async getB2bToken(): Promise<string> {
    const r = await this.tokenRequest('b2b', { grantType: 'client_credentials' });
    if (r.status !== 200) throw new Error(`token failed: ${JSON.stringify(r.body)}`);
    this.b2bToken = r.body.accessToken as string;
    return this.b2bToken;
  }

  async customerToken(authCode: string): Promise<Reply> {
    return this.tokenRequest('b2b2c', { grantType: 'authorization_code', authCode, additionalInfo: {} });
  }

  async call(
    path: string,
    body: Record<string, unknown> | string,
    opts: {
      customerToken?: string;
      token?: string;
      timestamp?: string;
      externalId?: string;
      signature?: string;
      partnerId?: string;
      omit?: string[];
      /** Extra headers (outside the signature), e.g. DANA's X-DEVICE-ID. */
      headers?: Record<string, string>;
    } = {},
  ): Promise<Reply> {
    const token = opts.token ?? this.b2bToken ?? (await this.getB2bToken());
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const timestamp = opts.timestamp ?? jakartaTimestamp(this.now());
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE':
        opts.signature ?? snapSymmetric({ method: 'POST', path, token, body: raw, timestamp, secret: this.partner.clientSecret }),
      'X-PARTNER-ID': opts.partnerId ?? this.partner.clientId,
      'X-EXTERNAL-ID': opts.externalId ?? newExternalId(),
    };
    if (opts.customerToken) headers['Authorization-Customer'] = `Bearer ${opts.customerToken}`;
    Object.assign(headers, opts.headers ?? {});
    for (const h of opts.omit ?? []) delete headers[h];
    return this.post(path, raw, headers);
  }
}

export const P = {
  accountCreation: '/snap-adapter/b2b/v1.0/registration-account-creation',
  verifyOtp: '/snap-adapter/b2b/v1.0/otp-verification',
  requestOtp: '/snap-adapter/b2b/v1.0/otp',
  accountBinding: '/snap-adapter/b2b/v1.0/registration-account-binding',
  queryAccountBinding: '/snap-adapter/b2b/v1.0/registration-account-inquiry',
  accountUnbinding: '/snap-adapter/b2b/v1.0/registration-account-unbinding',
  balanceInquiry: '/snap-adapter/b2b2c/v1.0/balance-inquiry',
  bankAccountInquiry: '/snap-adapter/b2b/v1.0/emoney/bank-account-inquiry',
  transferBank: '/snap-adapter/b2b2c/v1.0/emoney/transfer-bank',
  topUpInquiry: '/snap-adapter/b2b/v1.0/emoney/account-inquiry',
  topUp: '/snap-adapter/b2b/v1.0/emoney/topup',
  topUpStatus: '/snap-adapter/b2b/v1.0/emoney/topup-status',
  authPayment: '/snap-adapter/b2b2c/v1.0/auth/payment',
  authCapture: '/snap-adapter/b2b2c/v1.0/auth/capture',
  authVoid: '/snap-adapter/b2b2c/v1.0/auth/void',
  purchase: '/snap-adapter/b2b2c/v1.0/debit/payment-host-to-host',
  purchaseStatus: '/snap-adapter/b2b/v1.0/debit/status',
  purchaseCancel: '/snap-adapter/b2b/v1.0/debit/cancel',
  purchaseRefund: '/snap-adapter/b2b/v1.0/debit/refund',
  historyList: '/snap-adapter/b2b2c/v1.0/transaction-history-list',
  historyDetail: '/snap-adapter/b2b2c/v1.0/transaction-history-detail',
  danaPayment: '/direct-debit/core/v1/debit/payment-host-to-host',
  danaRefund: '/direct-debit/core/v1/debit/refund',
  danaStatus: '/orders/v1.0/debit/status',
} as const;

export interface Harness {
  sim: SimulatorHandle;
  partner: TestPartner;
  client: SnapTestClient;
  clock: TestClock;
}

export async function startHarness(options: SimulatorOptions = {}, partner: TestPartner = makePartner()): Promise<Harness> {
  const clock = new TestClock(Date.now());
  const sim = await startSimulator({
    port: 0,
    log: false,
    seed: 'test-seed',
    clock,
    partners: [
      {
        clientId: partner.clientId,
        clientSecret: partner.clientSecret,
        partnerPublicKeyPem: partner.publicKeyPem,
        authCodeKey: partner.authCodeKey,
        ...(options.notifications ? { notification: options.notifications } : {}),
      },
    ],
    ...options,
  });
  return { sim, partner, clock, client: new SnapTestClient(sim.url, partner, clock.now) };
}

/** A bound account with a customer token, created through the control API (skips onboarding). */
export async function readyCustomer(
  h: Harness,
  phoneNo: string,
  balance = '1000000.00',
): Promise<{ accountId: string; customerToken: string; phoneNo: string; pin: string }> {
  const created = h.sim.control.createAccount({ phoneNo, balance, bindTo: h.partner.clientId, pin: '246810' });
  const t = await h.client.customerToken(created.authCode as string);
  if (t.status !== 200) throw new Error(`customer token failed ${JSON.stringify(t.body)}`);
  return { accountId: created.accountId, customerToken: t.body.accessToken as string, phoneNo, pin: '246810' };
}

export const idr = (value: string): { value: string; currency: string } => ({ value, currency: 'IDR' });

/** Fetches a page (no redirects followed). */
export async function getPage(url: string): Promise<{ status: number; html: string }> {
  const res = await request(url, { method: 'GET' });
  return { status: res.statusCode, html: await res.body.text() };
}

/** Submits a form like a browser: urlencoded POST, redirect not followed. */
export async function postForm(
  url: string,
  action: string,
  fields: Record<string, string>,
): Promise<{ status: number; location?: string; html: string }> {
  const target = new URL(action, url).toString();
  const res = await request(target, {
    method: 'POST',
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const location = res.headers.location;
  return { status: res.statusCode, location: typeof location === 'string' ? location : undefined, html: await res.body.text() };
}

/** Reads the form's action and hidden token out of a page (as a browser would submit it). */
export function formOf(html: string): { action: string; token: string } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const token = /<input type="hidden" name="token" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !token) throw new Error('no form on the page');
  return { action: action.replace(/&amp;/g, '&'), token: token.replace(/&amp;/g, '&') };
}
