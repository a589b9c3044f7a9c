import { DataSource } from 'typeorm';
import { runCli } from '../src/cli/cli';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

describe('Operator CLI', () => {
  let t: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'error' });
    env = { NODE_ENV: 'test', DATABASE_URL: t.databaseUrl };
  });
  afterAll(async () => {
    await t.close();
  });

  it('admin:create makes a back-office admin who can sign in, and refuses a duplicate', async () => {
    process.env.ADMIN_PASSWORD = 'a long admin password';
    const created = (await runCli(['admin:create', '--email', 'Boss@Example.com', '--name', 'Boss', '--phone', '6281200000001'], env)) as {
      role: string;
    };
    expect(created.role).toBe('admin');
    const login = await t.http().post('/v1/auth/login').send({ email: 'boss@example.com', password: 'a long admin password' });
    expect(login.status).toBe(200);
    const me = await t.http().get('/v1/me').set('authorization', `Bearer ${login.body.accessToken}`);
    expect({ status: me.status, role: me.body.role }).toEqual({ status: 200, role: 'admin' });
    await expect(runCli(['admin:create', '--email', 'boss@example.com', '--name', 'B', '--phone', '6281200000002'], env)).rejects.toThrow(
      /already exists/,
    );
  });

  it('client:create returns a secret once; client:rotate replaces it and the old one stops working', async () => {
    const created = (await runCli(['client:create', '--name', 'order service', '--scopes', 'purchases:write,wallets:read'], env)) as {
      clientId: string;
      clientSecret: string;
    };
    const token = (secret: string) =>
      t
        .http()
        .post('/v1/oauth/token')
        .type('form')
        .send({ grant_type: 'client_credentials', client_id: created.clientId, client_secret: secret });
    expect((await token(created.clientSecret)).status).toBe(200);

    const rotated = (await runCli(['client:rotate', '--client-id', created.clientId], env)) as { clientSecret: string };
    expect(rotated.clientSecret).not.toBe(created.clientSecret);
    expect((await token(created.clientSecret)).status).toBe(401);
    expect((await token(rotated.clientSecret)).status).toBe(200);
  });

  it('refuses unknown scopes and unknown commands', async () => {
    await expect(runCli(['client:create', '--name', 'x', '--scopes', 'everything'], env)).rejects.toThrow(/Scopes must be among/);
    await expect(runCli(['nonsense'], env)).rejects.toThrow(/Usage/);
  });

  it("client:create --return-url and client:return-url set, check and clear a client's app return link", async () => {
    const created = (await runCli(
      ['client:create', '--name', 'shop', '--scopes', 'purchases:write', '--return-url', 'shopapp://orders/result'],
      env,
    )) as { clientId: string; appReturnUrl: string };
    expect(created.appReturnUrl).toBe('shopapp://orders/result');
    const stored = async () =>
      (
        await t.app
          .get(DataSource)
          .query<Array<{ app_return_url: string | null }>>(`SELECT app_return_url FROM service_clients WHERE client_id = $1`, [
            created.clientId,
          ])
      )[0].app_return_url;
    expect(await stored()).toBe('shopapp://orders/result');
    await expect(
      runCli(['client:return-url', '--client-id', created.clientId, '--return-url', 'javascript:alert(1)'], env),
    ).rejects.toThrow(/must not use the javascript: scheme/);
    expect(await stored()).toBe('shopapp://orders/result');
    await runCli(['client:return-url', '--client-id', created.clientId, '--return-url', 'https://shop.example/done'], env);
    expect(await stored()).toBe('https://shop.example/done');
    await runCli(['client:return-url', '--client-id', created.clientId, '--return-url', 'none'], env);
    expect(await stored()).toBeNull();
    await expect(runCli(['client:return-url', '--client-id', created.clientId], env)).rejects.toThrow(/needs --client-id and --return-url/);
  });
});
