import { startTestApp, TestApp } from './support/test-app';
import { registerUser, serviceToken, uniquePhone } from './support/actors';

describe('Partner identity (register, login, refresh, logout, client credentials)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers a user, returns tokens, and /v1/me shows the user without secrets', async () => {
    const res = await t
      .http()
      .post('/v1/auth/register')
      .send({ name: 'Siti Rahayu', email: 'Siti.Rahayu@Example.com', phone: uniquePhone(), password: 'correct horse battery staple' });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ name: 'Siti Rahayu', email: 'siti.rahayu@example.com', role: 'user' });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(res.body.tokens.tokenType).toBe('Bearer');

    const me = await t.http().get('/v1/me').set('authorization', `Bearer ${res.body.tokens.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(res.body.user.id);
    expect(JSON.stringify(me.body)).not.toContain('password');
  });

  it('refuses a second account with the same email (any case) or phone with 409 and a stable code', async () => {
    const phone = uniquePhone();
    const body = { name: 'A', email: 'dup@example.com', phone, password: 'correct horse battery staple' };
    expect((await t.http().post('/v1/auth/register').send(body)).status).toBe(201);
    const sameEmail = await t.http().post('/v1/auth/register').send({ ...body, email: 'DUP@example.com', phone: uniquePhone() });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.error.code).toBe('USER.EMAIL_TAKEN');
    const samePhone = await t.http().post('/v1/auth/register').send({ ...body, email: 'other@example.com' });
    expect(samePhone.status).toBe(409);
    expect(samePhone.body.error.code).toBe('USER.PHONE_TAKEN');
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
    expect(bad.body.error.code).toBe('AUTH.INVALID_CLIENT');

    const ungranted = await t
      .http()
      .post('/v1/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: svc.clientId, client_secret: svc.clientSecret, scope: 'refunds:write' });
    expect(ungranted.status).toBe(403);
    expect(ungranted.body.error.code).toBe('AUTH.INSUFFICIENT_SCOPE');
  });

  it('a service token is refused on user routes (403), and stops working when its secret is rotated', async () => {
    const { ServiceClientsService } = await import('../src/clients/service-clients.service');
    const svc = await serviceToken(t, ['wallets:read']);
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${svc.token}`)).status).toBe(403);
    await t.app.get(ServiceClientsService).rotate(svc.clientId);
    const after = await t.http().get('/v1/me').set('authorization', `Bearer ${svc.token}`);
    expect(after.status).toBe(401);
  });

  it('refuses tokens signed with another key, with alg none, or expired', async () => {
    const header = (alg: string) => Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ typ: 'user', sub: 'x', role: 'admin', sid: 'y', iss: t.config.auth.jwtIssuer })).toString('base64url');
    const none = `${header('none')}.${payload}.`;
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${none}`)).status).toBe(401);
    const forged = `${header('HS256')}.${payload}.${Buffer.from('forged').toString('base64url')}`;
    expect((await t.http().get('/v1/me').set('authorization', `Bearer ${forged}`)).status).toBe(401);
  });
});
