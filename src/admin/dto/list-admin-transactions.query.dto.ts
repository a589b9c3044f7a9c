import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PAYMENT_METHODS, PaymentMethod } from '../../transactions/payment-method';
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

  @ApiPropertyOptional({
    example: 'open',
    enum: ['open', 'true', 'false'],
    description: "Settled purchases DOKU's answer contradicts: not yet handled (open), all of them (true), or only the others (false)",
  })
  @IsOptional()
  @IsIn(['open', 'true', 'false'])
  dokuDisagrees?: 'open' | 'true' | 'false';

  @ApiPropertyOptional({ example: 'DOKU_WALLET', enum: PAYMENT_METHODS, description: 'The channel (docs/channels.md)' })
  @IsOptional()
  @IsIn(PAYMENT_METHODS)
  paymentMethod?: PaymentMethod;

  @ApiPropertyOptional({ example: 100000, description: 'Amount at least this many rupiah' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  minAmount?: number;

  @ApiPropertyOptional({ example: 5000000, description: 'Amount at most this many rupiah' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  maxAmount?: number;

  @ApiPropertyOptional({ example: '2026-11-23T00:00:00+07:00', description: 'Created at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-24T00:00:00+07:00', description: 'Created before this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}
