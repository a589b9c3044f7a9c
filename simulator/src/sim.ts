import type { KeyObject } from 'node:crypto';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { keyFingerprint, loadPrivateKey, loadPublicKey } from './crypto';
import { parseAmountInput } from './money';
import type { CheckoutClientRegistration, NotificationSettings, PartnerRegistration, SimulatorClock, SimulatorOptions } from './options';
import { defaultPartnersFile, readPartnersFile } from './options';
import type { EndpointDef, EndpointName } from './paths';
import { buildEndpointMap, DEFAULT_NOTIFY_PATH, DEFAULT_PARTNER_TOKEN_PATH, LEGACY_ALIASES } from './paths';
import type { SimulatorProfile } from './profiles';
import { resolveProfiles } from './profiles';
import { SeededRandom } from './rng';
import type { Partner, PartnerKey } from './store';
import { Store } from './store';
import { jakartaCompactDate } from './time';

/** Settings after defaults are applied. */
export interface ResolvedSettings {
  tokenTtlMs: number;
  slidingTokenExpiry: boolean;
  refreshTokenTtlMs: number;
  skewMs: number;
  otpFixed?: string;
  otpTtlMs: number;
  otpMaxAttempts: number;
  otpMaxResends: number;
  unbindingOtp: boolean;
  pinMaxAttempts: number;
  accountMaxBalance: bigint;
  transactionLimit: bigint;
  authCodeTtlMs: number;
  unknownQueryMode: 'notFound' | 'status07';
  phoneRegisteredCode: string;
  bodyLimitBytes: number;
  controlApi: boolean;
}

export type LogSink = (line: string) => void;

const DEFAULT_RETRY_DELAYS = [0, 5_000, 30_000, 120_000, 600_000];

function amount(input: string | undefined, fallback: string, what: string): bigint {
  const v = parseAmountInput(input ?? fallback);
  if (v === null) throw new Error(`invalid ${what}: ${input}`);
  return v;
}

/** Shared context of one simulator instance: configuration, state, clock, randomness, keys. */
export class Sim {
  readonly store = new Store();
  readonly settings: ResolvedSettings;
  readonly endpoints: Record<EndpointName, EndpointDef>;
  readonly byPath = new Map<string, EndpointDef>();
  readonly seed: string;
  rng: SeededRandom;
  /** The key DOKU signs with (its tokens, its token requests to partners, asymmetric notifications); switched by `setDokuKey`. */
  dokuPrivateKey: KeyObject;
  dokuPublicKeyPem: string;
  /** `keyFingerprint` of the DOKU key. */
  dokuKeyFingerprint: string;
  readonly initialCorporate = new Map<string, bigint>();
  /** Merchants of the non-SNAP checkout from the partners file (handlers/checkout/checkout.ts). */
  checkoutClients: CheckoutClientRegistration[] = [];
  publicUrl = '';
  /** Answer profiles in force (src/profiles.ts); changed at run time by `PUT /_sim/profiles`. */
  profiles: Set<SimulatorProfile>;
  /** `late-status`: how long status queries do not know a new transaction, ms. */
  lateStatusMs: number;
  /** Added to the base clock; moved by `POST /_sim/clock`. */
  clockOffsetMs = 0;
  private readonly clock: SimulatorClock;
  private readonly sink: LogSink | null;

  constructor(options: SimulatorOptions) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.seed = options.seed !== undefined ? String(options.seed) : randomBytes(6).toString('hex');
    this.rng = new SeededRandom(this.seed);
    this.sink =
      options.log === false ? null : typeof options.log === 'function' ? options.log : (line) => process.stdout.write(`${line}\n`);
    this.endpoints = buildEndpointMap(options.paths);
    this.profiles = resolveProfiles(options.profiles);
    const late = options.lateStatusMs ?? Number(process.env.DOKU_SIM_LATE_STATUS_MS || 90_000);
    if (!Number.isFinite(late) || late < 0) throw new Error('lateStatusMs must be a non-negative number');
    this.lateStatusMs = late;
    for (const def of Object.values(this.endpoints)) this.byPath.set(def.path, def);
    for (const [path, name] of Object.entries(LEGACY_ALIASES)) {
      if (!this.byPath.has(path)) this.byPath.set(path, this.endpoints[name]);
    }

