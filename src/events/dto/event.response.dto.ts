import { ApiProperty } from '@nestjs/swagger';
import type { SequencedOutboxEvent } from '../../outbox/entities/outbox-event.entity';
import { EVENT_TYPES } from '../event-types';

export class EventResponseDto {
  @ApiProperty({
    example: '0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21',
    description: 'Stable id, the webhook-id of its webhooks: deduplicate on it',
  })
  id: string;

  @ApiProperty({
    example: '1042',
    description: 'Position in the stream: given once the event has committed, above every position given before',
  })
  seq: string;

  @ApiProperty({ example: 'transaction.status_changed', enum: EVENT_TYPES })
  type: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({
    example: {
      transactionId: '5d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a',
      type: 'PURCHASE',
      status: 'SUCCESS',
      previousStatus: 'PENDING',
      amount: 25000,
    },
    description: 'The event payload; states and masked identifiers only',
  })
  data: Record<string, unknown>;

  static from(e: SequencedOutboxEvent): EventResponseDto {
    return { id: e.id, seq: e.position, type: e.type, createdAt: e.createdAt.toISOString(), data: e.payload };
  }
}
