import { ApiProperty } from '@nestjs/swagger';
import { Transaction } from '../../transactions/entities/transaction.entity';
import { PAYMENT_METHODS, PaymentMethod } from '../../transactions/payment-method';
import { TRANSACTION_STATUSES, TransactionStatus, isUnresolved } from '../../transactions/transaction-state';
import { PurchaseItemDto } from './purchase-item.dto';
import { PurchaseRefundSummaryResponseDto } from './purchase-refund-summary.response.dto';

export class PurchaseResponseDto {
  @ApiProperty({ example: '3f2a6c1e-8b9d-4e0f-a1b2-c3d4e5f60718' })
  id: string;

  @ApiProperty({ example: 'SUCCESS', enum: TRANSACTION_STATUSES })
  status: TransactionStatus;

  @ApiProperty({ example: 50000, description: 'Whole rupiah' })
  amount: number;

  @ApiProperty({ example: 'DOKU_WALLET', enum: PAYMENT_METHODS })
  paymentMethod: PaymentMethod;

  @ApiProperty({ example: 20000, description: 'Refunded so far (whole rupiah)' })
  refundedAmount: number;

  @ApiProperty({ example: 'IDR' })
  currency: string;

  @ApiProperty({ example: 'PUR-6f1d0c3a9e2b4c7d8a5f1e0b3c6d9a2f', description: 'Our reference at DOKU' })
  partnerReferenceNo: string;

  @ApiProperty({ example: 'ORD-2026-000781', nullable: true, type: String })
  merchantOrderRef: string | null;

  @ApiProperty({ example: 'Order #7781 at Toko Kopi', nullable: true, type: String })
  description: string | null;

  @ApiProperty({ type: [PurchaseItemDto], example: [{ name: 'Kopi susu 250 ml', price: 25000, quantity: 2 }] })
  items: PurchaseItemDto[];

  @ApiProperty({
    example: 'https://sandbox.doku.com/wallet/pay?token=abc',
    nullable: true,
    type: String,
    description: 'The PIN page, while the purchase waits for it',
  })
  webRedirectUrl: string | null;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'Why it FAILED, e.g. DOKU.INSUFFICIENT_BALANCE' })
  failureCode: string | null;

  @ApiProperty({ type: [PurchaseRefundSummaryResponseDto], example: [] })
  refunds: PurchaseRefundSummaryResponseDto[];

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-23T10:16:02.000Z' })
  updatedAt: string;

  static from(purchase: Transaction, children: Transaction[]): PurchaseResponseDto {
    const details = purchase.details as { items?: PurchaseItemDto[]; webRedirectUrl?: string };
    return {
      id: purchase.id,
      status: purchase.status,
      amount: Number(purchase.amount),
      paymentMethod: purchase.paymentMethod,
      refundedAmount: Number(purchase.refundedAmount),
      currency: purchase.currency,
      partnerReferenceNo: purchase.partnerReferenceNo,
      merchantOrderRef: purchase.merchantOrderRef,
      description: purchase.description,
      items: details.items ?? [],
      webRedirectUrl: isUnresolved(purchase.status) ? (details.webRedirectUrl ?? null) : null,
      failureCode: purchase.failureCode,
      refunds: children
        .filter((c): c is Transaction & { type: 'REFUND' | 'CANCEL' } => c.type === 'REFUND' || c.type === 'CANCEL')
        .map((c) => ({ id: c.id, type: c.type, status: c.status, amount: Number(c.amount), createdAt: c.createdAt.toISOString() })),
      createdAt: purchase.createdAt.toISOString(),
      updatedAt: purchase.updatedAt.toISOString(),
    };
  }
}
