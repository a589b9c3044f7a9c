import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { TRANSACTION_STATUSES, TRANSACTION_TYPES, TransactionStatus, TransactionType } from '../../transactions/transaction-state';
import { PageQueryDto } from '../../common/pagination/page-query.dto';

export class ListAdminTransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'UNKNOWN', enum: TRANSACTION_STATUSES })
  @IsOptional()
  @IsIn(TRANSACTION_STATUSES)
  status?: TransactionStatus;

  @ApiPropertyOptional({ example: 'BANK_TRANSFER', enum: TRANSACTION_TYPES })
  @IsOptional()
  @IsIn(TRANSACTION_TYPES)
  type?: TransactionType;

  @ApiPropertyOptional({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({
    example: 'true',
    enum: ['true', 'false'],
    description: 'Only transactions waiting for the back office (true) or only the others (false)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  attention?: 'true' | 'false';
}
