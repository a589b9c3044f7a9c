import { ApiProperty } from '@nestjs/swagger';
import { PAYMENT_METHODS, PaymentMethod } from '../../transactions/payment-method';

export const HISTORY_SOURCES = ['BOTH', 'PARTNER', 'DOKU'] as const;
export type HistorySource = (typeof HISTORY_SOURCES)[number];

/** DOKU's own view of one item (history list or detail), as far as DOKU gave it. */
export class DokuHistoryViewDto {
  @ApiProperty({ example: 'SUCCESS', description: 'DOKU history status: INIT, SUCCESS, CLOSED, CANCELLED' })
  status: string;

  @ApiProperty({ example: 'PAYMENT', description: 'DOKU history type: PAYMENT, REFUND, TOP_UP, DISBURSMENT…' })
  type: string;

  @ApiProperty({ example: '2026-11-23T17:15:30+07:00', nullable: true, type: String })
  dateTime: string | null;

  @ApiProperty({ example: 150000, nullable: true, type: Number })
  amount: number | null;

  @ApiProperty({ example: 'Purchase PUR-…', nullable: true, type: String })
  remark: string | null;

  @ApiProperty({ example: 'DK-PUR-0001', nullable: true, type: String })
  referenceNo: string | null;
}

export class HistoryItemResponseDto {
  @ApiProperty({
    example: 'BOTH',
    enum: HISTORY_SOURCES,
    description:
      'BOTH: ours and seen at DOKU; PARTNER: only ours (DOKU does not list it, or was not asked); DOKU: made elsewhere, only at DOKU',
  })
  source: HistorySource;

  @ApiProperty({
    example: '5e0c2f1a-7b3d-4e8f-9a1b-2c3d4e5f6a7b',
    nullable: true,
    type: String,
    description: 'Our transaction id; null for DOKU-only items',
  })
  id: string | null;

  @ApiProperty({ example: 'PURCHASE', description: 'Our type, or for DOKU-only items the mapped DOKU type (OTHER when unknown)' })
  type: string;

  @ApiProperty({ example: 'SUCCESS', description: 'Our status, or for DOKU-only items the mapped DOKU status' })
  status: string;

  @ApiProperty({ example: 150000, nullable: true, type: Number })
  amount: number | null;

  @ApiProperty({
    example: 'DOKU_WALLET',
    enum: PAYMENT_METHODS,
    description: "The channel it went through (a refund: its purchase's); DOKU-only items are DOKU Wallet history",
  })
  paymentMethod: PaymentMethod;

  @ApiProperty({ example: 50000, nullable: true, type: Number })
  refundedAmount: number | null;

  @ApiProperty({ example: 'PUR-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c', nullable: true, type: String })
  partnerReferenceNo: string | null;

  @ApiProperty({ example: 'DK-PUR-0001', nullable: true, type: String })
  dokuReferenceNo: string | null;

  @ApiProperty({ example: 'Order 7781', nullable: true, type: String })
  description: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ type: DokuHistoryViewDto, nullable: true })
  doku: DokuHistoryViewDto | null;
}
