import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { runCli } from '../src/cli/cli';
import { MIGRATIONS } from '../src/database/migrations';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { adminQuery, runDatabaseName, withDatabase } from './support/test-database';

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

  it('migration:run and migration:revert are not held to the statement timeout: each waits out a lock on the migrations table longer than it', async () => {
    const name = runDatabaseName('cli-migrations');
    const adminUrl = process.env.TEST_PG_ADMIN_URL!;
    await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
    const url = withDatabase(adminUrl, name);
    const operator = { NODE_ENV: 'test', DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: '300' };
    expect(((await runCli(['migration:run'], operator)) as { applied: string[] }).applied).toHaveLength(MIGRATIONS.length);
    /** Runs `command` while another session holds the migrations table for 1.2 s (four times the timeout). */
    const whileLocked = async (command: string): Promise<unknown> => {
      const holder = new Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE migrations IN SHARE MODE');
        const released = new Promise((resolve) => setTimeout(resolve, 1_200)).then(() => holder.query('COMMIT'));
        const result = await runCli([command], operator);
        await released;
        return result;
      } finally {
        await holder.end();
      }
    };
    expect(await whileLocked('migration:revert')).toEqual({ reverted: true });
    expect(((await whileLocked('migration:run')) as { applied: string[] }).applied).toEqual([MIGRATIONS.at(-1)!.name]);
  });
});
