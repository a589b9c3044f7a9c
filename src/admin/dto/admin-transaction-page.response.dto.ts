import { ApiProperty } from '@nestjs/swagger';
import { AdminTransactionResponseDto } from './admin-transaction.response.dto';

export class AdminTransactionPageResponseDto {
  @ApiProperty({ type: [AdminTransactionResponseDto] })
  items: AdminTransactionResponseDto[];

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  pageSize: number;

  @ApiProperty({ example: 1 })
  total: number;
}
