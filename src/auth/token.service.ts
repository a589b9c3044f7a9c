import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfigService } from '../config/app-config.service';
import { AccessTokenKeysService, ACCESS_TOKEN_ALGORITHM } from './access-token-keys.service';
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
 * Issues our own access tokens: ES256 with the key ring's active key, its `kid` in the header, our
 * issuer and audience, always an expiry. They are checked by JwtAuthenticator (passport-jwt) with
 * the same pins, so a token claiming `none` or another algorithm, an unknown `kid`, another issuer
 * or audience, or no expiry is refused.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfigService,
    private readonly keys: AccessTokenKeysService,
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
    const { kid, privateKey } = this.keys.active;
    return this.jwt.sign(claims, {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      keyid: kid,
      // A KeyObject: given a PEM string, jsonwebtoken parses it again on every token.
      privateKey: privateKey as unknown as string,
      expiresIn,
      issuer: this.config.auth.jwtIssuer,
      audience: this.config.auth.jwtAudience,
    });
  }
}
