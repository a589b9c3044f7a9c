import { Injectable } from '@nestjs/common';
import { Passport } from 'passport';
import { Strategy as JwtStrategy } from 'passport-jwt';
import { AppConfigService } from '../config/app-config.service';
import { Principal } from '../common/auth/principal';
import type { PrincipalAuthenticator } from '../common/auth/principal-authenticator';
import { BACK_OFFICE_ROLES, consoleAccessToken, hasCsrfToken } from './console-session';
import { PrincipalResolver } from './principal-resolver';
import { AccessClaims } from './token.service';
import { AccessTokenKeysService, ACCESS_TOKEN_ALGORITHM } from './access-token-keys.service';

/** How many verified tokens an instance remembers (the oldest is forgotten first). */
const VERIFIED_TOKENS_MAX = 10_000;

interface VerifiedToken {
  claims: AccessClaims;
  /** The key that verified it: a token is remembered only while its key is still in the ring. */
  kid: string;
  /** The token's `exp`, in milliseconds. */
  expiresAt: number;
}

type AuthRequest = { headers: Record<string, string | string[] | undefined>; url?: string };

/** The `kid` of a token's header, undefined when the header is not readable JSON. */
function headerKeyId(token: string): unknown {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    return header && typeof header === 'object' ? (header as { kid?: unknown }).kid : undefined;
  } catch {
    return undefined;
  }
}

function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  return header.slice(7);
}

/** The request's token: its bearer token, else the console's cookie (src/auth/console-session.ts). */
function requestToken(request: AuthRequest): string | undefined {
  return bearerToken(request.headers.authorization) ?? consoleAccessToken(request);
}

/**
 * Authenticates a request's bearer token with passport-jwt: ES256 only, verified with the key of
 * the ring its `kid` names (a token naming no key of ours is refused), our issuer and audience, not
 * expired; then PrincipalResolver checks what the token speaks for is still live.
 *
 * Each application instance has its own Passport authenticator with its own strategy, instead of
 * passport's process-wide one: a second instance in the same process (the CLI, or several apps in
 * one test run) would otherwise replace the first one's strategy, and with it the secret and the
 * keys and the database connection it checks against.
 *
 * A token that passed passport-jwt's checks is remembered, by its exact text (signature included),
 * until its `exp`: the same bytes are not verified again on every request of its lifetime. What the
 * token speaks for (session, client, role) is still checked on every request by PrincipalResolver.
 *
 * Without a bearer token, the back-office console's cookie is the token on the back-office paths;
 * it then speaks only for a back-office role and only with the session's X-CSRF-Token.
 */
@Injectable()
export class JwtAuthenticator implements PrincipalAuthenticator {
  private readonly passport = new Passport();
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    config: AppConfigService,
    private readonly principals: PrincipalResolver,
    private readonly keys: AccessTokenKeysService,
  ) {
    this.passport.use(
      'jwt',
      new JwtStrategy(
        {
          jwtFromRequest: (request: AuthRequest) => requestToken(request) ?? null,
          // The key the token's `kid` names, a KeyObject (a PEM string would be parsed on every call).
          secretOrKeyProvider: (_request: unknown, rawToken: string, done: (err: unknown, key?: string) => void) => {
            const key = keys.publicKey(headerKeyId(rawToken));
            if (key) done(null, key as unknown as string);
            else done(new Error('The token names no key of ours'));
          },
          algorithms: [ACCESS_TOKEN_ALGORITHM],
          issuer: config.auth.jwtIssuer,
          audience: config.auth.jwtAudience,
          passReqToCallback: true,
        },
        (request: AuthRequest, claims: AccessClaims, done: (err: unknown, principal?: Principal | false) => void) => {
          this.remember(requestToken(request), claims);
          principals.fromClaims(claims).then(
            (principal) => done(null, principal ?? false),
            (e: unknown) => done(e),
          );
        },
      ),
    );
  }

  /** The request's principal, or null when it has no valid bearer token (or console cookie with its CSRF token). */
  async authenticate(request: AuthRequest): Promise<Principal | null> {
    const principal = await this.verify(request);
    if (principal === null || bearerToken(request.headers.authorization) !== undefined) return principal;
    // Authenticated by the console's cookie: a back-office member, and the session's CSRF token.
    if (principal.kind !== 'user' || !BACK_OFFICE_ROLES.includes(principal.role)) return null;
    return hasCsrfToken(request.headers, this.keys, principal.sessionId) ? principal : null;
  }

  /** The principal a token stands for (the console's session check), or null. */
  principalOfToken(token: string): Promise<Principal | null> {
    return this.verify({ headers: { authorization: `Bearer ${token}` } });
  }

  private verify(request: AuthRequest): Promise<Principal | null> {
    const token = requestToken(request);
    const known = token === undefined ? undefined : this.verified.get(token);
    if (known !== undefined && token !== undefined) {
      if (Date.now() < known.expiresAt && this.keys.publicKey(known.kid))
        return this.principals.fromClaims(known.claims).then((principal) => principal ?? null);
      this.verified.delete(token);
    }
    return new Promise((resolve, reject) => {
      const middleware = this.passport.authenticate('jwt', { session: false }, (err: unknown, principal: Principal | false) =>
        err ? reject(err instanceof Error ? err : new Error('The bearer token could not be checked')) : resolve(principal || null),
      ) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
      middleware(request, undefined, reject);
    });
  }

  private remember(token: string | undefined, claims: AccessClaims): void {
    const exp = (claims as { exp?: unknown }).exp;
    if (token === undefined || typeof exp !== 'number') return;
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    const kid = headerKeyId(token);
    if (typeof kid !== 'string') return;
    this.verified.set(token, { claims, kid, expiresAt: exp * 1000 });
  }
}
