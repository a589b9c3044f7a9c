import { DataSource } from 'typeorm';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/** X-Forwarded-For is believed only from the proxies TRUST_PROXY lists: a client cannot pick its own address. */
describe('Client addresses behind proxies', () => {
  let untrusted: TestApp;
  let trusted: TestApp;
  beforeAll(async () => {
    untrusted = await startTestApp({ RATE_LIMIT_SENSITIVE_PER_MINUTE: '3' });
    // The per-account lockout is out of reach here: these tests are about client addresses.
    trusted = await startTestApp(
      { RATE_LIMIT_SENSITIVE_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1', LOGIN_LOCKOUT_THRESHOLD: '100' },
      untrusted.databaseUrl,
    );
  });
  afterAll(async () => {
    await trusted.close();
    await untrusted.close();
  });

  const login = (t: TestApp, email: string, password: string, forwardedFor: string) =>
    t.http().post('/v1/auth/login').set('x-forwarded-for', forwardedFor).send({ email, password });

  /** A user, signed up and in; then the sign-in counters start again (they count in PostgreSQL). */
  const freshUser = async (t: TestApp) => {
    const forget = () => t.app.get(DataSource).query('DELETE FROM rate_limit_counters');
    await forget();
    const user = await registerUser(t);
    await forget();
    return user;
  };

  it('with no trusted proxy, rotating X-Forwarded-For does not step around the sign-in limit', async () => {
    const user = await freshUser(untrusted);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(untrusted, user.email, 'wrong password here', `203.0.113.${i + 1}`)).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
    // The right password from yet another claimed address is refused too: the limit holds.
    expect((await login(untrusted, user.email, 'correct horse battery staple', '198.51.100.7')).status).toBe(429);
  });

  it('behind a trusted proxy, the address it forwards is the client address', async () => {
    const user = await freshUser(trusted);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(trusted, user.email, 'wrong password here', `203.0.113.${50 + i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    const same: number[] = [];
    for (let i = 0; i < 4; i++) same.push((await login(trusted, user.email, 'wrong password here', '203.0.113.99')).status);
    expect(same).toEqual([401, 401, 401, 429]);
  });
});
