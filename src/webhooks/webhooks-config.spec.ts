import type { ConfigError } from '../config/load-config';
import { loadConfig } from '../config/load-config';

describe('webhooks configuration', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('runs the worker by default outside tests, never by default in tests', () => {
    expect(loadConfig({}).webhooks).toMatchObject({ enabled: true, intervalMs: 1000, allowInsecureTargets: [] });
    expect(loadConfig({ NODE_ENV: 'test' }).webhooks.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', WEBHOOKS_ENABLED: 'true', WEBHOOKS_INTERVAL_MS: '100' }).webhooks).toMatchObject({
      enabled: true,
      intervalMs: 100,
    });
  });

  it('reads the insecure test targets as host:port entries', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_INSECURE_TARGETS: ' 127.0.0.1:4555, [::1]:80 ,Localhost:9' }).webhooks.allowInsecureTargets).toEqual([
      '127.0.0.1:4555',
      '[::1]:80',
      'localhost:9',
    ]);
    expect(problemsOf({ WEBHOOK_ALLOW_INSECURE_TARGETS: '127.0.0.1' })).toEqual([
      'WEBHOOK_ALLOW_INSECURE_TARGETS entries must be host:port (got "127.0.0.1")',
    ]);
    expect(problemsOf({ WEBHOOK_ALLOW_INSECURE_TARGETS: 'http://127.0.0.1:80' })).toHaveLength(1);
  });

  it('refuses the insecure test targets in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', WEBHOOK_ALLOW_INSECURE_TARGETS: '127.0.0.1:4555' })).toContain(
      'WEBHOOK_ALLOW_INSECURE_TARGETS is for local tests only and is refused in production',
    );
  });

  it('refuses a lease shorter than two delivery timeouts', () => {
    expect(problemsOf({ WEBHOOKS_TIMEOUT_MS: '30000', WEBHOOKS_LEASE_SECONDS: '30' })).toEqual([
      'WEBHOOKS_LEASE_SECONDS must exceed twice WEBHOOKS_TIMEOUT_MS',
    ]);
  });
});
