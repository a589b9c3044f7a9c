import { ApiProperty } from '@nestjs/swagger';
import { TRANSACTION_STATUSES, TRANSACTION_TYPES, TransactionStatus, TransactionType } from '../../transactions/transaction-state';

export const BALANCE_BREAK_KINDS = ['MISSING_AT_DOKU', 'MISSING_LOCALLY', 'STATUS_MISMATCH', 'AMOUNT_MISMATCH', 'UNRESOLVED'] as const;
export type BalanceBreakKind = (typeof BALANCE_BREAK_KINDS)[number];

/** One difference between our records and DOKU's history, for the back office to act on. */
export class BalanceBreakResponseDto {
  @ApiProperty({
    example: 'MISSING_AT_DOKU',
    enum: BALANCE_BREAK_KINDS,
    description:
      'MISSING_AT_DOKU: we say SUCCESS, DOKU lists nothing; MISSING_LOCALLY: DOKU lists a movement we have no record of; STATUS_MISMATCH / AMOUNT_MISMATCH: both have it but disagree; UNRESOLVED: ours is still PENDING or UNKNOWN',
  })
  kind: BalanceBreakKind;

  @ApiProperty({
    example: 'BTR-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c',
    nullable: true,
    type: String,
    description: 'The business reference both sides share',
  })
  partnerReferenceNo: string | null;

  @ApiProperty({
    example: '5e0c2f1a-7b3d-4e8f-9a1b-2c3d4e5f6a7b',
    nullable: true,
    type: String,
    description: 'Our transaction, when we have one',
  })
  transactionId: string | null;

  @ApiProperty({ example: 'BANK_TRANSFER', enum: TRANSACTION_TYPES, nullable: true })
  type: TransactionType | null;

  @ApiProperty({ example: 'SUCCESS', enum: TRANSACTION_STATUSES, nullable: true })
  ourStatus: TransactionStatus | null;

  @ApiProperty({ example: 100000, nullable: true, type: Number, description: 'Whole rupiah' })
  ourAmount: number | null;

  @ApiProperty({
    example: 'FAILED',
    nullable: true,
    type: String,
    description: "DOKU's history status in our vocabulary (SUCCESS, PENDING, FAILED, CANCELED)",
  })
  dokuStatus: string | null;

  @ApiProperty({ example: 100000, nullable: true, type: Number, description: 'Whole rupiah' })
  dokuAmount: number | null;

  @ApiProperty({
    example: 'DISBURSMENT',
    nullable: true,
    type: String,
    description: "DOKU's history type (PAYMENT, REFUND, TOP_UP, DISBURSMENT…)",
  })
  dokuType: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30+07:00', nullable: true, type: String, description: "DOKU's time of the movement" })
  dokuDateTime: string | null;
}
