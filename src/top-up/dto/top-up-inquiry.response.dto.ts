import { ApiProperty } from '@nestjs/swagger';
import { TopUpInquiry } from '../entities/top-up-inquiry.entity';

export class TopUpInquiryResponseDto {
  @ApiProperty({ example: '0b6f1c52-9a3e-4c1f-8f0e-2d7a9b1c3e4f' })
  inquiryId: string;

  @ApiProperty({ example: 'Siti Rahayu', description: 'The wallet holder as DOKU knows them' })
  customerName: string;

  @ApiProperty({ example: '*********7890' })
  customerNumber: string;

  @ApiProperty({ example: 50000 })
  amount: number;

  @ApiProperty({ example: 0, nullable: true, type: Number })
  feeAmount: number | null;

  @ApiProperty({ example: '2026-11-23T10:30:00.000Z' })
  expiresAt: string;

  static from(i: TopUpInquiry): TopUpInquiryResponseDto {
    return {
      inquiryId: i.id,
      customerName: i.customerName,
      customerNumber: i.customerNumberMasked,
      amount: Number(i.amount),
      feeAmount: i.feeAmount === null ? null : Number(i.feeAmount),
      expiresAt: i.expiresAt.toISOString(),
    };
  }
}
