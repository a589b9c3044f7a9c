import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfigService } from '../config/app-config.service';
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

export type AccessClaims = UserAccessClaims | ServiceAccessClaims;

/**
 * Issues our own access tokens: HS256, our issuer and audience, always an expiry. They are checked
 * by JwtAuthenticator (passport-jwt) with the same pins, so a token claiming `none` or an
 * asymmetric algorithm, another issuer or audience, or no expiry is refused.
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

  private sign(claims: AccessClaims, expiresIn: number): string {
    return this.jwt.sign(claims, {
      algorithm: 'HS256',
      expiresIn,
      issuer: this.config.auth.jwtIssuer,
      audience: this.config.auth.jwtAudience,
    });
  }
}
