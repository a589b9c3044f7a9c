import { ApiProperty } from '@nestjs/swagger';
import { TRANSACTION_STATUSES, TransactionStatus } from '../../../transactions/transaction-state';

/** 201 when DOKU refunded it; 202 with status UNKNOWN when DOKU's answer was lost (the GET on the purchase settles it). */
export class RefundResponseDto {
  @ApiProperty({ example: '0b5e7c9a-1d2f-4a6b-8c3e-5f7a9b1c2d3e' })
  id: string;

  @ApiProperty({ example: '3f2a6c1e-8b9d-4e0f-a1b2-c3d4e5f60718' })
  purchaseId: string;

  @ApiProperty({ example: 'SUCCESS', enum: TRANSACTION_STATUSES })
  status: TransactionStatus;

  @ApiProperty({ example: 20000, description: 'Whole rupiah' })
  amount: number;

  @ApiProperty({ example: 'Item out of stock' })
  reason: string;

  @ApiProperty({ example: 20000, description: 'Refunded on the purchase so far, this refund included when it succeeded' })
  purchaseRefundedAmount: number;
}
