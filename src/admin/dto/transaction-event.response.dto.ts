import { ApiProperty } from '@nestjs/swagger';
import { TransactionEvent } from '../../transactions/entities/transaction-event.entity';

export class TransactionEventResponseDto {
  @ApiProperty({ example: 'PENDING', nullable: true, type: String })
  fromStatus: string | null;

  @ApiProperty({ example: 'SUCCESS' })
  toStatus: string;

  @ApiProperty({ example: 'doku-response' })
  cause: string;

  @ApiProperty({ example: { responseCode: '2004300' } })
  details: Record<string, unknown>;

  @ApiProperty({ example: '2026-11-23T10:15:31.000Z' })
  createdAt: string;

  static from(e: TransactionEvent): TransactionEventResponseDto {
    return { fromStatus: e.fromStatus, toStatus: e.toStatus, cause: e.cause, details: e.details, createdAt: e.createdAt.toISOString() };
  }
}
