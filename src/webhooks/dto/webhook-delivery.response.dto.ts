import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_DELIVERY_STATUSES, WebhookDelivery, WebhookDeliveryStatus } from '../entities/webhook-delivery.entity';

export class WebhookDeliveryResponseDto {
  @ApiProperty({ example: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d' })
  id: string;

  @ApiProperty({ example: '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f' })
  subscriptionId: string;

  @ApiProperty({ example: '0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21', description: 'The event id, sent as webhook-id' })
  eventId: string;

  @ApiProperty({ example: '1042', description: 'The event position (cursor of GET /v1/events)' })
  eventSeq: string;

  @ApiProperty({ example: 'transaction.status_changed' })
  eventType: string;

  @ApiProperty({ example: 'DELIVERED', enum: WEBHOOK_DELIVERY_STATUSES })
  status: WebhookDeliveryStatus;

  @ApiProperty({ example: 2 })
  attempts: number;

  @ApiProperty({ example: null, nullable: true, description: 'Next attempt while PENDING' })
  nextAttemptAt: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:35.000Z', nullable: true })
  lastAttemptAt: string | null;

  @ApiProperty({ example: 200, nullable: true })
  lastStatusCode: number | null;

  @ApiProperty({ example: null, nullable: true, description: 'Why the last attempt failed, e.g. HTTP_500, TIMEOUT, URL_REFUSED' })
  lastError: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:35.000Z', nullable: true, description: 'Last successful delivery' })
  deliveredAt: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  static from(d: WebhookDelivery): WebhookDeliveryResponseDto {
    const iso = (x: Date | null) => (x ? x.toISOString() : null);
    return {
      id: d.id,
      subscriptionId: d.subscriptionId,
      eventId: d.eventId,
      eventSeq: d.eventSeq,
      eventType: d.eventType,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === 'PENDING' ? iso(d.nextAttemptAt) : null,
      lastAttemptAt: iso(d.lastAttemptAt),
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      deliveredAt: iso(d.deliveredAt),
      createdAt: d.createdAt.toISOString(),
    };
  }
}
