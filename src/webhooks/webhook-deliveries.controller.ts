import { Controller, HttpCode, Param, Post, Body } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/audit-actor.decorator';
import { AuditActor } from '../audit/audit-chain';
import { AllowUsers } from '../common/auth/auth.decorators';
import { WebhookDeliveryResponseDto } from './dto/webhook-delivery.response.dto';
import { webhookDeliveryIdPipe } from './webhook-id.pipes';
import { WebhooksService } from './webhooks.service';
import { NoBodyPipe } from '../common/http/no-body.pipe';

@ApiTags('webhooks (back office)')
@ApiBearerAuth()
@Controller('v1/admin/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':id/redeliver')
  @HttpCode(202)
  @AllowUsers('admin', 'support')
  @ApiOperation({ summary: 'Send a delivery again (same webhook-id), with a fresh retry schedule' })
  @ApiAcceptedResponse({ type: WebhookDeliveryResponseDto })
  redeliver(
    @Body(NoBodyPipe) _body: unknown,
    @Param('id', webhookDeliveryIdPipe) id: string,
    @Actor() actor: AuditActor,
  ): Promise<WebhookDeliveryResponseDto> {
    return this.webhooks.redeliver(id, actor);
  }
}
