import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ServiceClient, ServiceScope } from './entities/service-client.entity';

@Injectable()
export class ServiceClientsRepository {
  constructor(@InjectRepository(ServiceClient) private readonly clients: Repository<ServiceClient>) {}

  findByClientIdWithSecret(clientId: string): Promise<ServiceClient | null> {
    return this.clients
      .createQueryBuilder('c')
      .addSelect('c.secretHash')
      .where('c.clientId = :clientId', { clientId })
      .getOne();
  }

  /** Active client whose secret version still matches the token's: checked on every service request. */
  async isActiveVersion(clientId: string, version: number): Promise<boolean> {
    return this.clients.exists({ where: { clientId, secretVersion: version, active: true } });
  }

  async create(input: { clientId: string; name: string; secretHash: string; scopes: ServiceScope[] }): Promise<ServiceClient> {
    return this.clients.save(this.clients.create({ ...input, secretVersion: 1, active: true }));
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
}
