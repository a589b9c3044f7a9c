export type NodeEnv = 'development' | 'test' | 'production';

export interface AppSection {
  env: NodeEnv;
  port: number;
  host: string;
  /** Reverse proxies whose X-Forwarded-For is believed; empty: none. */
  trustProxy: string[];
  /** Public base URL of this backend, used to build the callback URLs DOKU redirects to. */
  publicBaseUrl: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  logLevel: string;
  runMigrationsOnStart: boolean;
  /** Requests per minute per client on ordinary routes, and on login/register/OTP-like routes. */
  rateLimitPerMinute: number;
  rateLimitSensitivePerMinute: number;
  /**
   * OTPs a user, and a phone number, may have DOKU send per purpose (registration, binding,
   * unbinding) within the window (RELIABILITY.md R10); more are refused with 429 before DOKU is called.
   */
  otpSendLimit: number;
  otpSendWindowSeconds: number;
  /**
   * Crash tests only (RELIABILITY.md R3): names of failpoints at which this process kills itself
   * (src/common/failpoints.ts). Always empty in production.
   */
  failpoints: string[];
}

export interface AuthSection {
  jwtSecret: string;
  jwtIssuer: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  serviceTokenTtlSeconds: number;
}

export interface DatabaseSection {
  /** Set when an external PostgreSQL is used; otherwise an embedded server is started. */
  url?: string;
  embedded: { dataDir: string; port: number };
  poolSize: number;
  logQueries: boolean;
}

export interface DokuSection {
  /** Unset in development: the simulator is started alongside the backend and used instead. */
  baseUrl?: string;
  clientId: string;
  clientSecret: string;
  privateKeyPem: string;
  dokuPublicKeyPem: string;
  authCodeKey: string;
  /** AES-256-GCM key (base64, 32 bytes) encrypting customer tokens at rest. */
  tokenEncryptionKey: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  poolConnections: number;
  /** Endpoint-path overrides, JSON object of endpoint name to path. */
  pathOverrides: Record<string, string>;
  /** Meanings of exact response codes per endpoint, added to the defaults: `{"refundPurchase":{"success":["2000700"]}}`. */
  responseCodes: Record<string, Partial<Record<string, string[]>>>;
  /** Our path DOKU posts notifications to (§2.8), default `/v1.0/debit/notify`; also the path DOKU signs. */
  notificationPath: string;
  /** Lifetime of the token we issue to DOKU for notifications (§2.8 step 1), seconds. */
  notificationTokenTtlSeconds: number;
  /** Largest purchase, transfer or top-up amount we send (integer rupiah; DOKU's per-transaction limit). */
  transactionMaxAmount: number;
}

export interface SimulatorSection {
  port: number;
  host: string;
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

/** Processing of DOKU's notifications after they are stored and acknowledged (§2.8). */
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

export interface AppConfig {
  app: AppSection;
  auth: AuthSection;
  database: DatabaseSection;
  doku: DokuSection;
  simulator: SimulatorSection;
  reconciliation: ReconciliationSection;
  notifications: NotificationsSection;
  webhooks: WebhooksSection;
}

/** Names of configuration values that are secrets: never logged, never echoed. */
export const SECRET_ENV_KEYS = [
  'JWT_SECRET',
  'DATABASE_URL',
  'DOKU_CLIENT_SECRET',
  'DOKU_PRIVATE_KEY',
  'DOKU_AUTH_CODE_KEY',
  'DOKU_TOKEN_ENCRYPTION_KEY',
] as const;
