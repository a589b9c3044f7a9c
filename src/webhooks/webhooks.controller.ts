import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/audit-actor.decorator';
import { AuditActor } from '../audit/audit-chain';
import { AllowUsers } from '../common/auth/auth.decorators';
import { CreateWebhookRequestDto } from './dto/create-webhook.request.dto';
import { ListWebhookDeliveriesQueryDto } from './dto/list-webhook-deliveries.query.dto';
import { WebhookDeliveryPageResponseDto } from './dto/webhook-delivery-page.response.dto';
import { WebhookSecretResponseDto } from './dto/webhook-secret.response.dto';
import { WebhookSubscriptionListResponseDto } from './dto/webhook-subscription-list.response.dto';
import { WebhookSubscriptionResponseDto } from './dto/webhook-subscription.response.dto';
import { webhookIdPipe } from './webhook-id.pipes';
import { WebhooksService } from './webhooks.service';
import { NoBodyPipe } from '../common/http/no-body.pipe';

/** Webhook subscriptions: admins change them, admins and support read them. */
@ApiTags('webhooks (back office)')
@ApiBearerAuth()
@Controller('v1/admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @AllowUsers('admin')
  @ApiOperation({
    summary: 'Subscribe a partner URL to events (Standard Webhooks)',
    description:
      'https only; private, loopback, link-local and metadata addresses are refused (400 WEBHOOK.URL_REFUSED). The signing secret is in this answer only.',
  })
  @ApiCreatedResponse({ type: WebhookSecretResponseDto })
  create(@Body() body: CreateWebhookRequestDto, @Actor() actor: AuditActor): Promise<WebhookSecretResponseDto> {
    return this.webhooks.create(body, actor);
  }

  @Get()
  @AllowUsers('admin', 'support')
  @ApiOperation({ summary: 'The webhook subscriptions (never their secrets)' })
  @ApiOkResponse({ type: WebhookSubscriptionListResponseDto })
  list(): Promise<WebhookSubscriptionListResponseDto> {
    return this.webhooks.list();
  }

  @Delete(':id')
  @AllowUsers('admin')
  @ApiOperation({
    summary: 'Delete a subscription: nothing more is sent to it, its pending deliveries end; answers the deleted subscription',
  })
  @ApiOkResponse({ type: WebhookSubscriptionResponseDto })
  remove(@Param('id', webhookIdPipe) id: string, @Actor() actor: AuditActor): Promise<WebhookSubscriptionResponseDto> {
    return this.webhooks.remove(id, actor);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @AllowUsers('admin')
  @ApiOperation({ summary: 'A new signing secret, shown once; the old one keeps signing alongside it for 24 hours' })
  @ApiOkResponse({ type: WebhookSecretResponseDto })
  rotateSecret(
    @Body(NoBodyPipe) _body: unknown,
    @Param('id', webhookIdPipe) id: string,
    @Actor() actor: AuditActor,
  ): Promise<WebhookSecretResponseDto> {
    return this.webhooks.rotateSecret(id, actor);
  }

  @Delete(':id/previous-secret')
  @AllowUsers('admin')
  @ApiOperation({
    summary: "End a secret rotation's overlap now: the previous secret stops signing (otherwise it does for 24 hours)",
  })
  @ApiOkResponse({ type: WebhookSubscriptionResponseDto })
  retirePreviousSecret(@Param('id', webhookIdPipe) id: string, @Actor() actor: AuditActor): Promise<WebhookSubscriptionResponseDto> {
    return this.webhooks.retirePreviousSecret(id, actor);
  }

  @Get(':id/deliveries')
  @AllowUsers('admin', 'support')
  @ApiOperation({ summary: "A subscription's delivery log, newest first" })
  @ApiOkResponse({ type: WebhookDeliveryPageResponseDto })
  deliveries(
    @Param('id', webhookIdPipe) id: string,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<WebhookDeliveryPageResponseDto> {
    return this.webhooks.listDeliveries(id, query);
  }
}
