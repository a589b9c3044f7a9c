import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_DOKU_CREDENTIALS } from './dev-credentials';
import { ConfigError, loadConfig } from './load-config';
import { newAccessTokenKey, TEST_ONLY_SIGNING_KEY_PEM } from './signing-keys';

// Development keeps its random signing key beside the data directory: keep it out of the checkout.
const DEV = { EMBEDDED_PG_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'config-spec-')), 'postgres') };

/** A complete production environment (the development DOKU credentials stand in for real ones). */
function productionEnv(): Record<string, string> {
  const c = DEV_DOKU_CREDENTIALS;
  return {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://wallet@db/wallet',
    JWT_SIGNING_KEYS: newAccessTokenKey().privateKeyPem,
    DOKU_BASE_URL: 'https://api-sandbox.doku.com',
    DOKU_CLIENT_ID: c.clientId,
    DOKU_CLIENT_SECRET: c.clientSecret,
    DOKU_PRIVATE_KEY: c.partnerPrivateKeyPem,
    DOKU_PUBLIC_KEY: c.dokuPublicKeyPem,
    DOKU_AUTH_CODE_KEY: c.authCodeKey,
    DOKU_TOKEN_ENCRYPTION_KEY: c.tokenEncryptionKey,
  };
}

describe(loadConfig.name, () => {
  it('gives development a random ES256 signing key per data directory, kept for restarts and readable by its owner only', () => {
    const first = loadConfig(DEV).auth;
    expect(first.signingKeys).toHaveLength(1);
    expect(first.activeKeyId).toBe(first.signingKeys[0].kid);
    expect(first.signingKeys[0].privateKeyPem).not.toBe(TEST_ONLY_SIGNING_KEY_PEM);
    expect(loadConfig(DEV).auth.activeKeyId).toBe(first.activeKeyId);
    const file = `${DEV.EMBEDDED_PG_DATA_DIR}.jwt-signing-key.pem`;
    expect(readFileSync(file, 'utf8')).toBe(first.signingKeys[0].privateKeyPem);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const other = join(mkdtempSync(join(tmpdir(), 'config-spec-')), 'postgres');
    expect(loadConfig({ EMBEDDED_PG_DATA_DIR: other }).auth.activeKeyId).not.toBe(first.activeKeyId);
    const given = newAccessTokenKey();
    expect(loadConfig({ ...DEV, JWT_SIGNING_KEYS: given.privateKeyPem }).auth.activeKeyId).toBe(given.kid);
  });

  it('reads several signing keys: the first private key signs unless JWT_ACTIVE_KEY_ID names another; public keys only verify', () => {
    const [a, b] = [newAccessTokenKey(), newAccessTokenKey()];
    const bPublic = createPublicKey(b.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    const both = `${a.privateKeyPem}${b.privateKeyPem}`;
    expect(loadConfig({ ...DEV, JWT_SIGNING_KEYS: both }).auth.activeKeyId).toBe(a.kid);
    const switched = loadConfig({ ...DEV, JWT_SIGNING_KEYS: both, JWT_ACTIVE_KEY_ID: b.kid }).auth;
    expect(switched.activeKeyId).toBe(b.kid);
    expect(switched.signingKeys.map((k) => k.kid)).toEqual([a.kid, b.kid]);
    // One line with \n escapes, as an environment variable often holds it.
    const escaped = `${bPublic}${a.privateKeyPem}`.replace(/\n/g, '\\n');
    const verifyOnly = loadConfig({ ...DEV, JWT_SIGNING_KEYS: escaped }).auth;
    expect(verifyOnly.activeKeyId).toBe(a.kid);
    expect(verifyOnly.signingKeys.find((k) => k.kid === b.kid)?.privateKeyPem).toBeUndefined();
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...DEV, ...env });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ JWT_SIGNING_KEYS: bPublic })).toEqual(['JWT_SIGNING_KEYS must hold at least one private key to sign with']);
    expect(problems({ JWT_SIGNING_KEYS: `${a.privateKeyPem}${bPublic}`, JWT_ACTIVE_KEY_ID: b.kid })).toEqual([
      `JWT_ACTIVE_KEY_ID "${b.kid}" is not a private key of JWT_SIGNING_KEYS (its keys: ${a.kid}, ${b.kid})`,
    ]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(problems({ JWT_SIGNING_KEYS: `${a.privateKeyPem}${rsa}` })).toEqual([
      'JWT_SIGNING_KEYS: key 2 cannot be used (not an ECDSA P-256 key)',
    ]);
    expect(problems({ JWT_SIGNING_KEYS: 'a shared secret of old' })).toEqual([
      'JWT_SIGNING_KEYS must hold one or more PEM keys (ECDSA P-256)',
    ]);
  });

  it('reads secrets from files (<NAME>_FILE, as Docker and Kubernetes mount them); never both forms', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-secrets-'));
    const key = newAccessTokenKey();
    writeFileSync(join(dir, 'jwt'), key.privateKeyPem);
    writeFileSync(join(dir, 'doku-secret'), 'a-client-secret-from-a-file\n');
    const config = loadConfig({ ...DEV, JWT_SIGNING_KEYS_FILE: join(dir, 'jwt'), DOKU_CLIENT_SECRET_FILE: join(dir, 'doku-secret') });
    expect(config.auth.activeKeyId).toBe(key.kid);
    expect(config.doku.clientSecret).toBe('a-client-secret-from-a-file');
    let problems: string[] = [];
    try {
      loadConfig({
        ...DEV,
        DOKU_CLIENT_SECRET: 'inline',
        DOKU_CLIENT_SECRET_FILE: join(dir, 'doku-secret'),
        DOKU_PRIVATE_KEY_FILE: join(dir, 'none'),
      });
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual([
      'DOKU_CLIENT_SECRET and DOKU_CLIENT_SECRET_FILE are both set: give one',
      `DOKU_PRIVATE_KEY_FILE cannot be read (ENOENT: ${join(dir, 'none')})`,
    ]);
  });

  it('refuses production without an external database: the embedded PostgreSQL is for development', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required in production/);
  });

  it('starts with no environment at all in development, on throwaway credentials', () => {
    const config = loadConfig(DEV);
    expect(config.app.env).toBe('development');
    expect(config.app.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.simulator.autoStart).toBe(true);
    expect(config.doku.privateKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('refuses to start in production without explicit secrets, naming each missing one', () => {
    let error: unknown;
    try {
      loadConfig({ ...DEV, NODE_ENV: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of [
      'JWT_SIGNING_KEYS',
      'DATABASE_URL',
      'DOKU_BASE_URL',
      'DOKU_CLIENT_ID',
      'DOKU_CLIENT_SECRET',
      'DOKU_PRIVATE_KEY',
      'DOKU_TOKEN_ENCRYPTION_KEY',
    ]) {
      expect(problems).toContain(key);
    }
  });

  it('reports every malformed value at once with a clear message', () => {
    let problems: string[] = [];
    try {
      loadConfig({
        ...DEV,
        PORT: 'abc',
        JWT_SIGNING_KEYS: 'short',
        MIGRATIONS_RUN_ON_START: 'maybe',
        DOKU_PATH_OVERRIDES: '{"purchase":"no-slash"}',
      });
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems.sort()).toEqual([
      'DOKU_PATH_OVERRIDES must be a JSON object of endpoint name to path (path for purchase must start with /)',
      'JWT_SIGNING_KEYS must hold one or more PEM keys (ECDSA P-256)',
      'MIGRATIONS_RUN_ON_START must be true or false (got "maybe")',
      'PORT must be a whole number (got "abc")',
    ]);
  });

  it('sets PostgreSQL statement and idle-in-transaction timeouts on the connections by default, 0 for never', () => {
    expect(loadConfig({ ...DEV }).database).toMatchObject({ statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000 });
    expect(
      loadConfig({ ...DEV, DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '20000' }).database,
    ).toMatchObject({ statementTimeoutMs: 0, idleInTransactionTimeoutMs: 20_000 });
    // DOKU's token request waits inside a transaction: the idle timeout must outlast DOKU's.
    expect(() => loadConfig({ ...DEV, DOKU_TIMEOUT_MS: '15000', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '15000' })).toThrow(
      'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS must exceed DOKU_TIMEOUT_MS (the DOKU token request runs inside a transaction), or be 0',
    );
    expect(
      loadConfig({ ...DEV, DOKU_TIMEOUT_MS: '15000', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0' }).database.idleInTransactionTimeoutMs,
    ).toBe(0);
    expect(() => loadConfig({ ...DEV, DATABASE_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(
      'DATABASE_STATEMENT_TIMEOUT_MS must be between 0 and 3600000 (got -1)',
    );
  });

  it('keeps every pooled database connection open while idle in production unless DATABASE_POOL_MIN says fewer, never more than the pool', () => {
    const prod = { ...productionEnv(), DATABASE_POOL_SIZE: '8' };
    expect(loadConfig(prod).database).toMatchObject({ poolSize: 8, poolMin: 8 });
    expect(loadConfig({ ...prod, DATABASE_POOL_MIN: '2' }).database).toMatchObject({ poolSize: 8, poolMin: 2 });
    // Development and the tests start many apps against one server: no minimum unless asked.
    expect(loadConfig({ ...DEV }).database).toMatchObject({ poolSize: 20, poolMin: 0 });
    expect(loadConfig({ ...DEV, DATABASE_POOL_MIN: '20' }).database).toMatchObject({ poolSize: 20, poolMin: 20 });
    expect(() => loadConfig({ ...DEV, DATABASE_POOL_SIZE: '8', DATABASE_POOL_MIN: '9' })).toThrow(
      'DATABASE_POOL_MIN must be between 0 and 8 (got 9)',
    );
  });

  it('does not start the simulator when a DOKU base URL is configured', () => {
    expect(loadConfig({ ...DEV, DOKU_BASE_URL: 'https://api-sandbox.doku.com' }).simulator.autoStart).toBe(false);
  });

  it('calls a simulator listening on 0.0.0.0 on 127.0.0.1, and keeps the public URL its links name apart', () => {
    expect(loadConfig({}).simulator).toMatchObject({ host: '127.0.0.1', url: 'http://127.0.0.1:4010', publicUrl: undefined });
    expect(
      loadConfig({ SIMULATOR_HOST: '0.0.0.0', SIMULATOR_PORT: '4011', SIMULATOR_PUBLIC_URL: 'http://localhost:4011/' }).simulator,
    ).toMatchObject({
      host: '0.0.0.0',
      url: 'http://127.0.0.1:4011',
      publicUrl: 'http://localhost:4011',
    });
    expect(() => loadConfig({ SIMULATOR_PUBLIC_URL: 'simulator:4010' })).toThrow(/SIMULATOR_PUBLIC_URL must be an http\(s\) URL/);
  });

  it('reads PEM keys given on one line with \\n escapes', () => {
    const config = loadConfig({ ...DEV, DOKU_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----' });
    expect(config.doku.privateKeyPem).toBe('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----');
  });

  it('listens on this machine only outside production, unless HOST says otherwise', () => {
    expect(loadConfig(DEV).app.host).toBe('127.0.0.1');
    expect(loadConfig({ ...DEV, NODE_ENV: 'development' }).app.host).toBe('127.0.0.1');
    expect(loadConfig({ ...DEV, NODE_ENV: 'development', HOST: '0.0.0.0' }).app.host).toBe('0.0.0.0');
  });

  it('believes X-Forwarded-For from no proxy unless TRUST_PROXY lists them; refuses anything but addresses', () => {
    expect(loadConfig(DEV).app.trustProxy).toEqual([]);
    expect(loadConfig({ ...DEV, TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1' }).app.trustProxy).toEqual(['10.0.0.1', '10.1.0.0/16', '::1']);
    for (const bad of ['true', '*', '10.0.0.256', '10.0.0.0/33', 'proxy.internal']) {
      expect(() => loadConfig({ ...DEV, TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });

  it('reads a reconciler schedule of whole seconds, and refuses anything else', () => {
    expect(loadConfig(DEV).reconciliation.scheduleSeconds).toBeUndefined();
    expect(loadConfig({ ...DEV, RECONCILER_SCHEDULE_SECONDS: '1, 2,5' }).reconciliation.scheduleSeconds).toEqual([1, 2, 5]);
    for (const bad of ['1,,2', '0', '1.5', '-1', 'a', '604801', Array.from({ length: 51 }, () => '1').join(',')]) {
      expect(() => loadConfig({ ...DEV, RECONCILER_SCHEDULE_SECONDS: bad })).toThrow(/RECONCILER_SCHEDULE_SECONDS/);
    }
  });

  it('leaves the not-found grace period to each operation unless set, and never at or below the DOKU timeout', () => {
    expect(loadConfig(DEV).reconciliation.notFoundGraceMs).toBeUndefined();
    expect(loadConfig({ ...DEV, RECONCILER_NOT_FOUND_GRACE_MS: '4000', DOKU_TIMEOUT_MS: '1000' }).reconciliation.notFoundGraceMs).toBe(
      4000,
    );
    expect(() => loadConfig({ ...DEV, RECONCILER_NOT_FOUND_GRACE_MS: '1000', DOKU_TIMEOUT_MS: '1000' })).toThrow(
      /RECONCILER_NOT_FOUND_GRACE_MS must exceed DOKU_TIMEOUT_MS/,
    );
  });

  it('bounds notification processing: a few at once, a limited queue in memory, a sweep for the rest', () => {
    expect(loadConfig(DEV).notifications).toEqual({
      processingConcurrency: 4,
      queueLimit: 1000,
      sweepIntervalMs: 5000,
      leaseSeconds: 60,
      maxAttempts: 10,
    });
    expect(loadConfig({ ...DEV, NOTIFICATION_QUEUE_LIMIT: '0' }).notifications.queueLimit).toBe(0);
    expect(() => loadConfig({ ...DEV, NOTIFICATION_PROCESSING_CONCURRENCY: '0' })).toThrow(/NOTIFICATION_PROCESSING_CONCURRENCY/);
    expect(() => loadConfig({ ...DEV, NOTIFICATION_LEASE_SECONDS: 'soon' })).toThrow(/NOTIFICATION_LEASE_SECONDS/);
  });

  it('arms only known failpoints, and never in production', () => {
    expect(loadConfig(DEV).app.failpoints).toEqual([]);
    expect(loadConfig({ ...DEV, FAILPOINTS: 'money.after-intent-commit, money.inside-result-commit' }).app.failpoints).toEqual([
      'money.after-intent-commit',
      'money.inside-result-commit',
    ]);
    expect(() => loadConfig({ ...DEV, FAILPOINTS: 'money.somewhere' })).toThrow(/unknown failpoint "money.somewhere"/);
    expect(() => loadConfig({ ...DEV, NODE_ENV: 'production', FAILPOINTS: 'money.after-doku-outcome' })).toThrow(
      /FAILPOINTS is for crash tests only/,
    );
  });

  it('keeps /docs and /metrics closed in production unless told otherwise; basic auth needs real credentials', () => {
    const production = productionEnv();
    expect(loadConfig(DEV).app.operator).toMatchObject({ docs: 'public', metrics: 'public' });
    expect(loadConfig(production).app.operator).toMatchObject({ docs: 'off', metrics: 'off' });
    expect(loadConfig({ ...production, DOCS_ACCESS: 'basic', OPERATOR_BASIC_AUTH: `ops:${'p'.repeat(16)}` }).app.operator).toMatchObject({
      docs: 'basic',
      basicAuth: { user: 'ops', password: 'p'.repeat(16) },
    });
    expect(() => loadConfig({ ...DEV, DOCS_ACCESS: 'basic' })).toThrow(/OPERATOR_BASIC_AUTH is required/);
    expect(() => loadConfig({ ...DEV, METRICS_ACCESS: 'basic', OPERATOR_BASIC_AUTH: 'ops:short' })).toThrow(/at least 16 characters/);
    expect(() => loadConfig({ ...DEV, METRICS_ACCESS: 'everyone' })).toThrow(/METRICS_ACCESS must be one of public, basic, off, port/);
    expect(loadConfig({ ...DEV, METRICS_ACCESS: 'port', METRICS_PORT: '9100' }).app.operator).toMatchObject({
      metrics: 'port',
      metricsPort: 9100,
      metricsHost: '127.0.0.1',
    });
  });

  it('configures the DOKU e-Wallet checkout merchant: the simulator’s in development, off in production unless given, both values or neither', () => {
    const c = DEV_DOKU_CREDENTIALS;
    const production = productionEnv();
    expect(loadConfig(DEV).doku.checkout).toEqual({
      clientId: c.checkoutClientId,
      secretKey: c.checkoutSecretKey,
      notificationPath: '/v1/callbacks/doku/checkout',
    });
    expect(loadConfig(production).doku.checkout).toBeUndefined();
    expect(
      loadConfig({
        ...production,
        DOKU_CHECKOUT_CLIENT_ID: 'MCH-1',
        DOKU_CHECKOUT_SECRET_KEY: 'SK-1',
        DOKU_CHECKOUT_NOTIFICATION_PATH: '/hooks/doku',
      }).doku.checkout,
    ).toEqual({ clientId: 'MCH-1', secretKey: 'SK-1', notificationPath: '/hooks/doku' });
    expect(() => loadConfig({ ...production, DOKU_CHECKOUT_CLIENT_ID: 'MCH-1' })).toThrow(/go together/);
    expect(() => loadConfig({ ...DEV, DOKU_CHECKOUT_NOTIFICATION_PATH: 'https://x/y' })).toThrow(/plain absolute path/);
  });
});
