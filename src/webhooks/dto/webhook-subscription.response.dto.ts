import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES } from '../../events/event-types';
import { WebhookSubscription } from '../entities/webhook-subscription.entity';

/** A subscription as admins see it: never its secret. */
export class WebhookSubscriptionResponseDto {
  @ApiProperty({ example: '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f' })
  id: string;

  @ApiProperty({ example: 'https://hooks.partner.example/doku-wallet' })
  url: string;

  @ApiProperty({ example: ['transaction.status_changed'], enum: EVENT_TYPES, isArray: true, description: 'Empty: every event type' })
  eventTypes: string[];

  @ApiProperty({ example: 'Order service: payment status updates' })
  description: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  updatedAt: string;

  static from(s: WebhookSubscription): WebhookSubscriptionResponseDto {
    return {
      id: s.id,
      url: s.url,
      eventTypes: s.eventTypes,
      description: s.description,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
    };
  }
}
