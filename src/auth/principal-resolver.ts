import { Injectable } from '@nestjs/common';
import { ServiceClientsRepository } from '../clients/service-clients.repository';
import { Principal } from '../common/auth/principal';
import { AuthSessionsRepository } from './auth-sessions.repository';
import { PrincipalCache } from '../common/auth/principal-cache';
import { AccessClaims } from './token.service';

/**
 * Turns the claims of a verified token into a principal, from the database rather than from the
 * token where it matters: a user's session must still be live and the user active, and the role is
 * the user's role now (a member removed from the back office loses it at once, not when the token
 * expires); a service client's secret must not have been rotated since, and its scopes are the
 * client's scopes now (read through PrincipalCache, which forgets a principal the moment it
 * changes). Returns null when the token no longer speaks for anyone.
 */
@Injectable()
export class PrincipalResolver {
  constructor(
    private readonly sessions: AuthSessionsRepository,
    private readonly clients: ServiceClientsRepository,
    private readonly cache: PrincipalCache,
  ) {}

  async fromClaims(claims: AccessClaims & { exp?: unknown }): Promise<Principal | null> {
    // jsonwebtoken accepts a token without `exp` as never expiring; ours always carry one.
    if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string' || !claims.sub) return null;
    if (claims.typ === 'user') {
      if (typeof claims.sid !== 'string' || !claims.sid) return null;
      const { sid, sub } = claims;
      const role = await this.cache.sessionRole(sid, sub, () => this.sessions.activeSessionRole(sid, sub));
      return role ? { kind: 'user', userId: claims.sub, role, sessionId: claims.sid } : null;
    }
    if (claims.typ === 'service') {
      if (typeof claims.ver !== 'number') return null;
      const { sub, ver } = claims;
      const scopes = await this.cache.clientScopes(sub, ver, () => this.clients.activeVersionScopes(sub, ver));
      return scopes ? { kind: 'service', clientId: claims.sub, scopes } : null;
    }
    return null;
  }
}
