import { createPrivateKey, createPublicKey } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { Strategy as JwtStrategy } from 'passport-jwt';
import { Registry } from 'prom-client';
import type { AppConfigService } from '../config/app-config.service';
import type { Principal } from '../common/auth/principal';
import type { MetricsService } from '../metrics/metrics.service';
import { newAccessTokenKey, parseAccessTokenKeys } from '../config/signing-keys';
import { AccessTokenKeysService } from './access-token-keys.service';
import { JwtAuthenticator } from './jwt-authenticator';
import type { PrincipalResolver } from './principal-resolver';

const OLD = newAccessTokenKey();
const NEW = newAccessTokenKey();

/** The authenticator of an instance configured with these PEM keys (the first private key signs unless `active`). */
function instance(pems: string[], active?: string): { auth: JwtAuthenticator; keys: AccessTokenKeysService } {
  const problems: string[] = [];
  const ring = parseAccessTokenKeys(pems.join('\n'), active, problems);
  expect(problems).toEqual([]);
  const config = {
    auth: { signingKeys: ring.keys, activeKeyId: ring.activeKeyId, jwtIssuer: 'partner-backend', jwtAudience: 'partner-api' },
  } as unknown as AppConfigService;
  const keys = new AccessTokenKeysService(config, { registry: new Registry() } as MetricsService);
  return { auth: new JwtAuthenticator(config, principals, keys), keys };
}
const publicPem = (privatePem: string) => createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }).toString();

const resolved: unknown[] = [];
const principals = {
  fromClaims: (claims: { sub: string }) => {
    resolved.push(claims);
    return Promise.resolve<Principal>({ kind: 'user', userId: claims.sub, role: 'user', sessionId: 's' } as Principal);
  },
} as unknown as PrincipalResolver;

describe('JwtAuthenticator', () => {
  const token = (
    claims: object,
    options: { key?: { kid: string; privateKeyPem: string }; kid?: string | null; expiresIn?: number; issuer?: string } = {},
  ) => {
    const key = options.key ?? OLD;
    const kid = options.kid === undefined ? key.kid : options.kid;
    return sign({ typ: 'user', sid: 's', role: 'user', ...claims }, createPrivateKey(key.privateKeyPem), {
      algorithm: 'ES256',
      ...(kid === null ? {} : { keyid: kid }),
      issuer: options.issuer ?? 'partner-backend',
      audience: 'partner-api',
      expiresIn: options.expiresIn ?? 60,
    });
  };
  const request = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
  let verifications: jest.SpyInstance;
  beforeEach(() => {
    resolved.length = 0;
    verifications = jest.spyOn(JwtStrategy as unknown as { JwtVerifier: (...args: unknown[]) => void }, 'JwtVerifier');
  });
  afterEach(() => jest.restoreAllMocks());

  it('verifies a token once, then recognises the same bytes until it expires; the principal is resolved every time', async () => {
    const { auth } = instance([OLD.privateKeyPem]);
    const t = token({ sub: 'u1' });
    for (let i = 0; i < 3; i++) expect(await auth.authenticate(request(t))).toMatchObject({ userId: 'u1' });
    expect(verifications).toHaveBeenCalledTimes(1);
    expect(resolved).toHaveLength(3);
  });

  it('refuses a remembered token once its exp has passed', async () => {
    const { auth } = instance([OLD.privateKeyPem]);
    const t = token({ sub: 'u2' }, { expiresIn: 30 });
    expect(await auth.authenticate(request(t))).toMatchObject({ userId: 'u2' });
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 31_000);
    expect(await auth.authenticate(request(t))).toBeNull();
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('a changed signature, another issuer, an unknown key, a missing kid or a kid naming another key is refused', async () => {
    const { auth } = instance([OLD.privateKeyPem]);
    const t = token({ sub: 'u3' });
    expect(await auth.authenticate(request(t))).not.toBeNull();
    const [head, body, signature] = t.split('.');
    const flipped = `${head}.${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await auth.authenticate(request(flipped))).toBeNull();
    expect(await auth.authenticate(request(token({ sub: 'u3' }, { issuer: 'someone-else' })))).toBeNull();
    expect(await auth.authenticate(request(token({ sub: 'u3' }, { key: NEW })))).toBeNull();
    expect(await auth.authenticate(request(token({ sub: 'u3' }, { kid: null })))).toBeNull();
    // Signed with a key we do not hold, claiming to be ours.
    expect(await auth.authenticate(request(token({ sub: 'u3' }, { key: NEW, kid: OLD.kid })))).toBeNull();
    expect(resolved).toHaveLength(1);
  });

  it('refuses HS256 signed with our public key as the secret (algorithm confusion)', async () => {
    const { auth } = instance([OLD.privateKeyPem]);
    const forged = sign({ typ: 'user', sub: 'u5', sid: 's', role: 'admin' }, publicPem(OLD.privateKeyPem), {
      algorithm: 'HS256',
      keyid: OLD.kid,
      issuer: 'partner-backend',
      audience: 'partner-api',
      expiresIn: 60,
    });
    expect(await auth.authenticate(request(forged))).toBeNull();
  });

  it('during the overlap both keys verify and the active one signs; once the old key is removed its tokens are refused', async () => {
    const before = token({ sub: 'u6' }, { key: OLD });
    const after = token({ sub: 'u6' }, { key: NEW });
    // Step 1, the new key added to verify only; step 2, it signs; the old key still verifies; step 3, retired.
    const added = instance([OLD.privateKeyPem, NEW.privateKeyPem]);
    expect(added.keys.active.kid).toBe(OLD.kid);
    const switched = instance([OLD.privateKeyPem, NEW.privateKeyPem], NEW.kid);
    expect(switched.keys.active.kid).toBe(NEW.kid);
    for (const { auth } of [added, switched]) {
      expect(await auth.authenticate(request(before))).toMatchObject({ userId: 'u6' });
      expect(await auth.authenticate(request(after))).toMatchObject({ userId: 'u6' });
    }
    // The old key may stay as a public key only: it verifies, it cannot sign.
    const publicOnly = instance([NEW.privateKeyPem, publicPem(OLD.privateKeyPem)]);
    expect(await publicOnly.auth.authenticate(request(before))).toMatchObject({ userId: 'u6' });
    const retired = instance([NEW.privateKeyPem]);
    expect(await retired.auth.authenticate(request(before))).toBeNull();
    expect(await retired.auth.authenticate(request(after))).toMatchObject({ userId: 'u6' });
    expect(retired.keys.jwks().keys.map((k) => k.kid)).toEqual([NEW.kid]);
    expect(switched.keys.jwks().keys.map((k) => k.kid)).toEqual([NEW.kid, OLD.kid]);
  });
});
