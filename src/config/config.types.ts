import type { AccessTokenKey } from './signing-keys';
import type { LimitsSection } from './limits-config';

export type NodeEnv = 'development' | 'test' | 'production';

export interface AppSection {
  operator: OperatorSection;
  env: NodeEnv;
  port: number;
  host: string;
  /** Reverse proxies whose X-Forwarded-For is believed; empty: none. */
  trustProxy: string[];
  /** Public base URL of this backend, used to build the callback URLs DOKU redirects to. */
  publicBaseUrl: string;
  /**
   * APP_RETURN_URL: the partner app's return link (deep link or universal link) that the customer
   * pages lead back to, with the outcome in its query (docs/customer-pages.md#back-to-the-app). A
   * service client may have its own. Unset: the pages show no way back.
   */
  appReturnUrl?: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  logLevel: string;
  runMigrationsOnStart: boolean;
  /** Requests per minute per client on ordinary routes, and on login/register/OTP-like routes. */
  rateLimitPerMinute: number;
  rateLimitSensitivePerMinute: number;
  /**
   * OTPs a user, and a phone number, may have DOKU send per purpose (registration, binding,
   * unbinding) within the window (docs/reliability.md, R10); more are refused with 429 before DOKU is called.
   */
  otpSendLimit: number;
  otpSendWindowSeconds: number;
  /**
   * Crash tests only (docs/reliability.md, R3): names of failpoints at which this process kills itself
   * (src/common/failpoints.ts). Always empty in production.
   */
  failpoints: string[];
  /**
   * MAKER_CHECKER_REFUND_THRESHOLD: a back-office refund of more than this many rupiah is only
   * requested by one person and carried out when another approves it (docs/back-office.md#maker-checker).
   */
  makerCheckerRefundThreshold: number;
}

/** Who may read /docs and /metrics: anyone, operators with basic auth, nobody; metrics also on a port of their own. */
export type OperatorAccess = 'public' | 'basic' | 'off';
export interface OperatorSection {
  docs: OperatorAccess;
  metrics: OperatorAccess | 'port';
  /** For `basic`: the operator's user name and password. */
  basicAuth?: { user: string; password: string };
  /** For metrics `port`: where the metrics-only listener binds. */
  metricsPort: number;
  metricsHost: string;
}

export interface AuthSection {
  /**
   * The access-token key ring (JWT_SIGNING_KEYS): every key verifies tokens carrying its `kid`
   * and is published at /.well-known/jwks.json; `activeKeyId` signs new tokens.
   */
  signingKeys: AccessTokenKey[];
  activeKeyId: string;
  jwtIssuer: string;
  /** The `aud` every access token carries and must carry to be accepted. */
  jwtAudience: string;
  /** Per-account sign-in lockout (LoginLockoutService). */
  lockout: { threshold: number; baseSeconds: number; maxSeconds: number };
  accessTokenTtlSeconds: number;
  /** How long an instance trusts a checked principal without a change notice (PrincipalCache); 0: never. */
  principalCacheSeconds: number;
  refreshTokenTtlSeconds: number;
  serviceTokenTtlSeconds: number;
}

export interface DatabaseSection {
  /** Set when an external PostgreSQL is used; otherwise an embedded server is started. */
  url?: string;
  embedded: { dataDir: string; port: number };
  poolSize: number;
  /**
   * Connections kept open while idle (at most poolSize; default poolSize in production, 0 otherwise).
   * A connection opened again after an idle spell costs PostgreSQL a new backend process and its
   * catalog reads, and us the statements prepared on the old one: a burst after a quiet spell
   * waited on those.
   */
  poolMin: number;
  /**
   * PostgreSQL cancels a statement of ours that runs longer (ms; 0: never). Our statements take
   * milliseconds; one that waits this long (a lock held by a stuck session, a runaway plan) is
   * answered 503 with Retry-After instead of holding its connection and its request forever.
   * Migrations run without it.
   */
  statementTimeoutMs: number;
  /** PostgreSQL ends a session of ours left idle inside a transaction this long (ms; 0: never), releasing its locks. */
  idleInTransactionTimeoutMs: number;
  /**
   * How long a purchase's commit statement in flight holds the next one back (ms): the purchases
   * behind it wait to share the next statement, but once one takes longer than this (a lock wait)
   * they go on without it (docs/performance.md, twenty-fourth round).
   */
  sharedStallMs: number;
  logQueries: boolean;
}

