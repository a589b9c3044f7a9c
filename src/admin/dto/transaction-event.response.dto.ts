import { ApiProperty } from '@nestjs/swagger';
import { TransactionEvent } from '../../transactions/entities/transaction-event.entity';
import { describeCause } from '../../transactions/transition-cause';

export class TransactionEventResponseDto {
  @ApiProperty({ example: 'PENDING', nullable: true, type: String })
  fromStatus: string | null;

  @ApiProperty({ example: 'SUCCESS' })
  toStatus: string;

  @ApiProperty({
    example: 'doku-response',
    description: 'What caused the change: created, doku-response, doku-response-to-resend, status-query, back-office',
  })
  cause: string;

  @ApiProperty({ example: "DOKU's answer to the request", description: 'The cause in a sentence, for people' })
  causeDescription: string;

  @ApiProperty({ example: { responseCode: '2004300' } })
  details: Record<string, unknown>;

  @ApiProperty({ example: '2026-11-23T10:15:31.000Z' })
  createdAt: string;

  static from(e: TransactionEvent): TransactionEventResponseDto {
    return {
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      cause: e.cause,
      causeDescription: describeCause(e.cause),
      details: e.details,
      createdAt: e.createdAt.toISOString(),
    };
  }
}
