import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';

/** DOKU's history pages hold at most 50 items; larger page sizes are refused (docs/reliability.md, R10). */
export const MAX_HISTORY_PAGE_SIZE = 50;

export class ListTransactionsQueryDto {
  @ApiPropertyOptional({
    example: '2026-11-01T00:00:00+07:00',
    description: 'Start of the window (default: 30 days before `to`); the window is at most 31 days',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-23T23:59:59+07:00', description: 'End of the window (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ example: 1, minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  page?: number;

  @ApiPropertyOptional({ example: 20, minimum: 1, maximum: MAX_HISTORY_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_HISTORY_PAGE_SIZE)
  pageSize?: number;
}
