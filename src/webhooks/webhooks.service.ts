import { AuditActor } from '../audit/audit-chain';
import { AuditTrail } from '../audit/audit-trail.service';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { CreateWebhookRequestDto } from './dto/create-webhook.request.dto';
import { ListWebhookDeliveriesQueryDto } from './dto/list-webhook-deliveries.query.dto';
import { WebhookDeliveryPageResponseDto } from './dto/webhook-delivery-page.response.dto';
import { WebhookDeliveryResponseDto } from './dto/webhook-delivery.response.dto';
import { WebhookSecretResponseDto } from './dto/webhook-secret.response.dto';
import { WebhookSubscriptionListResponseDto } from './dto/webhook-subscription-list.response.dto';
import { WebhookSubscriptionResponseDto } from './dto/webhook-subscription.response.dto';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookSecretBox } from './webhook-secret-box';
import { generateWebhookSecret } from './webhook-signature';
import { checkWebhookUrlResolved, Resolver, systemResolver } from './webhook-url.validator';
import { WebhooksRepository } from './webhooks.repository';

const logger = new Logger('Webhooks');

/** After a rotation the old secret keeps signing alongside the new one this long (Standard Webhooks). */
export const PREVIOUS_SECRET_GRACE_SECONDS = 24 * 3600;

/** Admin-managed webhook subscriptions, their delivery log and manual redelivery. */
@Injectable()
export class WebhooksService {
  /** Swappable in tests that must not touch the network resolver. */
  resolver: Resolver = systemResolver;

  constructor(
    private readonly subscriptions: WebhooksRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly secrets: WebhookSecretBox,
    private readonly config: AppConfigService,
    private readonly audit: AuditTrail,
  ) {}

  async create(input: CreateWebhookRequestDto, actor: AuditActor): Promise<WebhookSecretResponseDto> {
    const check = await checkWebhookUrlResolved(input.url, this.config.webhooks.allowInsecureTargets, this.resolver);
    if (!check.ok) throw new AppError('WEBHOOK.URL_REFUSED', `The webhook URL is refused: ${check.reason}`);
    const id = randomUUID();
    const secret = generateWebhookSecret();
    const created = await this.subscriptions.create({
      id,
      url: check.url.toString(),
      eventTypes: input.eventTypes ?? [],
      description: input.description,
      secretCiphertext: this.secrets.seal(id, secret),
    });
    const answer = WebhookSecretResponseDto.withSecret(created, secret);
    await this.audit.record({ actor, action: 'webhook.created', target: { type: 'webhook', id }, after: answer });
    return answer;
  }

  async list(): Promise<WebhookSubscriptionListResponseDto> {
    return { subscriptions: (await this.subscriptions.listActive()).map((s) => WebhookSubscriptionResponseDto.from(s)) };
  }

  async remove(id: string, actor: AuditActor): Promise<WebhookSubscriptionResponseDto> {
    const deleted = await this.subscriptions.softDelete(id);
    if (!deleted) throw notFound();
    const answer = WebhookSubscriptionResponseDto.from(deleted);
    await this.audit.record({ actor, action: 'webhook.deleted', target: { type: 'webhook', id }, before: answer });
    return answer;
  }

  /** Ends the overlap of the last rotation before its 24 hours: only the current secret signs from now on. */
  async retirePreviousSecret(id: string, actor: AuditActor): Promise<WebhookSubscriptionResponseDto> {
    const retired = (await this.subscriptions.retirePreviousSecret(id)) ? await this.subscriptions.findActive(id) : null;
    if (!retired) throw notFound();
    const answer = WebhookSubscriptionResponseDto.from(retired);
    await this.audit.record({ actor, action: 'webhook.previous-secret-retired', target: { type: 'webhook', id }, after: answer });
    return answer;
  }

  async rotateSecret(id: string, actor: AuditActor): Promise<WebhookSecretResponseDto> {
    const current = await this.subscriptions.findActive(id);
    if (!current) throw notFound();
    const secret = generateWebhookSecret();
    const rotated = await this.subscriptions.rotateSecret(
      id,
      this.secrets.seal(id, secret),
      current.secretCiphertext,
      new Date(Date.now() + PREVIOUS_SECRET_GRACE_SECONDS * 1000),
    );
    if (!rotated) throw notFound();
    // Attempts claimed before the rotation may be signed with the old secret alone: they finish (or
    // their send times out) before the new secret is handed out, so a receiver that switches to it
    // at once never receives one of them afterwards.
    const { timeoutMs, leaseSeconds } = this.config.webhooks;
    if (!(await this.deliveries.waitForAttemptsClaimedBefore(id, Math.min(timeoutMs + 1_000, leaseSeconds * 1000)))) {
      logger.warn(`Webhook ${id}: attempts claimed before the secret rotation still in flight; answering anyway`);
    }
    const answer = WebhookSecretResponseDto.withSecret((await this.subscriptions.findActive(id)) ?? current, secret);
    await this.audit.record({ actor, action: 'webhook.secret-rotated', target: { type: 'webhook', id }, after: answer });
    return answer;
  }

  async listDeliveries(subscriptionId: string, query: ListWebhookDeliveriesQueryDto): Promise<WebhookDeliveryPageResponseDto> {
    if (!(await this.subscriptions.findActive(subscriptionId))) throw notFound();
    const rows = await this.deliveries.listForSubscription(subscriptionId, query.limit ?? 50, query.status);
    return { deliveries: rows.map((d) => WebhookDeliveryResponseDto.from(d)) };
  }

  async redeliver(deliveryId: string, actor: AuditActor): Promise<WebhookDeliveryResponseDto> {
    const delivery = await this.deliveries.redeliver(deliveryId);
    if (!delivery) throw new AppError('WEBHOOK.DELIVERY_NOT_FOUND', 'No such webhook delivery');
    const answer = WebhookDeliveryResponseDto.from(delivery);
    await this.audit.record({ actor, action: 'webhook.redelivered', target: { type: 'webhook-delivery', id: deliveryId }, after: answer });
    return answer;
  }
}

function notFound(): AppError {
  return new AppError('WEBHOOK.NOT_FOUND', 'No such webhook subscription');
}
