import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ServiceClientsService } from '../../src/clients/service-clients.service';
import type { ServiceScope } from '../../src/clients/entities/service-client.entity';
import type { UserRole } from '../../src/users/entities/user.entity';
import type { TestApp } from './test-app';

let counter = 0;

export function uniquePhone(): string {
  return `628${String(Date.now() % 1e6).padStart(6, '0')}${String(counter++ % 1e4).padStart(4, '0')}`;
}

export interface SignedInUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export async function registerUser(t: TestApp, role: UserRole = 'user'): Promise<SignedInUser> {
  const email = `u${randomBytes(6).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const res = await t.http().post('/v1/auth/register').send({ name: 'Test User', email, phone: uniquePhone(), password });
  if (res.status !== 202) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const signIn = await t.http().post('/v1/auth/login').send({ email, password });
  if (signIn.status !== 200) throw new Error(`login failed: ${signIn.status} ${JSON.stringify(signIn.body)}`);
  // The user's id is the token's subject (read from it rather than asked for, so the helper spends
  // none of a test's per-route request budget).
  const claims = JSON.parse(Buffer.from(String(signIn.body.accessToken).split('.')[1], 'base64url').toString('utf8')) as { sub: string };
  const user: SignedInUser = {
    id: claims.sub,
    email,
    password,
    accessToken: signIn.body.accessToken,
    refreshToken: signIn.body.refreshToken,
  };
  if (role !== 'user') {
    // Back-office roles are granted by an admin (or the CLI), never by self-registration.
    await t.app.get(DataSource).query('UPDATE users SET role = $1 WHERE id = $2', [role, user.id]);
    const login = await t.http().post('/v1/auth/login').send({ email, password });
    user.accessToken = login.body.accessToken;
    user.refreshToken = login.body.refreshToken;
  }
  return user;
}

export async function serviceToken(t: TestApp, scopes: ServiceScope[]): Promise<{ token: string; clientId: string; clientSecret: string }> {
  const created = await t.app.get(ServiceClientsService).create('test service', scopes);
  const res = await t
    .http()
    .post('/v1/oauth/token')
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: created.clientId, client_secret: created.clientSecret });
  if (res.status !== 200) throw new Error(`client token failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.access_token, clientId: created.clientId, clientSecret: created.clientSecret };
}
