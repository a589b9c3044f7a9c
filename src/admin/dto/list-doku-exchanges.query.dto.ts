import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class ListDokuExchangesQueryDto {
  @ApiPropertyOptional({ example: 'BTR-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c', description: 'Business reference sent to DOKU' })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,64}$/, { message: 'partnerReference must be 1 to 64 printable characters' })
  partnerReference?: string;

  @ApiPropertyOptional({ example: '2026-11-23T00:00:00+07:00', description: 'Exchanges started at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-24T00:00:00+07:00', description: 'Exchanges started before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ example: 1, minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  page?: number;

  @ApiPropertyOptional({ example: 50, minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize?: number;
}
