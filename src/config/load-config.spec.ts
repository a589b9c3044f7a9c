import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_DOKU_CREDENTIALS } from './dev-credentials';
import { ConfigError, loadConfig } from './load-config';

// Development keeps its random JWT secret beside the data directory: keep it out of the checkout.
const DEV = { EMBEDDED_PG_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'config-spec-')), 'postgres') };

describe(loadConfig.name, () => {
  it('gives development a random JWT secret per data directory, kept for restarts and readable by its owner only', () => {
    const first = loadConfig(DEV).auth.jwtSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(first).not.toBe('dev-only-jwt-secret-change-me-0123456789abcdef');
    expect(loadConfig(DEV).auth.jwtSecret).toBe(first);
    expect(readFileSync(`${DEV.EMBEDDED_PG_DATA_DIR}.jwt-secret`, 'utf8').trim()).toBe(first);
    expect(statSync(`${DEV.EMBEDDED_PG_DATA_DIR}.jwt-secret`).mode & 0o777).toBe(0o600);
    const other = join(mkdtempSync(join(tmpdir(), 'config-spec-')), 'postgres');
    expect(loadConfig({ EMBEDDED_PG_DATA_DIR: other }).auth.jwtSecret).not.toBe(first);
    expect(loadConfig({ ...DEV, JWT_SECRET: 'x'.repeat(40) }).auth.jwtSecret).toBe('x'.repeat(40));
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
      'JWT_SECRET',
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
        JWT_SECRET: 'short',
        MIGRATIONS_RUN_ON_START: 'maybe',
        DOKU_PATH_OVERRIDES: '{"purchase":"no-slash"}',
      });
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems.sort()).toEqual([
      'DOKU_PATH_OVERRIDES must be a JSON object of endpoint name to path (path for purchase must start with /)',
      'JWT_SECRET must be at least 32 characters',
      'MIGRATIONS_RUN_ON_START must be true or false (got "maybe")',
      'PORT must be a whole number (got "abc")',
    ]);
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
    const c = DEV_DOKU_CREDENTIALS;
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://wallet@db/wallet',
      JWT_SECRET: 'x'.repeat(40),
      DOKU_BASE_URL: 'https://api-sandbox.doku.com',
      DOKU_CLIENT_ID: c.clientId,
      DOKU_CLIENT_SECRET: c.clientSecret,
      DOKU_PRIVATE_KEY: c.partnerPrivateKeyPem,
      DOKU_PUBLIC_KEY: c.dokuPublicKeyPem,
      DOKU_AUTH_CODE_KEY: c.authCodeKey,
      DOKU_TOKEN_ENCRYPTION_KEY: c.tokenEncryptionKey,
    };
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
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://wallet@db/wallet',
      JWT_SECRET: 'x'.repeat(40),
      DOKU_BASE_URL: 'https://api-sandbox.doku.com',
      DOKU_CLIENT_ID: c.clientId,
      DOKU_CLIENT_SECRET: c.clientSecret,
      DOKU_PRIVATE_KEY: c.partnerPrivateKeyPem,
      DOKU_PUBLIC_KEY: c.dokuPublicKeyPem,
      DOKU_AUTH_CODE_KEY: c.authCodeKey,
      DOKU_TOKEN_ENCRYPTION_KEY: c.tokenEncryptionKey,
    };
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
