import { withoutQuery } from '../../common/logging/redaction';
import { PAYMENT_METHODS, PaymentMethod } from '../../transactions/payment-method';
import { ApiProperty } from '@nestjs/swagger';
import { Transaction } from '../../transactions/entities/transaction.entity';
import { TRANSACTION_STATUSES, TRANSACTION_TYPES, TransactionStatus, TransactionType } from '../../transactions/transaction-state';
import { TransactionEvent } from '../../transactions/entities/transaction-event.entity';
import { TransactionEventResponseDto } from './transaction-event.response.dto';

export class AdminTransactionResponseDto {
  @ApiProperty({ example: '5e0c2f1a-7b3d-4e8f-9a1b-2c3d4e5f6a7b' })
  id: string;

  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  userId: string;

  @ApiProperty({ example: 'BANK_TRANSFER', enum: TRANSACTION_TYPES })
  type: TransactionType;

  @ApiProperty({ example: 'SUCCESS', enum: TRANSACTION_STATUSES })
  status: TransactionStatus;

  @ApiProperty({ example: 100000 })
  amount: number;

  @ApiProperty({ example: 0 })
  refundedAmount: number;

  @ApiProperty({ example: 'DOKU_WALLET', enum: PAYMENT_METHODS, description: 'The channel (docs/channels.md)' })
  paymentMethod: PaymentMethod;

  @ApiProperty({ example: 'BTR-3f9a0c1d2e4b4f6a8b9c0d1e2f3a4b5c' })
  partnerReferenceNo: string;

  @ApiProperty({ example: 'DK-TRF-0001', nullable: true, type: String })
  dokuReferenceNo: string | null;

  @ApiProperty({ example: null, nullable: true, type: String })
  parentId: string | null;

  @ApiProperty({ example: null, nullable: true, type: String })
  merchantOrderRef: string | null;

  @ApiProperty({ example: 'user', description: 'user or service' })
  initiatorKind: string;

  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  initiatorId: string;

  @ApiProperty({ example: null, nullable: true, type: String })
  failureCode: string | null;

  @ApiProperty({ example: '2004300', nullable: true, type: String, description: "DOKU's raw responseCode" })
  dokuResponseCode: string | null;

  @ApiProperty({ example: { bankCode: '014', accountNumberMasked: '******8292' } })
  details: Record<string, unknown>;

  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'Set when every scheduled status check passed without an answer: the back office settles it (POST …/resolution)',
  })
  attentionRequiredAt: string | null;

  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description:
      "Set when DOKU's answer contradicted this settled purchase (we failed or canceled it and DOKU says it is paid, or the reverse): the back office decides",
  })
  dokuDisagreesAt: string | null;

  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'What DOKU last said when it disagreed (SUCCESS, REFUNDED, FAILED)',
  })
  dokuReportedStatus: string | null;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'When finance marked the disagreement handled' })
  dokuDisagreementHandledAt: string | null;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'What finance did about it' })
  dokuDisagreementNote: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-23T10:15:31.000Z' })
  updatedAt: string;

  @ApiProperty({ type: [TransactionEventResponseDto], required: false, description: 'The event log (detail only)' })
  events?: TransactionEventResponseDto[];

  static from(t: Transaction, events?: TransactionEvent[]): AdminTransactionResponseDto {
    return {
      id: t.id,
      userId: t.userId,
      type: t.type,
      status: t.status,
      amount: Number(t.amount),
      refundedAmount: Number(t.refundedAmount),
      paymentMethod: t.paymentMethod,
      partnerReferenceNo: t.partnerReferenceNo,
      dokuReferenceNo: t.dokuReferenceNo,
      parentId: t.parentId,
      merchantOrderRef: t.merchantOrderRef,
      initiatorKind: t.initiatorKind,
      initiatorId: t.initiatorId,
      failureCode: t.failureCode,
      dokuResponseCode: t.dokuResponseCode,
      details: withoutPageTokens(t.details),
      attentionRequiredAt: t.attentionRequiredAt?.toISOString() ?? null,
      dokuDisagreesAt: t.dokuDisagreesAt?.toISOString() ?? null,
      dokuReportedStatus: t.dokuReportedStatus ?? null,
      dokuDisagreementHandledAt: t.dokuDisagreementHandledAt?.toISOString() ?? null,
      dokuDisagreementNote: t.dokuDisagreementNote ?? null,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
      ...(events ? { events: events.map((e) => TransactionEventResponseDto.from(e)) } : {}),
    };
  }
}

/**
 * The stored details as the back office sees them: a link that DOKU gave for the customer (the PIN
 * page, a checkout page) carries a one-time token in its query, which would let whoever has it open
 * the customer's payment page. Support sees where the link went, not the token.
 */
export function withoutPageTokens(details: Record<string, unknown>): Record<string, unknown> {
  let masked: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(details)) {
    if (typeof value !== 'string' || !/url$/i.test(key)) continue;
    const cut = withoutQuery(value);
    if (cut === value) continue;
    masked ??= { ...details };
    masked[key] = cut;
  }
  return masked ?? details;
}
