import { Registry } from 'prom-client';
import type { AppConfigService } from '../config/app-config.service';
import type { MetricsService } from '../metrics/metrics.service';
import type { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import type { WebhookSecretBox } from './webhook-secret-box';
import type { WebhookSender } from './webhook-sender';
import type { WebhooksRepository } from './webhooks.repository';

describe('WebhookDispatcher: shutdown', () => {
  it('lets the pass under way finish before the sender closes its connections, and starts no other', async () => {
    const events: string[] = [];
    let answerClaim!: () => void;
    let claims = 0;
    const deliveries = {
      fanOut: async () => 0,
      claimDue: () => {
        claims++;
        events.push('pass claims');
        return new Promise<never[]>((resolve) => (answerClaim = () => resolve([])));
      },
      countPending: async () => 0,
    } as unknown as WebhookDeliveriesRepository;
    const sender = {
      close: async () => {
        events.push('sender closed');
      },
    } as unknown as WebhookSender;
    const subscriptions = { resealSecrets: async () => 0 } as unknown as WebhooksRepository;
    const secrets = { currentPrefix: 'k1' } as unknown as WebhookSecretBox;
    const config = { webhooks: { enabled: true, intervalMs: 1, batchSize: 10, leaseSeconds: 30 } } as unknown as AppConfigService;
    const metrics = { registry: new Registry() } as unknown as MetricsService;
    const dispatcher = new WebhookDispatcher(deliveries, sender, secrets, subscriptions, config, metrics);

    dispatcher.onApplicationBootstrap();
    while (claims === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    let stopped = false;
    const stopping = dispatcher.onApplicationShutdown().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    expect(events).toEqual(['pass claims']);

    answerClaim();
    events.push('pass answered');
    await stopping;
    expect(events).toEqual(['pass claims', 'pass answered', 'sender closed']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(claims).toBe(1);
  });
});
