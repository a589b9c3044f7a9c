import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { registerUser } from './support/actors';
import { Agent, request } from 'undici';
import { until } from './support/until';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

function expectErrorBody(body: { error?: Record<string, unknown> }, code: string): void {
  expect(body.error).toBeDefined();
  expect(body.error!.code).toBe(code);
  expect(typeof body.error!.message).toBe('string');
  expect(typeof body.error!.requestId).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/stack|node_modules|at \w+ \(/);
}

describe('Behaviour every endpoint inherits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 400 with every invalid field and its reasons', async () => {
    const res = await t.http().post('/v1/auth/register').send({ name: '', email: 'not-an-email', phone: '0812', password: 'short' });
    expect(res.status).toBe(400);
    expectErrorBody(res.body, 'REQUEST.VALIDATION_FAILED');
    const fields = (res.body.error.details.fields as { field: string; reasons: string[] }[]).map((f) => f.field).sort();
    expect(fields).toEqual(['email', 'name', 'password', 'phone']);
  });

  it('refuses unknown fields (no mass assignment of role)', async () => {
    const res = await t
      .http()
      .post('/v1/auth/register')
      .send({ name: 'Eve', email: 'eve@example.com', phone: '6281299990000', password: 'correct horse battery', role: 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields).toEqual([expect.objectContaining({ field: 'role' })]);
  });

  it('answers malformed JSON and __proto__ keys with 400, never 500', async () => {
    const bad = await t.http().post('/v1/auth/login').set('content-type', 'application/json').send('{"email": ');
    expect(bad.status).toBe(400);
    expectErrorBody(bad.body, 'REQUEST.MALFORMED_JSON');
    const proto = await t
      .http()
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .send('{"email":"a@b.co","password":"xxxxxxxxxxxx","__proto__":{"role":"admin"}}');
    expect(proto.status).toBe(400);
  });

  it('answers a wrong content type with 415', async () => {
    const res = await t.http().post('/v1/auth/login').set('content-type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
    expectErrorBody(res.body, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an oversize body with 413', async () => {
    const res = await t
      .http()
      .post('/v1/auth/login')
      .send({ email: 'a@b.co', password: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expectErrorBody(res.body, 'REQUEST.BODY_TOO_LARGE');
  });

  it('answers an unknown route with 404 in the same error shape', async () => {
    const res = await t.http().get('/v1/does-not-exist');
    expect(res.status).toBe(404);
    expectErrorBody(res.body, 'REQUEST.NOT_FOUND');
  });

  it('echoes a sane X-Request-Id, replaces an unsafe one, and puts it in error bodies', async () => {
    const given = await t.http().get('/v1/nope').set('x-request-id', 'req-abc_123');
    expect(given.headers['x-request-id']).toBe('req-abc_123');
    expect(given.body.error.requestId).toBe('req-abc_123');
    const unsafe = await t.http().get('/health/live').set('x-request-id', 'bad id <script>');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await t.http().get('/health/live');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const res = await t.http().get('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("img-src 'self' data: validator.swagger.io");
    // Error answers carry them too, and every request gets its own, identical set.
    const missing = await t.http().get('/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-security-policy']).toBe(res.headers['content-security-policy']);
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
    // So do the answers refused before any route is looked for.
    const climbing = await t.http().get('/v1/%2e%2e/health/live');
    expect(climbing.status).toBe(404);
    expect(climbing.headers['content-security-policy']).toBe(res.headers['content-security-policy']);
    expect(climbing.headers['cache-control']).toBe('no-store');
    expect(climbing.headers['x-request-id']).toBe(climbing.body.error.requestId);
  });

  it('reports liveness and readiness (the database answers)', async () => {
    expect((await t.http().get('/health/live')).body).toEqual({ status: 'ok' });
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'up' } });
  });

  it('exposes Prometheus request counts and latency by route and status', async () => {
    await t.http().get('/v1/me');
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/me",status="401"\} \d+/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/me",status="401"\}/);
  });

  it('serves the OpenAPI document with examples on the DTOs', async () => {
    const res = await t.http().get('/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.paths['/v1/auth/register']).toBeDefined();
    expect(res.body.components.schemas.RegisterRequestDto.properties.email.example).toBe('siti@example.com');
    const html = await t.http().get('/docs');
    expect(html.status).toBe(200);
    expect(html.text).toContain('swagger');
  });

  it('an unexpected error is a generic 500 with the request id and no internals', async () => {
    const u = await registerUser(t);
    // Break the database under the app: the next query fails in an unplanned way.
    const { DataSource } = await import('typeorm');
    await t.app.get(DataSource).query('ALTER TABLE users RENAME TO users_gone');
    try {
      const res = await t.http().get('/v1/me').set('authorization', `Bearer ${u.accessToken}`).set('x-request-id', 'boom-1');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: { code: 'INTERNAL.ERROR', message: expect.any(String), requestId: 'boom-1' } });
      expect(res.text).not.toContain('users');
    } finally {
      await t.app.get(DataSource).query('ALTER TABLE users_gone RENAME TO users');
    }
  });
});

