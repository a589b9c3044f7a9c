import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { TokenService } from '../auth/token.service';
import { PrincipalCache } from '../common/auth/principal-cache';
import { AppError } from '../common/errors/app-error';
import { appReturnUrlProblem } from '../common/pages/app-return-url';
import { hashToken, randomSecret, safeEqualHex } from '../common/crypto/hashing';
import { ClientTokenResponseDto } from './dto/client-token.response.dto';
import { SERVICE_SCOPES, ServiceScope } from './entities/service-client.entity';
import { ServiceClientsRepository } from './service-clients.repository';

export interface CreatedClient {
  clientId: string;
  clientSecret: string;
  scopes: ServiceScope[];
  appReturnUrl?: string;
}

function checkAppReturnUrl(url: string): void {
  const problem = appReturnUrlProblem(url);
  if (problem) throw new AppError('CLIENT.INVALID_RETURN_URL', `The app return link ${problem}`);
}

@Injectable()
export class ServiceClientsService {
  constructor(
    private readonly clients: ServiceClientsRepository,
    private readonly tokens: TokenService,
    private readonly principals: PrincipalCache,
  ) {}

  /** Creates a client. The secret is returned once and only its hash is kept. */
  async create(name: string, scopes: string[], appReturnUrl?: string): Promise<CreatedClient> {
    const valid = this.validateScopes(scopes);
    if (appReturnUrl !== undefined) checkAppReturnUrl(appReturnUrl);
    const clientId = `svc_${randomBytes(9).toString('base64url')}`;
    const clientSecret = randomSecret('cs');
    await this.clients.create({ clientId, name, secretHash: hashToken(clientSecret), scopes: valid, appReturnUrl: appReturnUrl ?? null });
    return { clientId, clientSecret, scopes: valid, ...(appReturnUrl !== undefined ? { appReturnUrl } : {}) };
  }

  /**
   * Sets (or, with null, clears) the client's own app return link: the customer pages of the
   * purchases it creates lead there (docs/customer-pages.md#back-to-the-app).
   */
  async setAppReturnUrl(clientId: string, appReturnUrl: string | null): Promise<{ clientId: string; appReturnUrl: string | null }> {
    if (appReturnUrl !== null) checkAppReturnUrl(appReturnUrl);
    if (!(await this.clients.setAppReturnUrl(clientId, appReturnUrl)))
      throw new AppError('CLIENT.NOT_FOUND', 'No service client with this id');
    return { clientId, appReturnUrl };
  }

  async rotate(clientId: string): Promise<{ clientId: string; clientSecret: string }> {
    const clientSecret = randomSecret('cs');
    if (!(await this.clients.rotateSecret(clientId, hashToken(clientSecret)))) {
      throw new AppError('CLIENT.NOT_FOUND', 'No service client with this id');
    }
    this.principals.forget(`client:${clientId}`);
    return { clientId, clientSecret };
  }

  /** Revokes the client; revoking a revoked client changes nothing (false). */
  async revoke(clientId: string): Promise<{ clientId: string; revoked: boolean }> {
    if (!(await this.clients.find(clientId))) throw new AppError('CLIENT.NOT_FOUND', 'No service client with this id');
    const revoked = await this.clients.deactivate(clientId);
    this.principals.forget(`client:${clientId}`);
    return { clientId, revoked };
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
