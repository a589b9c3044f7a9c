import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches } from 'class-validator';

export class ListEventsQueryDto {
  @ApiPropertyOptional({ example: '1042', default: '0', description: 'The nextCursor of the previous page; 0 for the beginning' })
  @IsOptional()
  @Matches(/^(0|[1-9]\d{0,17})$/, { message: 'after must be a non-negative integer' })
  after?: string;

  @ApiPropertyOptional({ example: 100, default: 100, description: 'Page size, clamped to 1..500' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  limit?: number;
}
