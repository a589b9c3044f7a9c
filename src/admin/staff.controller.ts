import { serviceClientIdPipe } from '../common/http/resource-id.pipes';
import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/audit-actor.decorator';
import { AuditActor } from '../audit/audit-chain';
import { AllowUsers } from '../common/auth/auth.decorators';
import { NoBodyPipe } from '../common/http/no-body.pipe';
import {
  CreateServiceClientRequestDto,
  RoleChangeResponseDto,
  ServiceClientListResponseDto,
  ServiceClientRevokedResponseDto,
  ServiceClientSecretResponseDto,
  SetRoleRequestDto,
} from './dto/staff.dto';
import { StaffService } from './staff.service';

/** Admins: people's roles and the internal services' clients (create, rotate, revoke). */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin')
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Put('users/:userId/role')
  @AllowUsers('admin')
  @ApiOperation({ summary: "Set a person's role (user, support, finance, admin); not one's own" })
  @ApiOkResponse({ type: RoleChangeResponseDto })
  setRole(@Actor() actor: AuditActor, @Param('userId') userId: string, @Body() body: SetRoleRequestDto): Promise<RoleChangeResponseDto> {
    return this.staff.setRole(actor, userId, body.role);
  }

  @Get('service-clients')
  @AllowUsers('admin')
  @ApiOperation({ summary: "The internal services' clients (never their secrets)" })
  @ApiOkResponse({ type: ServiceClientListResponseDto })
  listClients(): Promise<ServiceClientListResponseDto> {
    return this.staff.listClients();
  }

  @Post('service-clients')
  @AllowUsers('admin')
  @ApiOperation({ summary: 'Create a service client; its secret is in this answer only' })
  @ApiCreatedResponse({ type: ServiceClientSecretResponseDto })
  createClient(@Actor() actor: AuditActor, @Body() body: CreateServiceClientRequestDto): Promise<ServiceClientSecretResponseDto> {
    return this.staff.createClient(actor, body);
  }

  @Post('service-clients/:clientId/rotate')
  @HttpCode(200)
  @AllowUsers('admin')
  @ApiOperation({ summary: 'A new secret, shown once; tokens issued before stop working' })
  @ApiOkResponse({ type: ServiceClientSecretResponseDto })
  rotateClient(
    @Actor() actor: AuditActor,
    @Param('clientId', serviceClientIdPipe) clientId: string,
    @Body(NoBodyPipe) _body: unknown,
  ): Promise<ServiceClientSecretResponseDto> {
    return this.staff.rotateClient(actor, clientId);
  }

  @Post('service-clients/:clientId/revoke')
  @HttpCode(200)
  @AllowUsers('admin')
  @ApiOperation({ summary: 'Revoke a service client: its tokens stop working and it gets no new ones' })
  @ApiOkResponse({ type: ServiceClientRevokedResponseDto })
  revokeClient(
    @Actor() actor: AuditActor,
    @Param('clientId', serviceClientIdPipe) clientId: string,
    @Body(NoBodyPipe) _body: unknown,
  ): Promise<ServiceClientRevokedResponseDto> {
    return this.staff.revokeClient(actor, clientId);
  }
}