    const otpFixed = options.otp?.fixed;
    if (otpFixed !== undefined && !/^\d{6}$/.test(otpFixed)) throw new Error('otp.fixed must be 6 digits');
    this.settings = {
      tokenTtlMs: (options.tokenTtlSeconds ?? 900) * 1000,
      slidingTokenExpiry: options.slidingTokenExpiry ?? true,
      refreshTokenTtlMs: (options.refreshTokenTtlSeconds ?? 15 * 86_400) * 1000,
      skewMs: (options.timestampSkewSeconds ?? 300) * 1000,
      otpFixed,
      otpTtlMs: (options.otp?.ttlSeconds ?? 300) * 1000,
      otpMaxAttempts: options.otp?.maxAttempts ?? 3,
      otpMaxResends: options.otp?.maxResends ?? 5,
      unbindingOtp: options.unbindingOtp ?? true,
      pinMaxAttempts: options.pinMaxAttempts ?? 3,
      accountMaxBalance: amount(options.accountMaxBalance, '20000000.00', 'accountMaxBalance'),
      transactionLimit: amount(options.transactionLimit, '10000000.00', 'transactionLimit'),
      authCodeTtlMs: (options.authCodeTtlSeconds ?? 600) * 1000,
      unknownQueryMode: options.unknownQueryMode ?? 'notFound',
      phoneRegisteredCode: options.phoneRegisteredCode ?? '4030605',
      bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
      controlApi: options.controlApi ?? true,
    };
    if (!/^\d{7}$/.test(this.settings.phoneRegisteredCode)) throw new Error('phoneRegisteredCode must be 7 digits');

