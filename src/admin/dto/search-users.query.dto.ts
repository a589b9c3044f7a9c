import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class SearchUsersQueryDto {
  @ApiPropertyOptional({ example: 'siti@', description: 'Part of an email address, or the start of a phone number (62…)' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'query must not contain control characters' })
  query?: string;

  @ApiPropertyOptional({ example: 1, minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  page?: number;

  @ApiPropertyOptional({ example: 20, minimum: 1, maximum: 50, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  pageSize?: number;
}
