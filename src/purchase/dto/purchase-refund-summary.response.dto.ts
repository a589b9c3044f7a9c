import { ApiProperty } from '@nestjs/swagger';
import { TRANSACTION_STATUSES, TransactionStatus } from '../../transactions/transaction-state';

/** A refund or cancel of a purchase, as listed on the purchase. */
export class PurchaseRefundSummaryResponseDto {
  @ApiProperty({ example: '0b5e7c9a-1d2f-4a6b-8c3e-5f7a9b1c2d3e' })
  id: string;

  @ApiProperty({ example: 'REFUND', enum: ['REFUND', 'CANCEL'] })
  type: 'REFUND' | 'CANCEL';

  @ApiProperty({ example: 'SUCCESS', enum: TRANSACTION_STATUSES })
  status: TransactionStatus;

  @ApiProperty({ example: 20000 })
  amount: number;

  @ApiProperty({ example: '2026-11-23T10:20:00.000Z' })
  createdAt: string;
}
