import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppConfig, NodeEnv } from './config.types';
import { DEV_DOKU_CREDENTIALS } from './dev-credentials';
import { FAILPOINT_NAMES } from '../common/failpoints';
import { appReturnUrlProblem } from '../common/pages/app-return-url';
import { limitsConfig } from './limits-config';
import { developmentSigningKey, parseAccessTokenKeys, TEST_ONLY_SIGNING_KEY_PEM } from './signing-keys';

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * The secrets that may also be read from a file: `<NAME>_FILE` holds the path (a Docker secret
 * under /run/secrets, a Kubernetes secret volume), and the file's content is the value.
 */
export const SECRET_VARIABLES = [
  'JWT_SIGNING_KEYS',
  'DATABASE_URL',
  'OPERATOR_BASIC_AUTH',
  'DOKU_CLIENT_SECRET',
  'DOKU_CLIENT_SECRET_PREVIOUS',
  'DOKU_PRIVATE_KEY',
  'DOKU_PUBLIC_KEY',
  'DOKU_AUTH_CODE_KEY',
  'DOKU_TOKEN_ENCRYPTION_KEY',
  'DOKU_CHECKOUT_SECRET_KEY',
] as const;

/** `env` with every `<SECRET>_FILE` read into `<SECRET>`; both set, or an unreadable file, is a problem. */
function withSecretFiles(env: Env, problems: string[]): Env {
  const merged: Env = { ...env };
  for (const name of SECRET_VARIABLES) {
    const path = env[`${name}_FILE`];
    if (path === undefined || path === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set: give one`);
      continue;
    }
    try {
      merged[name] = readFileSync(path, 'utf8').trim();
    } catch (e) {
      // The path is no secret; the reason (ENOENT, EACCES) helps the operator.
      problems.push(`${name}_FILE cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}: ${path})`);
    }
  }
  return merged;
}

/**
 * Reads and validates configuration from environment variables. Every problem is collected and
 * reported at once so an operator can fix the whole environment in one pass. Development and test
 * fall back to throwaway values; production refuses to start without explicit secrets.
 */
export function loadConfig(environment: Env = process.env): AppConfig {
  const problems: string[] = [];
  const env = withSecretFiles(environment, problems);
  const str = (key: string, fallback?: string): string => {
    const v = env[key];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    problems.push(`${key} is required`);
    return '';
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw)) {
      problems.push(`${key} must be a whole number (got "${raw}")`);
      return fallback;
    }
    const n = Number(raw);
    if (n < min || n > max) problems.push(`${key} must be between ${min} and ${max} (got ${n})`);
    return n;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${key} must be true or false (got "${raw}")`);
    return fallback;
  };

  const envName = (env.NODE_ENV ?? 'development') as NodeEnv;
  if (!['development', 'test', 'production'].includes(envName)) {
    problems.push(`NODE_ENV must be development, test or production (got "${envName}")`);
  }
  const prod = envName === 'production';
  // Development and test get throwaway secrets; production must be given real ones.
  const devOnly = <T>(value: T): T | undefined => (prod ? undefined : value);

  const embeddedDataDir = resolve(str('EMBEDDED_PG_DATA_DIR', './.data/postgres'));
  // Access tokens are signed with ES256 (docs/operations.md#rotating-keys). Without
  // JWT_SIGNING_KEYS: production refuses to start; the test suites share one published test-only
  // key; development uses a random key kept beside its data directory, so no two machines (and no
  // one reading this code) can sign tokens for each other's backend.
  const signingKeyText =
    env.JWT_SIGNING_KEYS ||
    (prod ? str('JWT_SIGNING_KEYS') : envName === 'test' ? TEST_ONLY_SIGNING_KEY_PEM : developmentSigningKey(embeddedDataDir));
  const signingKeys =
    prod && !signingKeyText
      ? { keys: [], activeKeyId: '' }
      : parseAccessTokenKeys(signingKeyText, env.JWT_ACTIVE_KEY_ID || undefined, problems);
  const poolSize = int('DATABASE_POOL_SIZE', 20, 1, 500);
  if (prod && !env.DATABASE_URL) problems.push('DATABASE_URL is required in production (the embedded PostgreSQL is for development only)');

  const port = int('PORT', 3000, 1, 65535);
  let pathOverrides: Record<string, string> = {};
  if (env.DOKU_PATH_OVERRIDES) {
    try {
      const parsed: unknown = JSON.parse(env.DOKU_PATH_OVERRIDES);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v !== 'string' || !v.startsWith('/')) throw new Error(`path for ${k} must start with /`);
      }
      pathOverrides = parsed as Record<string, string>;
    } catch (e) {
      problems.push(`DOKU_PATH_OVERRIDES must be a JSON object of endpoint name to path (${(e as Error).message})`);
    }
  }

  let responseCodes: Record<string, Partial<Record<string, string[]>>> = {};
  if (env.DOKU_RESPONSE_CODES) {
    try {
      const parsed: unknown = JSON.parse(env.DOKU_RESPONSE_CODES);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      // Names, outcomes and codes are checked with the endpoint map when the DOKU client is built.
      responseCodes = parsed as Record<string, Partial<Record<string, string[]>>>;
    } catch (e) {
      problems.push(
        `DOKU_RESPONSE_CODES must be a JSON object of endpoint name to {success|pending|failed|unknown: codes} (${(e as Error).message})`,
      );
    }
  }

  const dokuBaseUrl = env.DOKU_BASE_URL || undefined;
  if (dokuBaseUrl && !/^https?:\/\//.test(dokuBaseUrl)) problems.push('DOKU_BASE_URL must be an http(s) URL');
  if (prod && !dokuBaseUrl) problems.push('DOKU_BASE_URL is required in production');

  // The checkout channel is optional: configured with both values, or (outside production) the
  // simulator's throwaway merchant; one without the other is a mistake.
  const checkoutId = env.DOKU_CHECKOUT_CLIENT_ID || devOnly(DEV_DOKU_CREDENTIALS.checkoutClientId);
  const checkoutKey = env.DOKU_CHECKOUT_SECRET_KEY || devOnly(DEV_DOKU_CREDENTIALS.checkoutSecretKey);
  const checkoutPath = str('DOKU_CHECKOUT_NOTIFICATION_PATH', '/v1/callbacks/doku/checkout');
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(checkoutPath)) problems.push('DOKU_CHECKOUT_NOTIFICATION_PATH must be a plain absolute path');
  if (Boolean(checkoutId) !== Boolean(checkoutKey)) problems.push('DOKU_CHECKOUT_CLIENT_ID and DOKU_CHECKOUT_SECRET_KEY go together');
  const dokuCheckout =
    checkoutId && checkoutKey ? { clientId: checkoutId, secretKey: checkoutKey, notificationPath: checkoutPath } : undefined;

  const notificationPath = env.DOKU_NOTIFICATION_PATH;
  if (notificationPath !== undefined && notificationPath !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(notificationPath)) {
    problems.push('DOKU_NOTIFICATION_PATH must be a path starting with /');
  }

  const pem = (key: string, fallback?: string) => str(key, fallback).replace(/\\n/g, '\n');
  const tokenKeys = str('DOKU_TOKEN_ENCRYPTION_KEY', devOnly(DEV_DOKU_CREDENTIALS.tokenEncryptionKey))
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (tokenKeys.some((k) => Buffer.from(k, 'base64').length !== 32)) {
    problems.push('DOKU_TOKEN_ENCRYPTION_KEY must be one or more comma-separated keys of 32 bytes, base64-encoded');
  }

  const allowInsecureTargets = (env.WEBHOOK_ALLOW_INSECURE_TARGETS ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const target of allowInsecureTargets) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/.test(target)) {
      problems.push(`WEBHOOK_ALLOW_INSECURE_TARGETS entries must be host:port (got "${target}")`);
    }
  }
  if (prod && allowInsecureTargets.length)
    problems.push('WEBHOOK_ALLOW_INSECURE_TARGETS is for local tests only and is refused in production');
  const webhookTimeoutMs = int('WEBHOOKS_TIMEOUT_MS', 10_000, 100, 60_000);
  const webhookLeaseSeconds = int('WEBHOOKS_LEASE_SECONDS', 60, 5, 3_600);
  if (webhookLeaseSeconds * 1000 <= webhookTimeoutMs * 2) problems.push('WEBHOOKS_LEASE_SECONDS must exceed twice WEBHOOKS_TIMEOUT_MS');

  const failpoints = (env.FAILPOINTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of failpoints) {
    if (!(FAILPOINT_NAMES as readonly string[]).includes(name))
      problems.push(`FAILPOINTS: unknown failpoint "${name}" (known: ${FAILPOINT_NAMES.join(', ')})`);
  }
  if (prod && failpoints.length) problems.push('FAILPOINTS is for crash tests only and is refused in production');

  const simulatorPort = int('SIMULATOR_PORT', 4010, 1, 65535);
  const simulatorHost = str('SIMULATOR_HOST', '127.0.0.1');
  const simulatorPublicUrl = env.SIMULATOR_PUBLIC_URL ? env.SIMULATOR_PUBLIC_URL.replace(/\/+$/, '') : undefined;
  if (simulatorPublicUrl && !/^https?:\/\/[^/]+/.test(simulatorPublicUrl)) {
    problems.push('SIMULATOR_PUBLIC_URL must be an http(s) URL as browsers reach the simulator, e.g. http://localhost:4010');
  }

  const config: AppConfig = {
    app: {
      env: envName,
      port,
      // Outside production only this machine can reach the app unless HOST says otherwise: its
      // development credentials are public.
      host: str('HOST', prod ? '0.0.0.0' : '127.0.0.1'),
      trustProxy: trustedProxies(env.TRUST_PROXY, problems),
      publicBaseUrl: str('PUBLIC_BASE_URL', `http://127.0.0.1:${port}`).replace(/\/$/, ''),
      appReturnUrl: appReturnUrl(env.APP_RETURN_URL, problems),
      corsOrigins: (env.CORS_ORIGINS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      bodyLimitBytes: int('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
      logLevel: str('LOG_LEVEL', envName === 'test' ? 'silent' : 'info'),
      runMigrationsOnStart: bool('MIGRATIONS_RUN_ON_START', true),
      rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      rateLimitSensitivePerMinute: int('RATE_LIMIT_SENSITIVE_PER_MINUTE', 10, 1, 1_000_000),
      otpSendLimit: int('OTP_SEND_LIMIT', 5, 1, 1_000),
      otpSendWindowSeconds: int('OTP_SEND_WINDOW_SECONDS', 3_600, 1, 86_400),
      failpoints,
      operator: operatorAccess(env, prod, problems),
      makerCheckerRefundThreshold: int('MAKER_CHECKER_REFUND_THRESHOLD', 1_000_000, 0, 1_000_000_000_000),
    },
    auth: {
      signingKeys: signingKeys.keys,
      activeKeyId: signingKeys.activeKeyId,
      jwtIssuer: str('JWT_ISSUER', 'doku-wallet-partner'),
      jwtAudience: str('JWT_AUDIENCE', 'doku-wallet-partner-api'),
      lockout: {
        threshold: int('LOGIN_LOCKOUT_THRESHOLD', 5, 1, 1_000),
        baseSeconds: int('LOGIN_LOCKOUT_SECONDS', 60, 1, 86_400),
        maxSeconds: int('LOGIN_LOCKOUT_MAX_SECONDS', 3_600, 1, 7 * 86_400),
      },
      accessTokenTtlSeconds: int('ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86_400),
      principalCacheSeconds: int('PRINCIPAL_CACHE_SECONDS', 30, 0, 3_600),
      refreshTokenTtlSeconds: int('REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400, 300, 365 * 86_400),
      serviceTokenTtlSeconds: int('SERVICE_TOKEN_TTL_SECONDS', 900, 30, 86_400),
    },
    database: {
      url: env.DATABASE_URL || undefined,
      embedded: {
        dataDir: embeddedDataDir,
        port: int('EMBEDDED_PG_PORT', 54329, 1024, 65535),
      },
      poolSize,
      // Production keeps its pools full; development and the tests start many short-lived apps
      // against one server (its 100 connections ran out when every test app kept its pool full).
      poolMin: int('DATABASE_POOL_MIN', prod ? poolSize : 0, 0, poolSize),
      statementTimeoutMs: int('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
      idleInTransactionTimeoutMs: int('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 0, 3_600_000),
      sharedStallMs: int('DATABASE_SHARED_STALL_MS', 20, 1, 60_000),
      logQueries: bool('DATABASE_LOG_QUERIES', false),
    },
    doku: {
      baseUrl: dokuBaseUrl,
      clientId: str('DOKU_CLIENT_ID', devOnly(DEV_DOKU_CREDENTIALS.clientId)),
      clientSecret: str('DOKU_CLIENT_SECRET', devOnly(DEV_DOKU_CREDENTIALS.clientSecret)),
      privateKeyPem: pem('DOKU_PRIVATE_KEY', devOnly(DEV_DOKU_CREDENTIALS.partnerPrivateKeyPem)),
      previousClientSecret: env.DOKU_CLIENT_SECRET_PREVIOUS || undefined,
      dokuPublicKeyPems: pemBlocks('DOKU_PUBLIC_KEY', pem('DOKU_PUBLIC_KEY', devOnly(DEV_DOKU_CREDENTIALS.dokuPublicKeyPem)), problems),
      authCodeKey: str('DOKU_AUTH_CODE_KEY', devOnly(DEV_DOKU_CREDENTIALS.authCodeKey)),
      tokenEncryptionKeys: tokenKeys,
      tokenReencryptionIntervalMs: int('DOKU_TOKEN_REENCRYPTION_INTERVAL_MS', envName === 'test' ? 0 : 60_000, 0, 86_400_000),
      timeoutMs: int('DOKU_TIMEOUT_MS', 15_000, 100, 120_000),
      connectTimeoutMs: int('DOKU_CONNECT_TIMEOUT_MS', 5_000, 100, 60_000),
      maxResponseBytes: int('DOKU_MAX_RESPONSE_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
      poolConnections: int('DOKU_POOL_CONNECTIONS', 64, 1, 1024),
      pathOverrides,
      responseCodes,
      notificationPath: str('DOKU_NOTIFICATION_PATH', '/v1.0/debit/notify'),
      notificationTokenTtlSeconds: int('DOKU_NOTIFICATION_TOKEN_TTL_SECONDS', 900, 30, 86_400),
      transactionMaxAmount: int('DOKU_TRANSACTION_MAX_AMOUNT', 10_000_000, 1, Number.MAX_SAFE_INTEGER),
      checkout: dokuCheckout,
      purchaseValiditySeconds: int('PURCHASE_VALIDITY_SECONDS', 900, 5, 86_400),
    },
    simulator: {
      port: simulatorPort,
      host: simulatorHost,
      url: `http://${loopbackForWildcard(simulatorHost)}:${simulatorPort}`,
      publicUrl: simulatorPublicUrl,
      autoStart: bool('SIMULATOR_AUTOSTART', !prod && !dokuBaseUrl),
      controlApiEnabled: bool('SIMULATOR_CONTROL_API', !prod),
    },
    reconciliation: {
      enabled: bool('RECONCILER_ENABLED', envName !== 'test'),
      intervalMs: int('RECONCILER_INTERVAL_MS', 1_000, 50, 3_600_000),
      batchSize: int('RECONCILER_BATCH_SIZE', 20, 1, 1_000),
      leaseSeconds: int('RECONCILER_LEASE_SECONDS', 60, 5, 3_600),
      notFoundGraceMs: env.RECONCILER_NOT_FOUND_GRACE_MS ? int('RECONCILER_NOT_FOUND_GRACE_MS', 60_000, 1_000, 86_400_000) : undefined,
      scheduleSeconds: recheckSchedule(env.RECONCILER_SCHEDULE_SECONDS, problems),
      statusQueryIntervalMs: int('STATUS_QUERY_MIN_INTERVAL_MS', 5_000, 100, 3_600_000),
    },
    notifications: {
      processingConcurrency: int('NOTIFICATION_PROCESSING_CONCURRENCY', 4, 1, 256),
      queueLimit: int('NOTIFICATION_QUEUE_LIMIT', 1_000, 0, 1_000_000),
      sweepIntervalMs: int('NOTIFICATION_SWEEP_INTERVAL_MS', 5_000, 50, 3_600_000),
      leaseSeconds: int('NOTIFICATION_LEASE_SECONDS', 60, 1, 3_600),
      maxAttempts: int('NOTIFICATION_MAX_ATTEMPTS', 10, 1, 1_000),
    },
    webhooks: {
      enabled: bool('WEBHOOKS_ENABLED', envName !== 'test'),
      intervalMs: int('WEBHOOKS_INTERVAL_MS', 1_000, 50, 3_600_000),
      batchSize: int('WEBHOOKS_BATCH_SIZE', 20, 1, 1_000),
      leaseSeconds: webhookLeaseSeconds,
      timeoutMs: webhookTimeoutMs,
      allowInsecureTargets,
    },
    privacy: {
      retentionEnabled: bool('RETENTION_ENABLED', envName !== 'test'),
      retentionIntervalMs: int('RETENTION_INTERVAL_MS', 3_600_000, 1_000, 86_400_000),
      retentionBatchSize: int('RETENTION_BATCH_SIZE', 500, 1, 10_000),
      dokuExchangeRetentionDays: int('DOKU_EXCHANGE_RETENTION_DAYS', 180, 1, 3_650),
      dokuNotificationRetentionDays: int('DOKU_NOTIFICATION_RETENTION_DAYS', 180, 1, 3_650),
    },
    limits: limitsConfig(env, problems),
  };
  const grace = config.reconciliation.notFoundGraceMs;
  if (grace !== undefined && grace <= config.doku.timeoutMs) problems.push('RECONCILER_NOT_FOUND_GRACE_MS must exceed DOKU_TIMEOUT_MS');
  // The fleet's one B2B token request to DOKU runs inside a transaction holding its lock (docs/doku-integration.md#b2b-token).
  const idle = config.database.idleInTransactionTimeoutMs;
  if (idle > 0 && idle <= config.doku.timeoutMs) {
    problems.push(
      'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS must exceed DOKU_TIMEOUT_MS (the DOKU token request runs inside a transaction), or be 0',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** A variable holding one or more PEM blocks, one after the other (a key and, during a rotation, the next). */
function pemBlocks(key: string, text: string, problems: string[]): string[] {
  if (!text) return [];
  const blocks = text.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  if (!blocks.length) problems.push(`${key} must hold one or more PEM keys`);
  return blocks.map((b) => `${b}\n`);
}

/** `APP_RETURN_URL`: unset, or a link our pages may lead the customer to (appReturnUrlProblem). */
function appReturnUrl(value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined || value === '') return undefined;
  const problem = appReturnUrlProblem(value);
  if (problem) problems.push(`APP_RETURN_URL ${problem}`);
  return value;
}

/** A host to connect to: listening on every interface (0.0.0.0, ::) is reached on the loopback address. */
function loopbackForWildcard(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `RECONCILER_SCHEDULE_SECONDS`: a comma-separated list of 1 to 50 whole seconds, each 1 to 7 days at most. */
function recheckSchedule(value: string | undefined, problems: string[]): number[] | undefined {
  if (value === undefined || value === '') return undefined;
  const steps = value.split(',').map((v) => v.trim());
  if (steps.length > 50 || !steps.every((v) => /^[0-9]{1,6}$/.test(v) && Number(v) >= 1 && Number(v) <= 604_800)) {
    problems.push('RECONCILER_SCHEDULE_SECONDS must be a comma-separated list of 1 to 50 whole seconds between 1 and 604800');
    return undefined;
  }
  return steps.map(Number);
}

/**
 * `TRUST_PROXY`: the addresses or CIDR ranges of the reverse proxies in front of the app, whose
 * X-Forwarded-For is believed (client address, rate limits). Empty (the default): nobody's, so a
 * client cannot pick its own address by sending the header.
 */
function trustedProxies(value: string | undefined, problems: string[]): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
  const ipv6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*(\/(12[0-8]|1[01]\d|[1-9]?\d))?$/;
  const bad = entries.filter((e) => !ipv4.test(e) && !ipv6.test(e));
  if (bad.length) problems.push(`TRUST_PROXY must list proxy addresses or CIDR ranges, comma-separated (not "${bad.join('", "')}")`);
  return entries;
}

/**
 * `DOCS_ACCESS` and `METRICS_ACCESS`: `public`, `basic` (with `OPERATOR_BASIC_AUTH=user:password`)
 * or `off`; metrics may also be `port` (served only on `METRICS_HOST:METRICS_PORT`, a listener the
 * load balancer does not expose). Production defaults to `off` for both: the API description and
 * the metrics are for the partner's operators, not the internet.
 */
function operatorAccess(env: Env, prod: boolean, problems: string[]): AppConfig['app']['operator'] {
  const mode = <T extends string>(key: string, allowed: readonly T[]): T => {
    const raw = (env[key] ?? '').trim().toLowerCase();
    if (!raw) return (prod ? 'off' : 'public') as T;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${key} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return 'off' as T;
  };
  const docs = mode('DOCS_ACCESS', ['public', 'basic', 'off'] as const);
  const metrics = mode('METRICS_ACCESS', ['public', 'basic', 'off', 'port'] as const);
  let basicAuth: { user: string; password: string } | undefined;
  const raw = env.OPERATOR_BASIC_AUTH;
  if (raw) {
    const at = raw.indexOf(':');
    if (at < 1 || raw.length - at - 1 < 16)
      problems.push('OPERATOR_BASIC_AUTH must be user:password with a password of at least 16 characters');
    else basicAuth = { user: raw.slice(0, at), password: raw.slice(at + 1) };
  } else if (docs === 'basic' || metrics === 'basic') {
    problems.push('OPERATOR_BASIC_AUTH is required when DOCS_ACCESS or METRICS_ACCESS is basic');
  }
  const portRaw = env.METRICS_PORT ?? '';
  const metricsPort = portRaw === '' ? 9464 : Number(portRaw);
  // 0: any free port (tests).
  if (!/^\d{0,5}$/.test(portRaw) || metricsPort > 65535) problems.push(`METRICS_PORT must be a port number (got "${portRaw}")`);
  return { docs, metrics, basicAuth, metricsPort, metricsHost: env.METRICS_HOST || '127.0.0.1' };
}
