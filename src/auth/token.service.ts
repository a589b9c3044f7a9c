import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfigService } from '../config/app-config.service';
import { Principal } from '../common/auth/principal';
import { ServiceScope } from '../clients/entities/service-client.entity';
import { UserRole } from '../users/entities/user.entity';

export interface UserAccessClaims {
  typ: 'user';
  sub: string;
  role: UserRole;
  sid: string;
}

export interface ServiceAccessClaims {
  typ: 'service';
  sub: string;
  scope: string;
  ver: number;
}

type AccessClaims = UserAccessClaims | ServiceAccessClaims;

/**
 * Issues and checks our own access tokens. The algorithm is pinned to HS256 on both sides, so a
 * token claiming `none` or an asymmetric algorithm is refused.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfigService,
  ) {}

  signUser(claims: Omit<UserAccessClaims, 'typ'>): { token: string; expiresIn: number } {
    const expiresIn = this.config.auth.accessTokenTtlSeconds;
    return { token: this.sign({ typ: 'user', ...claims }, expiresIn), expiresIn };
  }

  signService(clientId: string, scopes: ServiceScope[], version: number): { token: string; expiresIn: number } {
    const expiresIn = this.config.auth.serviceTokenTtlSeconds;
    return {
      token: this.sign({ typ: 'service', sub: clientId, scope: scopes.join(' '), ver: version }, expiresIn),
      expiresIn,
    };
  }

  /** The claims of a valid token, or null. */
  tryVerify(token: string): AccessClaims | null {
    try {
      const claims = this.jwt.verify<AccessClaims & { iss: string }>(token, {
        algorithms: ['HS256'],
        issuer: this.config.auth.jwtIssuer,
      });
      return claims.typ === 'user' || claims.typ === 'service' ? claims : null;
    } catch {
      return null;
    }
  }

  toPrincipalShape(claims: AccessClaims): Principal {
    return claims.typ === 'user'
      ? { kind: 'user', userId: claims.sub, role: claims.role, sessionId: claims.sid }
      : { kind: 'service', clientId: claims.sub, scopes: claims.scope.split(' ').filter(Boolean) as ServiceScope[] };
  }

  private sign(claims: AccessClaims, expiresIn: number): string {
    return this.jwt.sign(claims, {
      algorithm: 'HS256',
      expiresIn,
      issuer: this.config.auth.jwtIssuer,
    });
  }
}
