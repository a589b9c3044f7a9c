import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';

export class ListAuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'refund.requested', description: 'An action name' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9.-]{0,63}$/)
  action?: string;

  @ApiPropertyOptional({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f', description: "Who acted: a user's id, a service client's id" })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[\p{L}\p{N}\p{P}\p{S} ]*$/u, { message: 'actorId must not contain control characters' })
  actorId?: string;

  @ApiPropertyOptional({ example: 'transaction', description: 'What kind of thing was acted on' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/)
  targetType?: string;

  @ApiPropertyOptional({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[\p{L}\p{N}\p{P}\p{S} ]*$/u, { message: 'targetId must not contain control characters' })
  targetId?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'From this time (inclusive)' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z', description: 'Before this time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}
