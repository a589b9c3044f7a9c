import { ApiProperty } from '@nestjs/swagger';
import { TRANSACTION_STATUSES, TransactionStatus } from '../../transactions/transaction-state';
import { Transaction } from '../../transactions/entities/transaction.entity';

export class BankTransferResponseDto {
  @ApiProperty({ example: '5e0c2f1a-7b3d-4e8f-9a1b-2c3d4e5f6a7b' })
  id: string;

  @ApiProperty({
    example: 'SUCCESS',
    enum: TRANSACTION_STATUSES,
    description: 'UNKNOWN: DOKU did not answer; read this transfer again to resolve it',
  })
  status: TransactionStatus;

  @ApiProperty({ example: 100000, description: 'Whole rupiah' })
  amount: number;

  @ApiProperty({ example: '014' })
  bankCode: string;

  @ApiProperty({ example: 'FHILEA HERMANUS' })
  beneficiaryName: string;

  @ApiProperty({ example: '******8292' })
  accountNumber: string;

  @ApiProperty({ example: 'BTR-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c', description: 'Our reference at DOKU' })
  partnerReferenceNo: string;

  @ApiProperty({ example: 'DK-TRF-0001', nullable: true, type: String })
  dokuReferenceNo: string | null;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why it failed, e.g. DOKU.INSUFFICIENT_BALANCE' })
  failureCode: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-23T10:15:31.000Z' })
  updatedAt: string;

  static from(t: Transaction): BankTransferResponseDto {
    const d = t.details as { bankCode?: string; beneficiaryName?: string; accountNumberMasked?: string };
    return {
      id: t.id,
      status: t.status,
      amount: Number(t.amount),
      bankCode: d.bankCode ?? '',
      beneficiaryName: d.beneficiaryName ?? '',
      accountNumber: d.accountNumberMasked ?? '',
      partnerReferenceNo: t.partnerReferenceNo,
      dokuReferenceNo: t.dokuReferenceNo,
      failureCode: t.failureCode,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
    };
  }
}