    let registrations = options.partners;
    let privatePem = options.dokuPrivateKeyPem;
    let publicPem = options.dokuPublicKeyPem;
    if (!registrations) {
      const file = readPartnersFile(options.partnersFile ?? defaultPartnersFile());
      registrations = file.partners;
      this.checkoutClients = file.checkoutClients ?? [];
      privatePem ??= file.dokuPrivateKeyPem;
      publicPem ??= file.dokuPublicKeyPem;
    }
    if (!privatePem) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    }
    this.dokuPrivateKey = loadPrivateKey(privatePem);
    this.dokuPublicKeyPem = publicPem ?? publicPemOf(this.dokuPrivateKey);
    this.dokuKeyFingerprint = keyFingerprint(this.dokuPrivateKey);

    const corporateDefault = options.corporateBalance ?? '100000000.00';
    for (const reg of registrations) this.addPartner(reg, corporateDefault, options.notifications);
  }

  private addPartner(reg: PartnerRegistration, corporateDefault: string, defaults: NotificationSettings | undefined): void {
    if (this.store.partners.has(reg.clientId)) throw new Error(`duplicate partner ${reg.clientId}`);
    const keyBytes = Buffer.byteLength(reg.authCodeKey, 'utf8');
    if (![16, 24, 32].includes(keyBytes)) throw new Error(`partner ${reg.clientId}: authCodeKey must be 16, 24 or 32 bytes`);
    const corporate = amount(reg.corporateBalance, corporateDefault, 'corporateBalance');
    const partner: Partner = {
      clientId: reg.clientId,
      clientSecret: reg.clientSecret,
      previousClientSecrets: reg.previousClientSecrets ?? [],
      publicKeys: partnerKeys(reg.partnerPublicKeyPem),
      authCodeKey: reg.authCodeKey,
      corporateBalance: corporate,
      notification: resolveNotification({ ...defaults, ...reg.notification }),
    };
    this.store.partners.set(reg.clientId, partner);
    this.initialCorporate.set(reg.clientId, corporate);
  }

  /** DOKU switches the key it signs with (a rotation of DOKU's key); what it signs from now on uses the new one. */
  setDokuKey(privateKeyPem: string): void {
    const key = loadPrivateKey(privateKeyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('the DOKU key must be an RSA private key');
    this.dokuPrivateKey = key;
    this.dokuPublicKeyPem = publicPemOf(key);
    this.dokuKeyFingerprint = keyFingerprint(key);
  }

  has(profile: SimulatorProfile): boolean {
    return this.profiles.has(profile);
  }

  /** `late-status`: a status query does not know a transaction created less than `lateStatusMs` ago. */
  statusLagging(createdAt: number): boolean {
    return this.profiles.has('late-status') && this.now() - createdAt < this.lateStatusMs;
  }

  now(): number {
    return this.clock.now() + this.clockOffsetMs;
  }

  log(fields: Record<string, unknown>): void {
    if (!this.sink) return;
    this.sink(JSON.stringify({ time: new Date(this.now()).toISOString(), service: 'doku-simulator', ...fields }));
  }

  /** DOKU-style reference: Jakarta date + 14 digits (22 characters, like `2020102977770000000009`). */
  newReferenceNo(): string {
    return `${jakartaCompactDate(this.now())}${this.rng.digits(4)}${String(this.store.nextCounter()).padStart(10, '0')}`;
  }

  newPrefixedId(prefix: string): string {
    return `${prefix}${jakartaCompactDate(this.now())}${String(this.store.nextCounter()).padStart(8, '0')}`;
  }

  newAccountId(): string {
    for (;;) {
      const id = `1${this.rng.digits(9)}`;
      if (!this.store.accounts.has(id)) return id;
    }
  }

  newOtp(): string {
    return this.settings.otpFixed ?? this.rng.digits(6);
  }

  newLinkId(): string {
    return this.rng.alphanumeric(24);
  }

  /** An unguessable one-time token for pages and auth codes (not seeded: it guards access). */
  newSecretToken(): string {
    return randomBytes(18).toString('base64url');
  }

  pageUrl(path: string, token: string): string {
    return `${this.publicUrl}${path}?token=${encodeURIComponent(token)}`;
  }

  resetState(): void {
    this.store.reset(this.initialCorporate);
    this.rng = new SeededRandom(this.seed);
  }
}

export function resolveNotification(s: NotificationSettings): Partner['notification'] {
  const delays = s.retryDelaysMs ?? DEFAULT_RETRY_DELAYS;
  if (!Array.isArray(delays) || delays.length === 0 || delays.some((d) => typeof d !== 'number' || d < 0)) {
    throw new Error('notification retryDelaysMs must be a non-empty list of non-negative numbers');
  }
  if (s.baseUrl !== undefined && !/^https?:\/\//.test(s.baseUrl)) throw new Error('notification baseUrl must be http(s)');
  return {
    enabled: s.enabled ?? false,
    baseUrl: s.baseUrl?.replace(/\/+$/, ''),
    path: s.path ?? DEFAULT_NOTIFY_PATH,
    tokenPath: s.tokenPath ?? DEFAULT_PARTNER_TOKEN_PATH,
    signature: s.signature ?? 'symmetric',
    retryDelaysMs: delays,
    timeScale: s.timeScale ?? 1,
    timeoutMs: s.timeoutMs ?? 5000,
  };
}

function publicPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

/** The public keys in a registration's PEM text (one or several blocks, one after the other). */
export function partnerKeys(pems: string, previous: readonly PartnerKey[] = []): PartnerKey[] {
  const blocks = pems.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [pems];
  return blocks.map((pem) => {
    const key = loadPublicKey(pem);
    const fingerprint = keyFingerprint(key);
    // A key registered already keeps its count.
    return previous.find((k) => k.fingerprint === fingerprint) ?? { key, fingerprint, tokenRequests: 0 };
  });
}
