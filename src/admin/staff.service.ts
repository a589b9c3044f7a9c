import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../audit/audit-chain';
import { AuditTrail } from '../audit/audit-trail.service';
import { ServiceClientsRepository } from '../clients/service-clients.repository';
import { ServiceClientsService } from '../clients/service-clients.service';
import { AppError } from '../common/errors/app-error';
import { isUuid } from '../common/http/id-params';
import type { UserRole } from '../common/auth/roles';
import { User } from '../users/entities/user.entity';
import type { CreateServiceClientRequestDto, RoleChangeResponseDto, ServiceClientListResponseDto } from './dto/staff.dto';
import { ServiceClientResponseDto } from './dto/staff.dto';

/** Admins manage who may do what: people's roles and the internal services' clients. Every change is audited. */
@Injectable()
export class StaffService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clients: ServiceClientsService,
    private readonly clientRecords: ServiceClientsRepository,
    private readonly audit: AuditTrail,
  ) {}

  /** A person's role, changed with its audit row in one transaction. An admin cannot change their own. */
  async setRole(actor: AuditActor, userId: string, role: UserRole): Promise<RoleChangeResponseDto> {
    if (!isUuid(userId)) throw new AppError('USER.NOT_FOUND', 'No such user');
    if (userId === actor.id) throw new AppError('ADMIN.OWN_ROLE', 'Another admin must change your role');
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ role: UserRole }[]>(`SELECT role FROM users WHERE id = $1 FOR UPDATE`, [userId]);
      if (!rows[0]) throw new AppError('USER.NOT_FOUND', 'No such user');
      const previousRole = rows[0].role;
      if (previousRole !== role) await tx.getRepository(User).update({ id: userId }, { role });
      await this.audit.record(
        { actor, action: 'user.role-changed', target: { type: 'user', id: userId }, before: { role: previousRole }, after: { role } },
        tx,
      );
      return { userId, previousRole, role };
    });
  }

  async listClients(): Promise<ServiceClientListResponseDto> {
    return { clients: (await this.clientRecords.list()).map((c) => ServiceClientResponseDto.from(c)) };
  }

  async createClient(actor: AuditActor, input: CreateServiceClientRequestDto): Promise<{ clientId: string; clientSecret: string }> {
    const created = await this.clients.create(input.name, input.scopes, input.appReturnUrl);
    await this.audit.record({
      actor,
      action: 'service-client.created',
      target: { type: 'service-client', id: created.clientId },
      after: { name: input.name, ...created },
    });
    return created;
  }

  async rotateClient(actor: AuditActor, clientId: string): Promise<{ clientId: string; clientSecret: string }> {
    const before = await this.clientRecords.find(clientId);
    const rotated = await this.clients.rotate(clientId);
    await this.audit.record({
      actor,
      action: 'service-client.rotated',
      target: { type: 'service-client', id: clientId },
      before: before ? { secretVersion: before.secretVersion } : null,
      after: { secretVersion: (before?.secretVersion ?? 0) + 1, clientSecret: rotated.clientSecret },
    });
    return rotated;
  }

  async revokeClient(actor: AuditActor, clientId: string): Promise<{ clientId: string; revoked: boolean }> {
    const before = await this.clientRecords.find(clientId);
    const result = await this.clients.revoke(clientId);
    await this.audit.record({
      actor,
      action: 'service-client.revoked',
      target: { type: 'service-client', id: clientId },
      before: before ? { active: before.active } : null,
      after: { active: false },
    });
    return result;
  }
}
