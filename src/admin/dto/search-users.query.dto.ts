import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { USER_ROLES, UserRole } from '../../common/auth/roles';
import { PageQueryDto } from '../../common/pagination/page-query.dto';

export class SearchUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    example: 'siti@',
    description: "Part of an email address, the start of a phone number (62…), or a DOKU account id (the wallet's, whole)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'query must not contain control characters' })
  query?: string;

  @ApiPropertyOptional({ example: 'finance', enum: USER_ROLES, description: 'Only people of this role' })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole;

  @ApiPropertyOptional({
    example: 'true',
    enum: ['true', 'false'],
    description: 'Only back-office members (true) or only customers (false)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  staff?: 'true' | 'false';
}