describe('Rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_SENSITIVE_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('limits sign-in attempts strictly and answers 429 with Retry-After', async () => {
    const attempt = () => t.http().post('/v1/auth/login').send({ email: 'x@example.com', password: 'wrong-password' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expectErrorBody(limited.body, 'REQUEST.RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keeps ordinary routes on the ordinary limit', async () => {
    for (let i = 0; i < 10; i++) expect((await t.http().get('/health/live')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await t.http().get('/v1/me')).status).toBe(401);
  });
});

describe('CORS from configuration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://app.partner.example' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a preflight from a configured origin, and not from any other', async () => {
    const allowed = await t
      .http()
      .options('/v1/auth/login')
      .set('origin', 'https://app.partner.example')
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type,authorization');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.partner.example');

    const other = await t
      .http()
      .options('/v1/auth/login')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('exposes the request id and idempotency headers to browsers', async () => {
    const res = await t.http().get('/health/live').set('origin', 'https://app.partner.example');
    expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
    expect(res.headers['access-control-expose-headers']).toContain('Idempotent-Replayed');
  });
  it('marks every response no-store: tokens, balances and personal data stay out of caches', async () => {
    const user = await registerUser(t);
    const responses = [
      await t.http().post('/v1/auth/login').send({ email: 'nobody@example.com', password: 'wrong password here' }),
      await t.http().get('/v1/wallet').set('authorization', `Bearer ${user.accessToken}`),
      await t.http().get('/v1/transactions').set('authorization', `Bearer ${user.accessToken}`),
      await t.http().get('/v1/wallet'),
      await t.http().get('/v1/no-such-route'),
    ];
    for (const res of responses)
      expect({ status: res.status, cacheControl: res.headers['cache-control'] }).toEqual({ status: res.status, cacheControl: 'no-store' });
  });
  it("answers a back-office member on a customer's purchase routes with 403, not a customer's 404", async () => {
    for (const role of ['admin', 'support', 'finance'] as const) {
      const staff = await registerUser(t, role);
      const auth = { authorization: `Bearer ${staff.accessToken}` };
      const buy = await t.http().post('/v1/purchases').set(auth).set('idempotency-key', `k-${role}-0123456789`).send({ amount: 1000 });
      const read = await t.http().get('/v1/purchases/0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21').set(auth);
      const cancel = await t
        .http()
        .post('/v1/purchases/0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21/cancel')
        .set(auth)
        .set('idempotency-key', `k-${role}-9876543210`)
        .send({});
      expect([buy, read, cancel].map((r) => [r.status, r.body.error?.code])).toEqual([
        [403, 'AUTH.FORBIDDEN'],
        [403, 'AUTH.FORBIDDEN'],
        [403, 'AUTH.FORBIDDEN'],
      ]);
    }
  });
});

describe('Shutdown', () => {
  it('a purchase in flight when the app closes is answered, and the close ends with it, not with its keep-alive connection', async () => {
    const env = await startWalletEnv({ DOKU_TIMEOUT_MS: '10000' });
    const agent = new Agent({ keepAliveTimeout: 120_000 });
    try {
      const user = await registerUser(env.t);
      await createBoundWallet(env, user, { balance: 1_000_000 });
      // DOKU takes 1.5 s over the purchase: the close begins while it is in flight.
      env.sim.control.setFaults([{ endpoint: 'purchaseWeb', type: 'latency', latencyMs: 1_500, times: 1 }]);
      const answer = request(`${env.t.url}/v1/purchases`, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          authorization: `Bearer ${user.accessToken}`,
          'idempotency-key': `shutdown-${Date.now()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ amount: 10_000 }),
      });
      await until(
        async () => env.sim.control.faultFirings().length,
        (n) => n > 0,
      );
      const started = Date.now();
      const closing = env.t.app.close();
      const response = await answer;
      expect(response.statusCode).toBe(201);
      expect(response.headers.connection).toBe('close');
      expect(await response.body.json()).toMatchObject({ status: 'PENDING', amount: 10_000 });
      await closing;
      // Before, the close waited out the 72 s keep-alive timeout of the answered connection.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await agent.close();
      await env.sim.close();
    }
  });
});
