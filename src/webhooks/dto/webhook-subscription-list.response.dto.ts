import { ApiProperty } from '@nestjs/swagger';
import { WebhookSubscriptionResponseDto } from './webhook-subscription.response.dto';

export class WebhookSubscriptionListResponseDto {
  @ApiProperty({ type: [WebhookSubscriptionResponseDto] })
  subscriptions: WebhookSubscriptionResponseDto[];
}
