import { ApiProperty } from '@nestjs/swagger';
import { WebhookSubscription } from '../entities/webhook-subscription.entity';
import { WebhookSubscriptionResponseDto } from './webhook-subscription.response.dto';

/** The answer to creating a subscription or rotating its secret: the only time the secret is shown. */
export class WebhookSecretResponseDto extends WebhookSubscriptionResponseDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1xGfX2uN3aQ=',
    description: 'Standard Webhooks signing secret; shown once, store it now',
  })
  secret: string;

  static withSecret(s: WebhookSubscription, secret: string): WebhookSecretResponseDto {
    return { ...WebhookSubscriptionResponseDto.from(s), secret };
  }
}
