import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { DueDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { nextDeliveryDelaySeconds } from './webhook-retry.schedule';
import { WebhookSecretBox } from './webhook-secret-box';
import { WebhookSender } from './webhook-sender';
import { WebhooksRepository } from './webhooks.repository';
import { signWebhook } from './webhook-signature';
import { checkWebhookUrlResolved, Resolver, systemResolver } from './webhook-url.validator';

export interface WebhookRunSummary {
  fannedOut: number;
  attempted: number;
  delivered: number;
  failed: number;
  /** Subscriptions whose secrets were sealed again under the current encryption key. */
  resealed: number;
}

/** Fan-out passes per run at most, so one run cannot be held by a huge backlog. */
const MAX_FANOUT_BATCHES = 10;

/**
 * The webhook worker: fans new outbox events out to matching subscriptions (one delivery per event
 * and subscription, under the fan-out cursor's lock), then sends the due deliveries, claimed with a
 * lease under SKIP LOCKED so several instances share the work, retrying with backoff and jitter.
 * At-least-once: a receiver deduplicates on `webhook-id`.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly attempts: Counter<'outcome'>;
  /** Swappable in tests that must not touch the network resolver. */
  resolver: Resolver = systemResolver;

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly sender: WebhookSender,
    private readonly secrets: WebhookSecretBox,
    private readonly subscriptions: WebhooksRepository,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.attempts = new Counter({
      name: 'webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    const pending = () => this.deliveries.countPending();
    new Gauge({
      name: 'webhook_deliveries_pending',
      help: 'Webhook deliveries waiting for a (re)try',
      registers: [metrics.registry],
      async collect() {
        this.set(await pending());
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.enabled) return;
    const tick = () => {
      this.running = this.runOnce()
        .catch((e: unknown) => this.logger.error({ err: e }, 'webhook run failed'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.config.webhooks.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.config.webhooks.intervalMs);
  }

  /** No new pass; the one under way finishes its attempts, then the sender's connections close. */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.sender.close();
  }

  /** One pass: fan out what is new, then attempt every due delivery of one batch. */
  async runOnce(): Promise<WebhookRunSummary> {
    const { batchSize, leaseSeconds } = this.config.webhooks;
    const summary: WebhookRunSummary = { fannedOut: 0, attempted: 0, delivered: 0, failed: 0, resealed: 0 };
    // After the encryption key changed, a batch of secrets sealed again under the new one.
    summary.resealed = await this.subscriptions.resealSecrets(this.secrets.currentPrefix, (id, c) => this.secrets.reseal(id, c), batchSize);
    for (let i = 0; i < MAX_FANOUT_BATCHES; i++) {
      const n = await this.deliveries.fanOut(batchSize * 10);
      summary.fannedOut += n;
      if (n < batchSize * 10) break;
    }
    const due = await this.deliveries.claimDue(batchSize, leaseSeconds);
    await Promise.all(
      due.map(async (d) => {
        summary.attempted++;
        try {
          if (await this.attempt(d)) summary.delivered++;
          else summary.failed++;
        } catch (e) {
          // Left to its lease: it is tried again once the lease ends.
          summary.failed++;
          this.logger.error({ err: e, deliveryId: d.delivery.id }, 'webhook attempt failed unexpectedly');
        }
      }),
    );
    return summary;
  }

  private async attempt(d: DueDelivery): Promise<boolean> {
    const { delivery, event } = d;
    const check = await checkWebhookUrlResolved(d.url, this.config.webhooks.allowInsecureTargets, this.resolver);
    let result: { statusCode: number | null; error: string | null };
    if (!check.ok) {
      result = { statusCode: null, error: 'URL_REFUSED' };
    } else {
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({
        id: event.id,
        seq: event.seq,
        type: event.type,
        timestamp: event.createdAt.toISOString(),
        data: event.payload,
      });
      result = await this.sender.send({
        url: check.url,
        insecureAllowed: check.insecureAllowed,
        headers: {
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': this.signatures(d, timestamp, body),
        },
        body,
      });
    }
    if (result.error === null && result.statusCode !== null) {
      await this.deliveries.recordDelivered(delivery.id, result.statusCode);
      this.attempts.inc({ outcome: 'delivered' });
      return true;
    }
    const retryIn = nextDeliveryDelaySeconds(delivery.attempts + 1);
    await this.deliveries.recordFailure(delivery.id, result.statusCode, result.error ?? 'UNKNOWN', retryIn);
    this.attempts.inc({ outcome: retryIn === null ? 'failed' : 'retry' });
    if (retryIn === null)
      this.logger.warn({ deliveryId: delivery.id, error: result.error }, 'webhook delivery failed after its last retry');
    return false;
  }

  /** The current secret's signature, and the previous secret's while it is in its grace period. */
  private signatures(d: DueDelivery, timestamp: number, body: string): string {
    const subscriptionId = d.delivery.subscriptionId;
    const signatures = [signWebhook(this.secrets.open(subscriptionId, d.secretCiphertext), d.event.id, timestamp, body)];
    if (d.previousSecretCiphertext && d.previousSecretExpiresAt && d.previousSecretExpiresAt.getTime() > Date.now()) {
      signatures.push(signWebhook(this.secrets.open(subscriptionId, d.previousSecretCiphertext), d.event.id, timestamp, body));
    }
    return signatures.join(' ');
  }
}
