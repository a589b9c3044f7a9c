import { DataSource } from 'typeorm';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

const PASSWORD = 'correct horse battery staple';

/**
 * Sign-in protection that holds whatever address a guesser uses and however many instances run:
 * a per-account lockout with backoff, released by back office, and sensitive-route rate limits
 * counted in PostgreSQL.
 */
describe('Per-account sign-in lockout', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_SECONDS: '60', LOGIN_LOCKOUT_MAX_SECONDS: '200', TRUST_PROXY: '127.0.0.1' };
    a = await startTestApp(env);
    // A second instance on the same database, as behind a load balancer.
    b = await startTestApp(env, a.databaseUrl);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const login = (t: TestApp, email: string, password: string, from = '203.0.113.1') =>
    t.http().post('/v1/auth/login').set('x-forwarded-for', from).send({ email, password });
  const db = () => a.app.get(DataSource);
  const events = async (userId: string) =>
    await db().query<
      {
        type: string;
        payload: Record<string, unknown>;
      }[]
    >(`SELECT type, payload FROM outbox_events WHERE user_id = $1 AND type LIKE 'user.%' ORDER BY seq`, [userId]);

  it('locks the account after repeated failures from many addresses and instances; even the right password is refused', async () => {
    const user = await registerUser(a);
    const statuses = [
      (await login(a, user.email, 'wrong password 1', '203.0.113.10')).status,
      (await login(b, user.email, 'wrong password 2', '198.51.100.20')).status,
      (await login(a, user.email, 'wrong password 3', '192.0.2.30')).status,
    ];
    expect(statuses).toEqual([401, 401, 401]);
    const locked = await login(b, user.email.toUpperCase(), PASSWORD, '192.0.2.99');
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('AUTH.ACCOUNT_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60);
    const [event] = await events(user.id);
    expect(event).toMatchObject({ type: 'user.sign_in_locked', payload: { userId: user.id, failedAttempts: 3 } });
  });

  it('an unknown email locks the same way, so a lock tells nothing about who is registered', async () => {
    const email = `nobody-${Date.now()}@example.com`;
    for (let i = 0; i < 3; i++) expect((await login(a, email, 'some password')).status).toBe(401);
    const locked = await login(a, email, 'some password');
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('AUTH.ACCOUNT_LOCKED');
  });

  it('backs off: each failure after a lock ends doubles the next lock, up to the maximum', async () => {
    const user = await registerUser(a);
    for (let i = 0; i < 3; i++) await login(a, user.email, 'wrong password');
    const expire = () =>
      db().query(`UPDATE login_attempts SET locked_until = now() - interval '1 second' WHERE account_key = $1`, [user.email]);
    const retryAfterNextFailure = async () => {
      await expire();
      expect((await login(a, user.email, 'wrong password')).status).toBe(401);
      return Number((await login(a, user.email, PASSWORD)).headers['retry-after']);
    };
    expect(await retryAfterNextFailure()).toBeGreaterThan(110); // 120 s
    expect(await retryAfterNextFailure()).toBeGreaterThan(190); // 240 s, capped at 200
    expect(await retryAfterNextFailure()).toBeLessThanOrEqual(200);
  });

  it('counts concurrent failures one by one (no lost update), across instances', async () => {
    const user = await registerUser(a);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => login(i % 2 ? a : b, user.email, `wrong ${i}`, `203.0.113.${100 + i}`)),
    );
    // An attempt that passed the lock check is answered 401 and counted; one that arrived after the
    // lock was taken is refused 429 and not counted. How many land on each side depends on timing;
    // what must hold is that every counted attempt is counted exactly once.
    const refused = answers.filter((r) => r.status === 429);
    expect(refused.every((r) => r.body.error.code === 'AUTH.ACCOUNT_LOCKED')).toBe(true);
    const counted = answers.filter((r) => r.status === 401).length;
    expect(counted + refused.length).toBe(8);
    expect(counted).toBeGreaterThanOrEqual(3);
    const [row] = await db().query(`SELECT failures FROM login_attempts WHERE account_key = $1`, [user.email]);
    expect(row.failures).toBe(counted);
    expect((await login(a, user.email, PASSWORD)).body.error.code).toBe('AUTH.ACCOUNT_LOCKED');
  });

  it('a successful sign-in clears the count', async () => {
    const user = await registerUser(a);
    await login(a, user.email, 'wrong password');
    await login(a, user.email, 'wrong password');
    expect((await login(a, user.email, PASSWORD)).status).toBe(200);
    expect(await db().query(`SELECT 1 FROM login_attempts WHERE account_key = $1`, [user.email])).toEqual([]);
    await login(a, user.email, 'wrong password');
    await login(a, user.email, 'wrong password');
    expect((await login(a, user.email, PASSWORD)).status).toBe(200);
  });

  it('back office sees the lock and releases it (admin or support, not finance); the release is an event', async () => {
    const user = await registerUser(a);
    for (let i = 0; i < 3; i++) await login(a, user.email, 'wrong password');
    const support = await registerUser(a, 'support');
    const finance = await registerUser(a, 'finance');
    const detail = await a.http().get(`/v1/admin/users/${user.id}`).set('authorization', `Bearer ${support.accessToken}`);
    expect(Date.parse(detail.body.signInLockedUntil)).toBeGreaterThan(Date.now());
    const release = (token: string) => a.http().delete(`/v1/admin/users/${user.id}/sign-in-lock`).set('authorization', `Bearer ${token}`);
    expect((await release(finance.accessToken)).status).toBe(403);
    const released = await release(support.accessToken);
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ released: true });
    expect((await release(support.accessToken)).body).toEqual({ released: false });
    expect((await login(a, user.email, PASSWORD)).status).toBe(200);
    expect(
      (await a.http().get(`/v1/admin/users/${user.id}`).set('authorization', `Bearer ${support.accessToken}`)).body.signInLockedUntil,
    ).toBeNull();
    expect((await events(user.id)).map((e) => e.type)).toEqual(['user.sign_in_locked', 'user.sign_in_unlocked']);
    expect((await events(user.id))[1].payload).toEqual({ userId: user.id, releasedBy: support.id });
    const missing = await a
      .http()
      .delete(`/v1/admin/users/00000000-0000-4000-8000-000000000000/sign-in-lock`)
      .set('authorization', `Bearer ${support.accessToken}`);
    expect(missing.status).toBe(404);
  });
});

describe('Sensitive-route rate limits shared by every instance', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { RATE_LIMIT_SENSITIVE_PER_MINUTE: '4', RATE_LIMIT_PER_MINUTE: '1000', LOGIN_LOCKOUT_THRESHOLD: '100' };
    a = await startTestApp(env);
    b = await startTestApp(env, a.databaseUrl);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('one client alternating between two instances gets the limit once, not once per instance', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await (i % 2 ? b : a).http().post('/v1/auth/login').send({ email: 'someone@example.com', password: 'wrong password' })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('ordinary routes keep their own, per-instance limit', async () => {
    for (let i = 0; i < 10; i++) expect((await a.http().get('/health/live')).status).toBe(200);
  });
});
