import { ApiProperty } from '@nestjs/swagger';
import { AdminUserResponseDto } from './admin-user.response.dto';

export class AdminUserPageResponseDto {
  @ApiProperty({ type: [AdminUserResponseDto] })
  items: AdminUserResponseDto[];

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  pageSize: number;

  @ApiProperty({ example: 1 })
  total: number;
}
