import { createPrivateKey, sign } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TestApp } from './support/test-app';
import { AuthSessionsRepository } from '../src/auth/auth-sessions.repository';
import { ServiceClientsService } from '../src/clients/service-clients.service';
import { PrincipalCache } from '../src/common/auth/principal-cache';
import { startTestApp } from './support/test-app';
import { until } from './support/until';

/**
 * The status a call answers once it answers `status`, or its last status after a second: a change
 * made on another instance, or in plain SQL, reaches this one with the change notice.
 */
const statusSoon = async (call: () => Promise<{ status: number }>, status: number): Promise<number> =>
  (await until(call, (r) => r.status === status, 1_000)).status;
import { registerUser, serviceToken, uniquePhone } from './support/actors';

describe('Partner identity (register, login, refresh, logout, client credentials)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers a user, who then signs in; /v1/me shows the user without secrets', async () => {
    const res = await t
      .http()
      .post('/v1/auth/register')
      .send({ name: 'Siti Rahayu', email: 'Siti.Rahayu@Example.com', phone: uniquePhone(), password: 'correct horse battery staple' });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('received');
    const login = await t
      .http()
      .post('/v1/auth/login')
      .send({ email: 'siti.rahayu@example.com', password: 'correct horse battery staple' });
    expect(login.status).toBe(200);
    expect(login.body.tokenType).toBe('Bearer');

    const me = await t.http().get('/v1/me').set('authorization', `Bearer ${login.body.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: 'Siti Rahayu', email: 'siti.rahayu@example.com', role: 'user' });
    expect(JSON.stringify(me.body)).not.toContain('password');
  });

  it('answers a registration for a taken email (any case) or phone exactly as a new one, creates nothing, and tells the owner', async () => {
    const phone = uniquePhone();
    const body = { name: 'A', email: `dup-${phone}@example.com`, phone, password: 'correct horse battery staple' };
    const first = await t.http().post('/v1/auth/register').send(body);
    const sameEmail = await t
      .http()
      .post('/v1/auth/register')
      .send({ ...body, email: body.email.toUpperCase(), phone: uniquePhone(), password: 'another long passphrase 1' });
    const samePhone = await t
      .http()
      .post('/v1/auth/register')
      .send({ ...body, email: `other-${phone}@example.com`, password: 'another long passphrase 2' });
    for (const res of [sameEmail, samePhone]) {
      expect({ status: res.status, body: res.body }).toEqual({ status: first.status, body: first.body });
    }
    const db = t.app.get(DataSource);
    const owners: { id: string }[] = await db.query(`SELECT id FROM users WHERE email = $1 OR phone = $2 OR email = $3`, [
      body.email,
      phone,
      `other-${phone}@example.com`,
    ]);
    expect(owners).toHaveLength(1);
    // The taken account keeps its own password; the attempt's password opens nothing.
    expect((await t.http().post('/v1/auth/login').send({ email: body.email, password: 'another long passphrase 1' })).status).toBe(401);
    expect(
      (
        await t
          .http()
          .post('/v1/auth/login')
          .send({ email: `other-${phone}@example.com`, password: 'another long passphrase 2' })
      ).status,
    ).toBe(401);
    const notices = await db.query(
      `SELECT payload FROM outbox_events WHERE type = 'user.registration_attempted' AND user_id = $1 ORDER BY seq`,
      [owners[0].id],
    );
    expect(notices.map((n: { payload: unknown }) => n.payload)).toEqual([
      { userId: owners[0].id, matched: ['email'] },
      { userId: owners[0].id, matched: ['phone'] },
    ]);
  });

  it('refuses a common or personal password with a field error, before anything is created', async () => {
    const phone = uniquePhone();
    for (const password of ['password123', 'qwertyuiop', `me${phone}`, `pw-${phone}-secret`, 'aaaaaaaaaaaa']) {
      const res = await t
        .http()
        .post('/v1/auth/register')
        .send({ name: 'A', email: `pw-${phone}@example.com`, phone, password });
      expect([password, res.status, res.body.error.code, res.body.error.details.fields.map((f: { field: string }) => f.field)]).toEqual([
        password,
        400,
        'REQUEST.VALIDATION_FAILED',
        ['password'],
      ]);
    }
    expect(await t.app.get(DataSource).query(`SELECT 1 FROM users WHERE phone = $1`, [phone])).toEqual([]);
  });

  it('logs in with the right password and refuses a wrong one or an unknown email alike', async () => {
    const u = await registerUser(t);
    const ok = await t.http().post('/v1/auth/login').send({ email: u.email, password: u.password });
    expect(ok.status).toBe(200);
    expect(typeof ok.body.accessToken).toBe('string');
    const wrong = await t.http().post('/v1/auth/login').send({ email: u.email, password: 'not the password' });
    const unknown = await t.http().post('/v1/auth/login').send({ email: 'nobody@example.com', password: 'whatever-it-is' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.code).toBe('AUTH.INVALID_CREDENTIALS');
    expect(unknown.body.error).toMatchObject({ code: 'AUTH.INVALID_CREDENTIALS', message: wrong.body.error.message });
  });

  it('rotates refresh tokens on every use', async () => {
    const u = await registerUser(t);
    const first = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(u.refreshToken);
    const second = await t.http().post('/v1/auth/refresh').send({ refreshToken: first.body.refreshToken });
    expect(second.status).toBe(200);
    const me = await t.http().get('/v1/me').set('authorization', `Bearer ${second.body.accessToken}`);
    expect(me.status).toBe(200);
  });

  it('treats a reused refresh token as theft: the whole session family is revoked', async () => {
    const u = await registerUser(t);
    const rotated = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(rotated.status).toBe(200);

    const reuse = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('AUTH.REFRESH_TOKEN_REUSED');

    // The newer refresh token of the same family and its access token stop working too.
    const newer = await t.http().post('/v1/auth/refresh').send({ refreshToken: rotated.body.refreshToken });
    expect(newer.status).toBe(401);
    expect(newer.body.error.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
    const me = await t.http().get('/v1/me').set('authorization', `Bearer ${rotated.body.accessToken}`);
    expect(me.status).toBe(401);
  });

  it('lets only one of two concurrent uses of a refresh token succeed', async () => {
    const u = await registerUser(t);
    const results = await Promise.all([1, 2, 3].map(() => t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(2);
  });

  it('logout takes no body: a field sent with it is refused, not ignored', async () => {
    const u = await registerUser(t);
    const withField = await t.http().post('/v1/auth/logout').set('authorization', `Bearer ${u.accessToken}`).send({ everywhere: true });
    expect(withField.status).toBe(400);
    expect(withField.body.error.details.fields).toEqual([expect.objectContaining({ field: 'everywhere' })]);
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${u.accessToken}`)).status).toBe(200);
  });

  it('logout ends the session: access and refresh tokens stop working', async () => {
    const u = await registerUser(t);
    const out = await t.http().post('/v1/auth/logout').set('authorization', `Bearer ${u.accessToken}`);
    expect(out.status).toBe(204);
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${u.accessToken}`)).status).toBe(401);
    const refresh = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(refresh.status).toBe(401);
  });

  it('issues client-credentials tokens by form or Basic auth, and refuses bad secrets and ungranted scopes', async () => {
    const svc = await serviceToken(t, ['purchases:write', 'wallets:read']);
    expect(svc.token.split('.')).toHaveLength(3);

    const basic = Buffer.from(`${svc.clientId}:${svc.clientSecret}`).toString('base64');
    const viaBasic = await t
      .http()
      .post('/v1/oauth/token')
      .set('authorization', `Basic ${basic}`)
      .send({ grant_type: 'client_credentials', scope: 'wallets:read' });
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.body.scope).toBe('wallets:read');

    const bad = await t
      .http()
      .post('/v1/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: svc.clientId, client_secret: 'cs_wrong' });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('invalid_client');

    const ungranted = await t
      .http()
      .post('/v1/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: svc.clientId, client_secret: svc.clientSecret, scope: 'refunds:write' });
    expect(ungranted.status).toBe(400);
    expect(ungranted.body.error).toBe('invalid_scope');
  });

  it('a service token is refused on user routes (403), and stops working when its secret is rotated', async () => {
    const svc = await serviceToken(t, ['wallets:read']);
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${svc.token}`)).status).toBe(403);
    await t.app.get(ServiceClientsService).rotate(svc.clientId);
    const after = await t.http().get('/v1/me').set('authorization', `Bearer ${svc.token}`);
    expect(after.status).toBe(401);
  });

  it('refuses tokens signed with another key, with alg none, or expired', async () => {
    const header = (alg: string) => Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ typ: 'user', sub: 'x', role: 'admin', sid: 'y', iss: t.config.auth.jwtIssuer })).toString(
      'base64url',
    );
    const none = `${header('none')}.${payload}.`;
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${none}`)).status).toBe(401);
    const forged = `${header('HS256')}.${payload}.${Buffer.from('forged').toString('base64url')}`;
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${forged}`)).status).toBe(401);
  });

  describe('access tokens: passport-jwt with every claim checked, and roles and scopes from the database', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    /** A token signed with the app's own active key: only the claims decide. */
    const signed = (claims: Record<string, unknown>) => {
      const { activeKeyId, signingKeys } = t.config.auth;
      const key = createPrivateKey(signingKeys.find((k) => k.kid === activeKeyId)!.privateKeyPem!);
      const head = `${b64({ alg: 'ES256', typ: 'JWT', kid: activeKeyId })}.${b64(claims)}`;
      return `${head}.${sign('sha256', Buffer.from(head), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    };
    const claimsOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const me = (token: string) => t.http().get('/v1/me').set('authorization', `Bearer ${token}`);

    it('the tokens we issue carry issuer, audience and expiry; the scheme name is case-insensitive', async () => {
      const user = await registerUser(t);
      const claims = claimsOf(user.accessToken);
      expect(claims).toMatchObject({ iss: t.config.auth.jwtIssuer, aud: t.config.auth.jwtAudience, typ: 'user', sub: user.id });
      expect(typeof claims.exp).toBe('number');
      expect((await me(user.accessToken)).status).toBe(200);
      expect((await t.http().get('/v1/me').set('authorization', `bearer ${user.accessToken}`)).status).toBe(200);
      expect((await me(signed(claims))).status).toBe(200);
    });

    it('refuses a well-signed token with no expiry, an expired one, or another issuer or audience (401)', async () => {
      const user = await registerUser(t);
      const { exp: _exp, ...rest } = claimsOf(user.accessToken);
      const now = Math.floor(Date.now() / 1000);
      const variants = {
        noExpiry: rest,
        expired: { ...rest, iat: now - 120, exp: now - 60 },
        otherIssuer: { ...rest, exp: now + 60, iss: 'someone-else' },
        otherAudience: { ...rest, exp: now + 60, aud: 'another-api' },
        noAudience: { ...rest, exp: now + 60, aud: undefined },
      };
      const statuses = Object.fromEntries(
        await Promise.all(Object.entries(variants).map(async ([k, c]) => [k, (await me(signed(c))).status])),
      );
      expect(statuses).toEqual({ noExpiry: 401, expired: 401, otherIssuer: 401, otherAudience: 401, noAudience: 401 });
      expect((await me(signed({ ...rest, exp: now + 60 }))).status).toBe(200);
    });

    it("a role written into a token is not believed: the user's role now decides", async () => {
      const user = await registerUser(t);
      const elevated = signed({ ...claimsOf(user.accessToken), role: 'admin' });
      expect((await t.http().get('/v1/admin/users').set('authorization', `Bearer ${elevated}`)).status).toBe(403);

      const support = await registerUser(t, 'support');
      const list = () =>
        t.http().get('/v1/admin/users').query({ query: support.email }).set('authorization', `Bearer ${support.accessToken}`);
      expect((await list()).status).toBe(200);
      // Removed from the back office (here by plain SQL): the token still in hand stops opening it
      // as soon as the change notice arrives, well within a second, not when the token expires.
      await t.app.get(DataSource).query(`UPDATE users SET role = 'user' WHERE id = $1`, [support.id]);
      expect(await statusSoon(list, 403)).toBe(403);
    });

    it("a service token's scopes are the client's scopes now, not the ones it was issued with", async () => {
      const svc = await serviceToken(t, ['wallets:read']);
      const user = await registerUser(t);
      const history = () => t.http().get(`/v1/users/${user.id}/transactions`).set('authorization', `Bearer ${svc.token}`);
      expect((await history()).status).toBe(200);
      await t.app.get(DataSource).query(`UPDATE service_clients SET scopes = $1 WHERE client_id = $2`, [['purchases:write'], svc.clientId]);
      expect(await statusSoon(history, 403)).toBe(403);
    });
  });

  describe('principals checked once, forgotten the moment they change (PrincipalCache)', () => {
    let other: TestApp;
    beforeAll(async () => {
      // A second instance on the same database, as behind a load balancer.
      other = await startTestApp({}, t.databaseUrl);
    });
    afterAll(async () => {
      await other.close();
    });
    const me = (app: TestApp, token: string) => app.http().get('/v1/me').set('authorization', `Bearer ${token}`);
    /** The next session check waits until `release()`; later ones run at once. `reads` counts them all. */
    const holdNextSessionCheck = () => {
      const repository = t.app.get(AuthSessionsRepository);
      const original = repository.activeSessionRole.bind(repository);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const reads = jest.spyOn(repository, 'activeSessionRole').mockImplementationOnce(async (sessionId, userId) => {
        await gate;
        return original(sessionId, userId);
      });
      const started = () =>
        until(
          async () => reads.mock.calls.length,
          (n) => n === 1,
        );
      return { reads, release, started, restore: () => (release(), reads.mockRestore()) };
    };
    it('a signed-in user is checked against the database once, not on every request', async () => {
      const user = await registerUser(t);
      const reads = jest.spyOn(t.app.get(AuthSessionsRepository), 'activeSessionRole');
      try {
        for (let i = 0; i < 20; i++) expect((await me(t, user.accessToken)).status).toBe(200);
        expect(reads).toHaveBeenCalledTimes(1);
      } finally {
        reads.mockRestore();
      }
    });

    it('requests that find a session unchecked together check it once', async () => {
      const user = await registerUser(t);
      const reads = jest.spyOn(t.app.get(AuthSessionsRepository), 'activeSessionRole');
      try {
        const statuses = await Promise.all(Array.from({ length: 10 }, () => me(t, user.accessToken).then((r) => r.status)));
        expect(statuses).toEqual(Array(10).fill(200));
        expect(reads).toHaveBeenCalledTimes(1);
      } finally {
        reads.mockRestore();
      }
    });

    it('a request after a change is not answered by a check that started before it', async () => {
      const user = await registerUser(t);
      const held = holdNextSessionCheck();
      try {
        const first = me(t, user.accessToken).then((r) => r.status);
        await held.started();
        // The user is deactivated while that check is under way, and the change is announced.
        await t.app.get(DataSource).query(`UPDATE users SET active = false WHERE id = $1`, [user.id]);
        t.app.get(PrincipalCache).forget(`user:${user.id}`);
        expect((await me(t, user.accessToken)).status).toBe(401);
        expect(held.reads).toHaveBeenCalledTimes(2);
        held.release();
        // The first request read after the change too (its check was only held back): refused as well.
        expect(await first).toBe(401);
      } finally {
        held.restore();
      }
    });

    it('a check held up for over a second is not waited on by the requests that come after', async () => {
      const user = await registerUser(t);
      const held = holdNextSessionCheck();
      try {
        let firstDone = false;
        const first = me(t, user.accessToken).then((r) => {
          firstDone = true;
          return r.status;
        });
        await held.started();
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        // The held check is past the time it may be joined: this request reads for itself, at once.
        expect((await me(t, user.accessToken)).status).toBe(200);
        expect(held.reads).toHaveBeenCalledTimes(2);
        expect(firstDone).toBe(false);
        held.release();
        expect(await first).toBe(200);
      } finally {
        held.restore();
      }
    });

    it('a logout ends the session at once on the instance that ran it, and on every other one as soon as the notice arrives', async () => {
      const user = await registerUser(t);
      expect((await me(t, user.accessToken)).status).toBe(200);
      expect((await me(other, user.accessToken)).status).toBe(200);
      expect((await t.http().post('/v1/auth/logout').set('authorization', `Bearer ${user.accessToken}`)).status).toBe(204);
      expect((await me(t, user.accessToken)).status).toBe(401);
      expect(await statusSoon(() => me(other, user.accessToken), 401)).toBe(401);
    });

    it('a rotated client secret ends its tokens everywhere; a deactivated user is refused everywhere', async () => {
      const svc = await serviceToken(t, ['wallets:read']);
      const user = await registerUser(t);
      const history = (app: TestApp) => app.http().get(`/v1/users/${user.id}/transactions`).set('authorization', `Bearer ${svc.token}`);
      expect((await history(t)).status).toBe(200);
      expect((await history(other)).status).toBe(200);
      await t.app.get(ServiceClientsService).rotate(svc.clientId);
      expect((await history(t)).status).toBe(401);
      expect(await statusSoon(() => history(other), 401)).toBe(401);

      expect((await me(other, user.accessToken)).status).toBe(200);
      await t.app.get(DataSource).query(`UPDATE users SET active = false WHERE id = $1`, [user.id]);
      expect(await statusSoon(() => me(other, user.accessToken), 401)).toBe(401);
    });
  });
});
