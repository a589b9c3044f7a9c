import { ApiProperty } from '@nestjs/swagger';
import { Transaction } from '../../transactions/entities/transaction.entity';
import { TRANSACTION_STATUSES, TRANSACTION_TYPES, TransactionStatus, TransactionType } from '../../transactions/transaction-state';

/** One of our transactions, as the balance check lists it. */
export class BalanceCheckTransactionResponseDto {
  @ApiProperty({ example: '5e0c2f1a-7b3d-4e8f-9a1b-2c3d4e5f6a7b' })
  id: string;

  @ApiProperty({ example: 'TOP_UP', enum: TRANSACTION_TYPES })
  type: TransactionType;

  @ApiProperty({ example: 'UNKNOWN', enum: TRANSACTION_STATUSES })
  status: TransactionStatus;

  @ApiProperty({ example: 50000, description: 'Whole rupiah' })
  amount: number;

  @ApiProperty({ example: 'TOP-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c' })
  partnerReferenceNo: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ example: false, description: 'Every scheduled status check passed without an answer: waiting for the back office' })
  attentionRequired: boolean;

  static from(t: Transaction): BalanceCheckTransactionResponseDto {
    return {
      id: t.id,
      type: t.type,
      status: t.status,
      amount: Number(t.amount),
      partnerReferenceNo: t.partnerReferenceNo,
      createdAt: t.createdAt.toISOString(),
      attentionRequired: t.attentionRequiredAt !== null,
    };
  }
}
