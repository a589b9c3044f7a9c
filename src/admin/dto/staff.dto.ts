import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { ServiceScope, UserRole } from '../../common/auth/roles';
import { SERVICE_SCOPES, USER_ROLES } from '../../common/auth/roles';
import type { ServiceClient } from '../../clients/entities/service-client.entity';

export class SetRoleRequestDto {
  @ApiProperty({ enum: USER_ROLES, example: 'support', description: "'user' takes a person out of the back office" })
  @IsIn(USER_ROLES)
  role: UserRole;
}

export class RoleChangeResponseDto {
  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  userId: string;

  @ApiProperty({ enum: USER_ROLES, example: 'finance' })
  previousRole: UserRole;

  @ApiProperty({ enum: USER_ROLES, example: 'support' })
  role: UserRole;
}

export class CreateServiceClientRequestDto {
  @ApiProperty({ example: 'checkout service', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ enum: SERVICE_SCOPES, isArray: true, example: ['purchases:write', 'wallets:read'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SERVICE_SCOPES.length)
  @IsIn(SERVICE_SCOPES, { each: true })
  scopes: ServiceScope[];

  @ApiPropertyOptional({ example: 'partnerapp://checkout/done' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  appReturnUrl?: string;
}

export class ServiceClientResponseDto {
  @ApiProperty({ example: 'svc_3q2Xk9vL0aB1' })
  clientId: string;

  @ApiProperty({ example: 'checkout service' })
  name: string;

  @ApiProperty({ enum: SERVICE_SCOPES, isArray: true, example: ['purchases:write', 'wallets:read'] })
  scopes: ServiceScope[];

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ example: 1, description: 'Bumped by every rotation' })
  secretVersion: number;

  @ApiProperty({ nullable: true, type: String, example: 'partnerapp://checkout/done' })
  appReturnUrl: string | null;

  @ApiProperty({ example: '2026-12-04T10:00:00.000Z' })
  createdAt: string;

  static from(c: ServiceClient): ServiceClientResponseDto {
    return {
      clientId: c.clientId,
      name: c.name,
      scopes: c.scopes,
      active: c.active,
      secretVersion: c.secretVersion,
      appReturnUrl: c.appReturnUrl,
      createdAt: c.createdAt.toISOString(),
    };
  }
}

export class ServiceClientListResponseDto {
  @ApiProperty({ type: [ServiceClientResponseDto] })
  clients: ServiceClientResponseDto[];
}

export class ServiceClientSecretResponseDto {
  @ApiProperty({ example: 'svc_3q2Xk9vL0aB1' })
  clientId: string;

  @ApiProperty({ description: 'Shown once, in this answer only; store it now', example: 'cs_…' })
  clientSecret: string;
}

export class ServiceClientRevokedResponseDto {
  @ApiProperty({ example: 'svc_3q2Xk9vL0aB1' })
  clientId: string;

  @ApiProperty({ example: true, description: 'false when it was already revoked' })
  revoked: boolean;
}
