import { MetricsListener } from '../src/metrics/metrics-listener';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const PASSWORD = 'a-long-operator-password';

/** /docs and /metrics are the operators': open, behind basic auth, absent, or (metrics) on a port of their own. */
describe('Operator pages: /docs and /metrics', () => {
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>) => {
    const t = await startTestApp(env, apps[0]?.databaseUrl);
    apps.push(t);
    return t;
  };
  afterAll(async () => {
    for (const t of apps.reverse()) await t.close();
  });

  it('off: both answer 404 with the API error body, as if they did not exist', async () => {
    const t = await start({ DOCS_ACCESS: 'off', METRICS_ACCESS: 'off' });
    for (const path of ['/docs', '/docs/openapi.json', '/metrics']) {
      const res = await t.http().get(path);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'REQUEST.NOT_FOUND']);
    }
    expect((await t.http().get('/health/live')).status).toBe(200);
  });

  it('basic: the operator credentials open them; none or wrong ones are 401 with a Basic challenge', async () => {
    const t = await start({ DOCS_ACCESS: 'basic', METRICS_ACCESS: 'basic', OPERATOR_BASIC_AUTH: `ops:${PASSWORD}` });
    for (const path of ['/docs/openapi.json', '/metrics']) {
      const none = await t.http().get(path);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Basic realm="operators"/);
      expect(none.body.error.code).toBe('AUTH.UNAUTHENTICATED');
      expect((await t.http().get(path).set('authorization', basic('ops', 'wrong-password-of-length'))).status).toBe(401);
      expect((await t.http().get(path).set('authorization', basic('other', PASSWORD))).status).toBe(401);
      expect((await t.http().get(path).set('authorization', 'Bearer something')).status).toBe(401);
      expect((await t.http().get(path).set('authorization', basic('ops', PASSWORD))).status).toBe(200);
    }
  });

  it('port: metrics are served only on their own listener, not on the API port', async () => {
    const t = await start({ METRICS_ACCESS: 'port', METRICS_PORT: '0' });
    expect((await t.http().get('/metrics')).status).toBe(404);
    const address = t.app.get(MetricsListener).address();
    expect(address).toBeDefined();
    const res = await fetch(`http://127.0.0.1:${address!.port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('http_request');
    expect((await fetch(`http://127.0.0.1:${address!.port}/v1/me`)).status).toBe(404);
  });
});
