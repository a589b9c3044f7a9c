import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EndpointName } from './paths';

/** How DOKU's notifications reach one partner (docs/doku-integration.md#notifications). */
export interface NotificationSettings {
  /** Off unless switched on. */
  enabled?: boolean;
  /** The partner's base URL, e.g. `http://127.0.0.1:3000`. Both the token handshake and the notify go here. */
  baseUrl?: string;
  /** Notification path on the partner, default `/v1.0/debit/notify`. */
  path?: string;
  /** Partner token path for the handshake, default `/authorization/v1/access-token/b2b`. */
  tokenPath?: string;
  /** `symmetric` (HMAC with the client secret, the default) or `asymmetric` (RSA with DOKU's private key). */
  signature?: 'symmetric' | 'asymmetric';
  /** Delays before attempt 1, 2, … (ms, before scaling). Default `[0, 5000, 30000, 120000, 600000]`. */
  retryDelaysMs?: number[];
  /** Multiplies every delay; `0.001` makes a 5 s retry wait 5 ms in tests. Default 1. */
  timeScale?: number;
  /** Per-attempt HTTP timeout (ms, not scaled). Default 5000. */
  timeoutMs?: number;
}

/** A partner registered with the simulator (simulator/dev-partner.json has the same shape). */
export interface PartnerRegistration {
  clientId: string;
  clientSecret: string;
  /**
   * Secrets the partner used before `clientSecret` that are still accepted on its requests: a
   * client-secret rotation's overlap. Notifications are signed with `clientSecret` only.
   */
  previousClientSecrets?: string[];
  /** The partner's RSA public key, or several PEM blocks one after the other: a key rotation's overlap, where either verifies. */
  partnerPublicKeyPem: string;
  /** AES key (16/24/32 UTF-8 bytes) for Query Account Binding's encrypted authCode. */
  authCodeKey: string;
  /** Corporate balance funding top-ups, e.g. `"100000000.00"`. Defaults to `SimulatorOptions.corporateBalance`. */
  corporateBalance?: string;
  notification?: NotificationSettings;
}

export interface SimulatorClock {
  now(): number;
}

/** A merchant of the non-SNAP DOKU e-Wallet checkout (docs/channels.md#doku-e-wallet-checkout). */
export interface CheckoutClientRegistration {
  clientId: string;
  /** The non-SNAP secret key. */
  secretKey: string;
  /** The notification URL "set in the back office"; orders may also name their own. */
  notificationUrl?: string;
}

