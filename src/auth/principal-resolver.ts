import { Injectable } from '@nestjs/common';
import { ServiceClientsRepository } from '../clients/service-clients.repository';
import { Principal } from '../common/auth/principal';
import { AuthSessionsRepository } from './auth-sessions.repository';
import { TokenService } from './token.service';

/**
 * Turns a bearer token into a principal: the token must verify (HS256 only, our issuer, not
 * expired), and what it speaks for must still be live — the user's session not ended, the service
 * client's secret not rotated. Returns null for any token that fails.
 *
 * This is deliberately not a Passport strategy: Passport keeps strategies in one process-wide
 * registry, so a second application instance in the same process (the CLI, or two instances in a
 * test) would replace the first one's strategy and its database connection.
 */
@Injectable()
export class PrincipalResolver {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: AuthSessionsRepository,
    private readonly clients: ServiceClientsRepository,
  ) {}

  async resolve(bearer: string): Promise<Principal | null> {
    const claims = this.tokens.tryVerify(bearer);
    if (!claims) return null;
    if (claims.typ === 'user') {
      if (!claims.sid || !claims.sub) return null;
      return (await this.sessions.isSessionActive(claims.sid, claims.sub)) ? this.tokens.toPrincipalShape(claims) : null;
    }
    if (!claims.sub || typeof claims.ver !== 'number') return null;
    return (await this.clients.isActiveVersion(claims.sub, claims.ver)) ? this.tokens.toPrincipalShape(claims) : null;
  }
}
