import { ApiProperty } from '@nestjs/swagger';
import { TRANSACTION_STATUSES, TransactionStatus } from '../../../transactions/transaction-state';

/** 200 when DOKU canceled the purchase; 202 with status UNKNOWN when its answer was lost. */
export class CancelResponseDto {
  @ApiProperty({ example: '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f', description: 'The cancel record' })
  id: string;

  @ApiProperty({ example: '3f2a6c1e-8b9d-4e0f-a1b2-c3d4e5f60718' })
  purchaseId: string;

  @ApiProperty({ example: 'SUCCESS', enum: TRANSACTION_STATUSES, description: 'Status of the cancel' })
  status: TransactionStatus;

  @ApiProperty({ example: 'CANCELED', enum: TRANSACTION_STATUSES })
  purchaseStatus: TransactionStatus;
}