export interface SimulatorOptions {
  /** 0 picks a random free port. Default 4010. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base URL written into qparamsURL / nextAction / webRedirectUrl. Default: the listening URL. */
  publicUrl?: string;
  /** Partner registry. When absent, read from `partnersFile`. */
  partners?: PartnerRegistration[];
  /** Default: simulator/dev-partner.json of the repository. */
  partnersFile?: string;
  /** DOKU's key pair signing tokens and notifications. Default: from the partners file, else generated. */
  dokuPrivateKeyPem?: string;
  dokuPublicKeyPem?: string;
  /** B2B and B2B2C access-token lifetime (sliding). Default 900. */
  tokenTtlSeconds?: number;
  /**
   * Each use pushes an access token's expiry out again (DOKU: a token "stays usable as long as the
   * partner keeps calling"). `false`: a token lapses `tokenTtlSeconds` after it was issued however much it is
   * used, a stricter DOKU for tests of proactive refresh. Default true.
   */
  slidingTokenExpiry?: boolean;
  /** B2B2C refresh-token lifetime. Default 15 days. */
  refreshTokenTtlSeconds?: number;
  /** Accepted X-TIMESTAMP skew either way. Default 300. */
  timestampSkewSeconds?: number;
  /** Injectable clock for tests. */
  clock?: SimulatorClock;
  /** Seed for identifiers, OTPs and fault decisions. Default a random value, printed in the start line. */
  seed?: string | number;
  /** Defaults applied to every partner that has no notification settings of its own. */
  notifications?: NotificationSettings;
  /** KKI card channel: customer token and OTP requirements, code mode, paths (handlers/kki/kki.ts). */
  kki?: {
    requireCustomerToken?: boolean;
    requireOtp?: boolean;
    codeMode?: 'doc' | 'snap';
    otpMaxAttempts?: number;
    paths?: Partial<Record<'payment' | 'refund' | 'status', string>>;
  };
  /** DOKU e-Wallet checkout: merchants (default: `checkoutClients` of the partners file) and notification retries. */
  checkout?: {
    clients?: CheckoutClientRegistration[];
    notify?: { retryDelaysMs?: number[]; timeScale?: number; timeoutMs?: number };
  };
  /** Expose `/_sim/...`. Default true. */
  controlApi?: boolean;
  /** Request logging: true (stdout, default), false, or a sink for each JSON line. */
  log?: boolean | ((line: string) => void);
  /** OTP behaviour: fixed code (default random 6 digits), lifetime 300 s, 3 attempts, 5 resends. */
  otp?: { fixed?: string; ttlSeconds?: number; maxAttempts?: number; maxResends?: number };
  /**
   * Account Unbinding in two steps (DOKU's docs [DOC]: "completed by sending the OTP to Verify OTP"): the
   * unbinding answers `unlinkResult: "PENDING"` and sends an OTP; Verify OTP with the unbinding's
   * references completes it. `false` = the old one-step unbinding (`unlinkResult: "success"`). Default true.
   */
  unbindingOtp?: boolean;
  /** Wrong PIN entries before a binding or purchase fails. Default 3. */
  pinMaxAttempts?: number;
  /** Wallet cap, e.g. `"20000000.00"` (default). */
  accountMaxBalance?: string;
  /** Per-transaction limit for purchases, transfers, top-ups and auths. Default `"10000000.00"`. */
  transactionLimit?: string;
  /** Default corporate balance of each partner. Default `"100000000.00"`. */
  corporateBalance?: string;
  /** authCode lifetime. Default 600. */
  authCodeTtlSeconds?: number;
  /** Unknown reference on Query Purchase / Query Top Up: `notFound` (404xx01, default) or `status07`. */
  unknownQueryMode?: 'notFound' | 'status07';
  /** Response code for Account Creation with a phone that already has a wallet. Default `4030605`. */
  phoneRegisteredCode?: string;
  /** Endpoint path overrides (the INF paths may differ at DOKU). */
  paths?: Partial<Record<EndpointName, string>>;
  /** Request body limit. Default 1 MiB. */
  bodyLimitBytes?: number;
  /**
   * Answer profiles (src/profiles.ts), combinable. Default: `DOKU_SIM_PROFILES` (comma-separated)
   * from the environment, else `['strict']`.
   */
  profiles?: string[];
  /** `late-status`: how long status queries do not know a new transaction, ms. Default `DOKU_SIM_LATE_STATUS_MS`, else 90000. */
  lateStatusMs?: number;
}

/** Walks up from this file to the directory holding package.json (works from src and from dist). */
export function repoRoot(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

export function defaultPartnersFile(): string {
  return join(repoRoot(), 'simulator', 'dev-partner.json');
}

export interface PartnersFile {
  partners: PartnerRegistration[];
  checkoutClients?: CheckoutClientRegistration[];
  dokuPrivateKeyPem?: string;
  dokuPublicKeyPem?: string;
}

export function readPartnersFile(path: string): PartnersFile {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<PartnersFile>;
  if (!Array.isArray(parsed.partners) || parsed.partners.length === 0) throw new Error(`${path}: no partners`);
  for (const p of parsed.partners) {
    for (const key of ['clientId', 'clientSecret', 'partnerPublicKeyPem', 'authCodeKey'] as const) {
      if (typeof p[key] !== 'string' || p[key] === '') throw new Error(`${path}: partner is missing ${key}`);
    }
  }
  const checkoutClients = Array.isArray(parsed.checkoutClients) ? parsed.checkoutClients : [];
  for (const c of checkoutClients) {
    if (typeof c.clientId !== 'string' || c.clientId === '' || typeof c.secretKey !== 'string' || c.secretKey === '') {
      throw new Error(`${path}: a checkout client needs clientId and secretKey`);
    }
  }
  return {
    partners: parsed.partners,
    checkoutClients,
    dokuPrivateKeyPem: parsed.dokuPrivateKeyPem,
    dokuPublicKeyPem: parsed.dokuPublicKeyPem,
  };
}
