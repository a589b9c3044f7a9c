import { ConfigError, loadConfig } from './load-config';

describe(loadConfig.name, () => {
  it('starts with no environment at all in development, on throwaway credentials', () => {
    const config = loadConfig({});
    expect(config.app.env).toBe('development');
    expect(config.app.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.simulator.autoStart).toBe(true);
    expect(config.doku.privateKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('refuses to start in production without explicit secrets, naming each missing one', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['JWT_SECRET', 'DOKU_BASE_URL', 'DOKU_CLIENT_ID', 'DOKU_CLIENT_SECRET', 'DOKU_PRIVATE_KEY', 'DOKU_TOKEN_ENCRYPTION_KEY']) {
      expect(problems).toContain(key);
    }
  });

  it('reports every malformed value at once with a clear message', () => {
    let problems: string[] = [];
    try {
      loadConfig({ PORT: 'abc', JWT_SECRET: 'short', MIGRATIONS_RUN_ON_START: 'maybe', DOKU_PATH_OVERRIDES: '{"purchase":"no-slash"}' });
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
    expect(loadConfig({ DOKU_BASE_URL: 'https://api-sandbox.doku.com' }).simulator.autoStart).toBe(false);
  });

  it('reads PEM keys given on one line with \\n escapes', () => {
    const config = loadConfig({ DOKU_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----' });
    expect(config.doku.privateKeyPem).toBe('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----');
  });

  it('listens on this machine only outside production, unless HOST says otherwise', () => {
    expect(loadConfig({}).app.host).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'development' }).app.host).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0' }).app.host).toBe('0.0.0.0');
  });

  it('believes X-Forwarded-For from no proxy unless TRUST_PROXY lists them; refuses anything but addresses', () => {
    expect(loadConfig({}).app.trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1' }).app.trustProxy).toEqual(['10.0.0.1', '10.1.0.0/16', '::1']);
    for (const bad of ['true', '*', '10.0.0.256', '10.0.0.0/33', 'proxy.internal']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });

  it('reads a reconciler schedule of whole seconds, and refuses anything else', () => {
    expect(loadConfig({}).reconciliation.scheduleSeconds).toBeUndefined();
    expect(loadConfig({ RECONCILER_SCHEDULE_SECONDS: '1, 2,5' }).reconciliation.scheduleSeconds).toEqual([1, 2, 5]);
    for (const bad of ['1,,2', '0', '1.5', '-1', 'a', '604801', Array.from({ length: 51 }, () => '1').join(',')]) {
      expect(() => loadConfig({ RECONCILER_SCHEDULE_SECONDS: bad })).toThrow(/RECONCILER_SCHEDULE_SECONDS/);
    }
  });

  it('leaves the not-found grace period to each operation unless set, and never at or below the DOKU timeout', () => {
    expect(loadConfig({}).reconciliation.notFoundGraceMs).toBeUndefined();
    expect(loadConfig({ RECONCILER_NOT_FOUND_GRACE_MS: '4000', DOKU_TIMEOUT_MS: '1000' }).reconciliation.notFoundGraceMs).toBe(4000);
    expect(() => loadConfig({ RECONCILER_NOT_FOUND_GRACE_MS: '1000', DOKU_TIMEOUT_MS: '1000' })).toThrow(/RECONCILER_NOT_FOUND_GRACE_MS must exceed DOKU_TIMEOUT_MS/);
  });

  it('bounds notification processing: a few at once, a limited queue in memory, a sweep for the rest', () => {
    expect(loadConfig({}).notifications).toEqual({ processingConcurrency: 4, queueLimit: 1000, sweepIntervalMs: 5000, leaseSeconds: 60, maxAttempts: 10 });
    expect(loadConfig({ NOTIFICATION_QUEUE_LIMIT: '0' }).notifications.queueLimit).toBe(0);
    expect(() => loadConfig({ NOTIFICATION_PROCESSING_CONCURRENCY: '0' })).toThrow(/NOTIFICATION_PROCESSING_CONCURRENCY/);
    expect(() => loadConfig({ NOTIFICATION_LEASE_SECONDS: 'soon' })).toThrow(/NOTIFICATION_LEASE_SECONDS/);
  });

  it('arms only known failpoints, and never in production', () => {
    expect(loadConfig({}).app.failpoints).toEqual([]);
    expect(loadConfig({ FAILPOINTS: 'money.after-intent-commit, money.inside-result-commit' }).app.failpoints).toEqual([
      'money.after-intent-commit',
      'money.inside-result-commit',
    ]);
    expect(() => loadConfig({ FAILPOINTS: 'money.somewhere' })).toThrow(/unknown failpoint "money.somewhere"/);
    expect(() => loadConfig({ NODE_ENV: 'production', FAILPOINTS: 'money.after-doku-outcome' })).toThrow(/FAILPOINTS is for crash tests only/);
  });
});
