import { ApiProperty } from '@nestjs/swagger';
import { Transaction } from '../../transactions/entities/transaction.entity';
import { TRANSACTION_STATUSES, TransactionStatus } from '../../transactions/transaction-state';

export class TopUpResponseDto {
  @ApiProperty({ example: '5e0c2f1a-7b3d-4e8f-9a1b-2c3d4e5f6a7b' })
  id: string;

  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  userId: string;

  @ApiProperty({
    example: 'SUCCESS',
    enum: TRANSACTION_STATUSES,
    description: 'UNKNOWN or PENDING: read it again to resolve it with Query Top Up',
  })
  status: TransactionStatus;

  @ApiProperty({ example: 50000 })
  amount: number;

  @ApiProperty({ example: 'TOP-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c' })
  partnerReferenceNo: string;

  @ApiProperty({ example: 'DK-TOP-0001', nullable: true, type: String })
  dokuReferenceNo: string | null;

  @ApiProperty({ example: 'reward-2026-11-0042', nullable: true, type: String })
  merchantOrderRef: string | null;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why it failed, e.g. TOPUP.PARTNER_BALANCE_INSUFFICIENT' })
  failureCode: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-23T10:15:31.000Z' })
  updatedAt: string;

  static from(t: Transaction): TopUpResponseDto {
    return {
      id: t.id,
      userId: t.userId,
      status: t.status,
      amount: Number(t.amount),
      partnerReferenceNo: t.partnerReferenceNo,
      dokuReferenceNo: t.dokuReferenceNo,
      merchantOrderRef: t.merchantOrderRef,
      failureCode: t.failureCode,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
    };
  }
}
