import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ServiceClient, ServiceScope } from './entities/service-client.entity';

@Injectable()
export class ServiceClientsRepository {
  constructor(@InjectRepository(ServiceClient) private readonly clients: Repository<ServiceClient>) {}

  findByClientIdWithSecret(clientId: string): Promise<ServiceClient | null> {
    return this.clients.createQueryBuilder('c').addSelect('c.secretHash').where('c.clientId = :clientId', { clientId }).getOne();
  }

  /** Active client whose secret version still matches the token's: checked on every service request. */
  /** The client's scopes when it is active and its secret is still at this version, else null. */
  async activeVersionScopes(clientId: string, version: number): Promise<ServiceScope[] | null> {
    const client = await this.clients.findOne({ select: { scopes: true }, where: { clientId, secretVersion: version, active: true } });
    return client ? client.scopes : null;
  }

  async create(input: {
    clientId: string;
    name: string;
    secretHash: string;
    scopes: ServiceScope[];
    appReturnUrl?: string | null;
  }): Promise<ServiceClient> {
    return this.clients.save(this.clients.create({ ...input, secretVersion: 1, active: true }));
  }

  /** The client's own app return link, null when it has none (or there is no such client). */
  async appReturnUrl(clientId: string): Promise<string | null> {
    const client = await this.clients.findOne({ select: { appReturnUrl: true }, where: { clientId } });
    return client?.appReturnUrl ?? null;
  }

  async setAppReturnUrl(clientId: string, appReturnUrl: string | null): Promise<boolean> {
    const result = await this.clients.update({ clientId }, { appReturnUrl });
    return (result.affected ?? 0) === 1;
  }

  /** Replaces the secret and bumps the version, so tokens issued before stop working. */
  async rotateSecret(clientId: string, secretHash: string): Promise<boolean> {
    const result = await this.clients
      .createQueryBuilder()
      .update(ServiceClient)
      .set({ secretHash, secretVersion: () => 'secret_version + 1' })
      .where('client_id = :clientId', { clientId })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /** A client as the back office sees it (never its secret). */
  find(clientId: string): Promise<ServiceClient | null> {
    return this.clients.findOne({ where: { clientId } });
  }

  list(): Promise<ServiceClient[]> {
    return this.clients.find({ order: { createdAt: 'DESC' } });
  }

  /** Revokes the client: its tokens stop working at once and it cannot get new ones. */
  async deactivate(clientId: string): Promise<boolean> {
    const result = await this.clients.update({ clientId, active: true }, { active: false });
    return (result.affected ?? 0) === 1;
  }
}
