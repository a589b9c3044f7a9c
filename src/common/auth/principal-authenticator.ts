import type { Principal } from './principal';

/**
 * Turns a request's credentials into a principal, or null. The global guard depends on this
 * abstraction; the auth feature provides it (JwtAuthenticator: passport-jwt plus the database
 * checks), so `common/` depends on no feature.
 */
export abstract class PrincipalAuthenticator {
  abstract authenticate(request: { headers: Record<string, string | string[] | undefined>; url?: string }): Promise<Principal | null>;
}
