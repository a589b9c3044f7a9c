import { ApiProperty } from '@nestjs/swagger';
import { WebhookDeliveryResponseDto } from './webhook-delivery.response.dto';

export class WebhookDeliveryPageResponseDto {
  @ApiProperty({ type: [WebhookDeliveryResponseDto], description: 'Newest first' })
  deliveries: WebhookDeliveryResponseDto[];
}
