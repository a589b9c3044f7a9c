import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { TokenService } from '../auth/token.service';
import { AppError } from '../common/errors/app-error';
import { hashToken, randomSecret, safeEqualHex } from '../common/crypto/hashing';
import { ClientTokenResponseDto } from './dto/client-token.response.dto';
import { SERVICE_SCOPES, ServiceScope } from './entities/service-client.entity';
import { ServiceClientsRepository } from './service-clients.repository';

export interface CreatedClient {
  clientId: string;
  clientSecret: string;
  scopes: ServiceScope[];
}

@Injectable()
export class ServiceClientsService {
  constructor(
    private readonly clients: ServiceClientsRepository,
    private readonly tokens: TokenService,
  ) {}

  /** Creates a client. The secret is returned once and only its hash is kept. */
  async create(name: string, scopes: string[]): Promise<CreatedClient> {
    const valid = this.validateScopes(scopes);
    const clientId = `svc_${randomBytes(9).toString('base64url')}`;
    const clientSecret = randomSecret('cs');
    await this.clients.create({ clientId, name, secretHash: hashToken(clientSecret), scopes: valid });
    return { clientId, clientSecret, scopes: valid };
  }

  async rotate(clientId: string): Promise<{ clientId: string; clientSecret: string }> {
    const clientSecret = randomSecret('cs');
    if (!(await this.clients.rotateSecret(clientId, hashToken(clientSecret)))) {
      throw new AppError('CLIENT.NOT_FOUND', 'No service client with this id');
    }
    return { clientId, clientSecret };
  }

  async issueToken(clientId: string | undefined, clientSecret: string | undefined, scope?: string): Promise<ClientTokenResponseDto> {
    const invalid = () => new AppError('AUTH.INVALID_CLIENT', 'Client authentication failed');
    if (!clientId || !clientSecret) throw invalid();
    // No client id holds control characters, and PostgreSQL text cannot hold NUL at all.
    if (/\p{Cc}/u.test(clientId)) throw invalid();
    const client = await this.clients.findByClientIdWithSecret(clientId);
    if (!client || !client.active || !safeEqualHex(client.secretHash, hashToken(clientSecret))) throw invalid();
    let scopes = client.scopes;
    if (scope) {
      const asked = scope.split(' ');
      const notGranted = asked.filter((s) => !client.scopes.includes(s as ServiceScope));
      if (notGranted.length) {
        throw new AppError('AUTH.INSUFFICIENT_SCOPE', 'The client is not granted every requested scope', { notGranted });
      }
      scopes = asked as ServiceScope[];
    }
    const token = this.tokens.signService(client.clientId, scopes, client.secretVersion);
    return { access_token: token.token, token_type: 'Bearer', expires_in: token.expiresIn, scope: scopes.join(' ') };
  }

  private validateScopes(scopes: string[]): ServiceScope[] {
    const unknown = scopes.filter((s) => !SERVICE_SCOPES.includes(s as ServiceScope));
    if (unknown.length || scopes.length === 0) {
      throw new AppError('REQUEST.VALIDATION_FAILED', `Scopes must be among: ${SERVICE_SCOPES.join(', ')}`, { unknown });
    }
    return [...new Set(scopes)] as ServiceScope[];
  }
}
