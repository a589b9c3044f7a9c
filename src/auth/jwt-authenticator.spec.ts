import { sign } from 'jsonwebtoken';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { AppConfigService } from '../config/app-config.service';
import type { Principal } from '../common/auth/principal';
import { JwtAuthenticator } from './jwt-authenticator';
import type { PrincipalResolver } from './principal-resolver';

const SECRET = 'a test signing secret of enough length';
const config = { auth: { jwtSecret: SECRET, jwtIssuer: 'partner-backend', jwtAudience: 'partner-api' } } as unknown as AppConfigService;

describe('JwtAuthenticator', () => {
  const resolved: unknown[] = [];
  const principals = {
    fromClaims: (claims: { sub: string }) => {
      resolved.push(claims);
      return Promise.resolve<Principal>({ kind: 'user', userId: claims.sub, role: 'user', sessionId: 's' } as Principal);
    },
  } as unknown as PrincipalResolver;
  const token = (claims: object, options: { secret?: string; expiresIn?: number; issuer?: string } = {}) =>
    sign({ typ: 'user', sid: 's', role: 'user', ...claims }, options.secret ?? SECRET, {
      algorithm: 'HS256',
      issuer: options.issuer ?? 'partner-backend',
      audience: 'partner-api',
      expiresIn: options.expiresIn ?? 60,
    });
  const request = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
  let verifications: jest.SpyInstance;
  beforeEach(() => {
    resolved.length = 0;
    verifications = jest.spyOn(JwtStrategy as unknown as { JwtVerifier: (...args: unknown[]) => void }, 'JwtVerifier');
  });
  afterEach(() => jest.restoreAllMocks());

  it('verifies a token once, then recognises the same bytes until it expires; the principal is resolved every time', async () => {
    const auth = new JwtAuthenticator(config, principals);
    const t = token({ sub: 'u1' });
    for (let i = 0; i < 3; i++) expect(await auth.authenticate(request(t))).toMatchObject({ userId: 'u1' });
    expect(verifications).toHaveBeenCalledTimes(1);
    expect(resolved).toHaveLength(3);
  });

  it('refuses a remembered token once its exp has passed', async () => {
    const auth = new JwtAuthenticator(config, principals);
    const t = token({ sub: 'u2' }, { expiresIn: 30 });
    expect(await auth.authenticate(request(t))).toMatchObject({ userId: 'u2' });
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 31_000);
    expect(await auth.authenticate(request(t))).toBeNull();
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('a changed signature, another issuer or another secret is verified afresh and refused', async () => {
    const auth = new JwtAuthenticator(config, principals);
    const t = token({ sub: 'u3' });
    expect(await auth.authenticate(request(t))).not.toBeNull();
    const [head, body, signature] = t.split('.');
    const flipped = `${head}.${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await auth.authenticate(request(flipped))).toBeNull();
    expect(await auth.authenticate(request(token({ sub: 'u3' }, { issuer: 'someone-else' })))).toBeNull();
    expect(await auth.authenticate(request(token({ sub: 'u3' }, { secret: 'another secret of enough length!!' })))).toBeNull();
    expect(resolved).toHaveLength(1);
  });

  it('a token verified by one instance is not taken by another with a different secret', async () => {
    const t = token({ sub: 'u4' });
    expect(await new JwtAuthenticator(config, principals).authenticate(request(t))).not.toBeNull();
    const other = { auth: { ...config.auth, jwtSecret: 'the other instance has another secret' } } as unknown as AppConfigService;
    expect(await new JwtAuthenticator(other, principals).authenticate(request(t))).toBeNull();
  });
});
