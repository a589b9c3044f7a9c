import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';

export class SearchUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'siti@', description: 'Part of an email address, or the start of a phone number (62…)' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'query must not contain control characters' })
  query?: string;
}
