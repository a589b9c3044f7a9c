import { ApiProperty } from '@nestjs/swagger';
import { BankTransferInquiry } from '../entities/bank-transfer-inquiry.entity';

export class BankTransferInquiryResponseDto {
  @ApiProperty({ example: '0b6f1c52-9a3e-4c1f-8f0e-2d7a9b1c3e4f' })
  inquiryId: string;

  @ApiProperty({ example: 'FHILEA HERMANUS', description: 'The account holder, as the bank knows it: show it before confirming' })
  beneficiaryName: string;

  @ApiProperty({ example: '014' })
  bankCode: string;

  @ApiProperty({ example: 'BANK CENTRAL ASIA', nullable: true, type: String })
  bankName: string | null;

  @ApiProperty({ example: '******8292', description: 'Masked except the last 4 digits' })
  accountNumber: string;

  @ApiProperty({ example: 100000, description: 'Whole rupiah' })
  amount: number;

  @ApiProperty({ example: '2026-11-23T10:30:00.000Z', description: 'Confirm before this time' })
  expiresAt: string;

  static from(inquiry: BankTransferInquiry): BankTransferInquiryResponseDto {
    return {
      inquiryId: inquiry.id,
      beneficiaryName: inquiry.beneficiaryName,
      bankCode: inquiry.bankCode,
      bankName: inquiry.bankName,
      accountNumber: inquiry.accountNumberMasked,
      amount: Number(inquiry.amount),
      expiresAt: inquiry.expiresAt.toISOString(),
    };
  }
}
