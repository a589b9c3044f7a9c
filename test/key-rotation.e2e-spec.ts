import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { runCli } from '../src/cli/cli';
import { newAccessTokenKey } from '../src/config/signing-keys';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

interface Jwks {
  keys: Array<{ kid: string; kty: string; crv: string; alg: string; use: string; x: string; y: string; d?: string }>;
}

describe('Access-token keys: ES256 with a kid, published as a JWKS, rotated with an overlap', () => {
  const OLD = newAccessTokenKey();
  const NEW = newAccessTokenKey();
  let db: { url: string; drop: () => Promise<void> };
  const running: TestApp[] = [];
  /** An instance on the shared database with these keys, as a rolling deployment starts one. */
  const instance = async (keys: string[], active?: string): Promise<TestApp> => {
    const app = await startTestApp({ JWT_SIGNING_KEYS: keys.join(''), ...(active ? { JWT_ACTIVE_KEY_ID: active } : {}) }, db.url);
    running.push(app);
    return app;
  };
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of running.splice(0)) await app.app.close();
    await db.drop();
  });

  it('publishes the public keys at /.well-known/jwks.json, unauthenticated and cacheable; a service verifies our tokens with them alone', async () => {
    const t = await instance([OLD.privateKeyPem, NEW.privateKeyPem], NEW.kid);
    const res = await t.http().get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const jwks = res.body as Jwks;
    // The signing key first, then the verify-only one; public halves only.
    expect(jwks.keys.map((k) => k.kid)).toEqual([NEW.kid, OLD.kid]);
    for (const key of jwks.keys) {
      expect(key).toEqual({
        kid: key.kid,
        kty: 'EC',
        crv: 'P-256',
        alg: 'ES256',
        use: 'sig',
        x: expect.any(String),
        y: expect.any(String),
      });
      expect(createPublicKey({ key, format: 'jwk' }).export({ type: 'spki', format: 'pem' })).toBe(
        createPublicKey(createPrivateKey(key.kid === NEW.kid ? NEW.privateKeyPem : OLD.privateKeyPem))
          .export({ type: 'spki', format: 'pem' })
          .toString(),
      );
    }
    const user = await registerUser(t);
    const header = headerOf(user.accessToken);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: NEW.kid });
    // What an internal service does with the JWKS: pick the key by kid, check the ES256 signature.
    const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
    const [head, body, signature] = user.accessToken.split('.');
    expect(
      verify(
        'sha256',
        Buffer.from(`${head}.${body}`),
        { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(true);
    // The signing key is visible on the instance's metrics.
    const metrics = await t.http().get('/metrics');
    expect(metrics.text).toContain(`auth_access_token_signing_key{kid="${NEW.kid}"} 1`);
    expect(metrics.text).toContain(`auth_access_token_signing_key{kid="${OLD.kid}"} 0`);
  });

  it('a rotation under load (add, switch, retire, instances replaced while requests are in flight) loses no request', async () => {
    // Instances behind a load balancer: each request goes to one of the live ones; an instance
    // leaves the rotation, finishes what it has in flight, then stops.
    const live: Array<{ app: TestApp; inFlight: number }> = [];
    const pick = () => live[Math.floor(Math.random() * live.length)];
    const call = async (path: string, init: RequestInit): Promise<Response> => {
      const target = pick();
      target.inFlight++;
      try {
        return await fetch(`${target.app.url}${path}`, init);
      } finally {
        target.inFlight--;
      }
    };
    const replace = async (next: TestApp) => {
      const old = live.splice(0, live.length, { app: next, inFlight: 0 });
      live.push(...old);
      await new Promise((r) => setTimeout(r, 300));
      live.splice(1);
      for (const o of old) {
        while (o.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
        await o.app.app.close();
        running.splice(running.indexOf(o.app), 1);
      }
    };

    live.push({ app: await instance([OLD.privateKeyPem]), inFlight: 0 });
    const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(live[0].app)));
    const failures: string[] = [];
    const kidsSeen = new Set<unknown>();
    let requests = 0;
    let stop = false;
    const worker = async (user: { refreshToken: string; accessToken: string }) => {
      let refreshToken = user.refreshToken;
      let accessToken = user.accessToken;
      while (!stop) {
        for (let i = 0; i < 3; i++) {
          const me = await call('/v1/me', { headers: { authorization: `Bearer ${accessToken}` } });
          requests++;
          if (me.status !== 200) failures.push(`GET /v1/me with a ${String(headerOf(accessToken).kid)} token: ${me.status}`);
        }
        const res = await call('/v1/auth/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        });
        requests++;
        if (res.status !== 200) {
          failures.push(`POST /v1/auth/refresh: ${res.status}`);
          return;
        }
        const pair = (await res.json()) as { accessToken: string; refreshToken: string };
        ({ accessToken, refreshToken } = pair);
        kidsSeen.add(headerOf(accessToken).kid);
      }
    };
    const load = Promise.all(users.map(worker));
    await new Promise((r) => setTimeout(r, 300));
    // 1. Every instance learns the new key, verify-only.
    await replace(await instance([OLD.privateKeyPem, NEW.privateKeyPem]));
    await new Promise((r) => setTimeout(r, 300));
    // 2. The new key signs; tokens of the old one, still in hand, keep working.
    await replace(await instance([OLD.privateKeyPem, NEW.privateKeyPem], NEW.kid));
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(50);
    expect([...kidsSeen].sort()).toEqual([OLD.kid, NEW.kid].sort());

    // 3. Retired (after the longest access-token lifetime): the old key's tokens are refused, the JWKS lists the new key only.
    const oldToken = (() => {
      const claims = { ...claimsOf(users[0].accessToken), exp: Math.floor(Date.now() / 1000) + 600 };
      const head = `${b64({ alg: 'ES256', typ: 'JWT', kid: OLD.kid })}.${b64(claims)}`;
      return `${head}.${sign('sha256', Buffer.from(head), { key: createPrivateKey(OLD.privateKeyPem), dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    })();
    const overlap = live[0].app;
    const user = await registerUser(overlap);
    expect((await overlap.http().get('/v1/me').set('authorization', `Bearer ${oldToken}`)).status).toBe(200);
    await replace(await instance([NEW.privateKeyPem]));
    const retired = live[0].app;
    expect((await retired.http().get('/v1/me').set('authorization', `Bearer ${oldToken}`)).status).toBe(401);
    expect((await retired.http().get('/v1/me').set('authorization', `Bearer ${user.accessToken}`)).status).toBe(200);
    expect(((await retired.http().get('/.well-known/jwks.json')).body as Jwks).keys.map((k) => k.kid)).toEqual([NEW.kid]);
  });

  it('keys:jwt-new makes a key the configuration takes; keys:jwt-list says which key signs and which only verify', async () => {
    const made = (await runCli(['keys:jwt-new'], { NODE_ENV: 'test', DATABASE_URL: db.url })) as { kid: string; privateKeyPem: string };
    expect(made.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    const publicOnly = createPublicKey(made.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    const env = { NODE_ENV: 'test', DATABASE_URL: db.url, JWT_SIGNING_KEYS: `${OLD.privateKeyPem}${NEW.privateKeyPem}${publicOnly}` };
    expect(await runCli(['keys:jwt-list'], { ...env, JWT_ACTIVE_KEY_ID: NEW.kid })).toEqual({
      signs: NEW.kid,
      keys: [
        { kid: OLD.kid, role: 'verifies' },
        { kid: NEW.kid, role: 'signs' },
        { kid: made.kid, role: 'verifies (public key only)' },
      ],
    });
  });
});