export interface DokuSection {
  /** Unset in development: the simulator is started alongside the backend and used instead. */
  baseUrl?: string;
  clientId: string;
  clientSecret: string;
  /**
   * DOKU_CLIENT_SECRET_PREVIOUS: during a client-secret rotation, the secret being replaced; DOKU's
   * notifications signed with it are still accepted. Our requests are signed with `clientSecret` only.
   */
  previousClientSecret?: string;
  privateKeyPem: string;
  /** DOKU_PUBLIC_KEY: DOKU's public key, or several during a rotation; a signature verified by any of them is DOKU's. */
  dokuPublicKeyPems: string[];
  authCodeKey: string;
  /**
   * AES-256-GCM keys (base64, 32 bytes each) encrypting customer tokens and webhook secrets at rest
   * (DOKU_TOKEN_ENCRYPTION_KEY, comma-separated): the first encrypts, every one decrypts; values
   * under another key are re-encrypted in the background (docs/operations.md#rotating-keys).
   */
  tokenEncryptionKeys: string[];
  /** How often an instance re-encrypts stored customer tokens sealed under an older key (a batch each time); 0: never. */
  tokenReencryptionIntervalMs: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  poolConnections: number;
  /** Endpoint-path overrides, JSON object of endpoint name to path. */
  pathOverrides: Record<string, string>;
  /** Meanings of exact response codes per endpoint, added to the defaults: `{"refundPurchase":{"success":["2000700"]}}`. */
  responseCodes: Record<string, Partial<Record<string, string[]>>>;
  /**
   * Our path DOKU posts notifications to, default `/v1.0/debit/notify`; also the path DOKU signs
   * (docs/doku-integration.md#notifications).
   */
  notificationPath: string;
  /** Lifetime of the token we issue to DOKU for notifications (the token handshake), seconds. */
  notificationTokenTtlSeconds: number;
  /** Largest purchase, transfer or top-up amount we send (integer rupiah; DOKU's per-transaction limit). */
  transactionMaxAmount: number;
  /**
   * The non-SNAP DOKU e-Wallet checkout's merchant (docs/channels.md#doku-e-wallet-checkout): its
   * Client-Id, the secret key that signs our requests and checks DOKU's answers and notifications,
   * and our notification route's path (the path DOKU signs). Absent when not configured.
   */
  checkout?: { clientId: string; secretKey: string; notificationPath: string };
  /**
   * PURCHASE_VALIDITY_SECONDS: how long DOKU's PIN page takes a purchase (`validUpTo`, 15 minutes);
   * an abandoned purchase expires then (docs/customer-pages.md#expiry).
   */
  purchaseValiditySeconds: number;
}

export interface SimulatorSection {
  port: number;
  /** Where the started simulator listens (SIMULATOR_HOST); 0.0.0.0 in a container. */
  host: string;
  /** How this backend calls the simulator it starts: `host`, with a wildcard host as 127.0.0.1. */
  url: string;
  /**
   * SIMULATOR_PUBLIC_URL: the simulator as a phone or browser reaches it (e.g. `http://localhost:4010`
   * through a container's port mapping), the base of the page links it hands out and we pass on.
   * Unset: the same as `url`.
   */
  publicUrl?: string;
  /** Start the simulator with the backend when no DOKU base URL is configured (development). */
  autoStart: boolean;
  controlApiEnabled: boolean;
}

export interface ReconciliationSection {
  /** Run the worker that resolves PENDING/UNKNOWN transactions in this instance. */
  enabled: boolean;
  intervalMs: number;
  batchSize: number;
  /** How long a claimed transaction is held by one instance before another may take it. */
  leaseSeconds: number;
  /**
   * How long DOKU may not know an operation we sent before "not found" counts (docs/money-rules.md),
   * ms. Unset: each operation's own default (purchases, refunds and cancels 120 s; transfers and
   * top-ups 60 s). Always longer than the DOKU timeout: DOKU may still apply a request we stopped
   * waiting for.
   */
  notFoundGraceMs?: number;
  /**
   * Seconds between the checks of an unresolved transaction, one per check; past the last one it is
   * flagged for the back office. Unset: the production schedule (reconciliation.schedule.ts).
   */
  scheduleSeconds?: number[];
  /**
   * STATUS_QUERY_MIN_INTERVAL_MS: a customer's poll of a pending purchase (its status route, the PIN
   * page's return) asks DOKU at most once per this interval per purchase, whatever the number of
   * polls and instances; in between it reads our record. Notifications and the reconciler's
   * schedule ask regardless.
   */
  statusQueryIntervalMs: number;
}

export interface WebhooksSection {
  /** Run the worker that fans outbox events out to webhook subscriptions and delivers them. */
  enabled: boolean;
  intervalMs: number;
  batchSize: number;
  /** How long a claimed delivery is held by one instance before another may take it. */
  leaseSeconds: number;
  /** Whole-request timeout of one delivery attempt. */
  timeoutMs: number;
  /**
   * `host:port` targets exempt from the SSRF rules (http allowed, loopback allowed): local test
   * receivers only; refused in production.
   */
  allowInsecureTargets: string[];
}

/** Processing of DOKU's notifications after they are stored and acknowledged (docs/doku-integration.md#notifications). */
export interface NotificationsSection {
  /** Notifications processed at once by one instance. */
  processingConcurrency: number;
  /**
   * Notifications one instance keeps waiting in memory; beyond it they are only stored, and the
   * sweep picks them up. 0 leaves every notification to the sweep.
   */
  queueLimit: number;
  /** How often an instance looks for stored notifications nobody is processing. */
  sweepIntervalMs: number;
  /** How long an instance holds a notification it took before another may take it. */
  leaseSeconds: number;
  /** Processing attempts (each a lease apart) before a notification is left to the reconciler. */
  maxAttempts: number;
}

/** Data-subject rights and retention (docs/privacy.md). */
export interface PrivacySection {
  /** Run the retention job in this instance (one instance works at a time, under an advisory lock). */
  retentionEnabled: boolean;
  retentionIntervalMs: number;
  /** Rows deleted per statement; a run deletes batch after batch until nothing is due. */
  retentionBatchSize: number;
  /** Days a DOKU exchange record (doku_exchanges) is kept; those of unresolved money are kept regardless. */
  dokuExchangeRetentionDays: number;
  /** Days a processed DOKU notification (doku_notifications) is kept. */
  dokuNotificationRetentionDays: number;
}

export interface AppConfig {
  app: AppSection;
  auth: AuthSection;
  database: DatabaseSection;
  doku: DokuSection;
  simulator: SimulatorSection;
  reconciliation: ReconciliationSection;
  notifications: NotificationsSection;
  webhooks: WebhooksSection;
  privacy: PrivacySection;
  /** E-money limits (docs/limits.md). */
  limits: LimitsSection;
}
