import { Registry } from 'prom-client';
import type { AppConfigService } from '../config/app-config.service';
import type { MetricsService } from '../metrics/metrics.service';
import type { PurchaseStatusService } from '../purchase/purchase-status.service';
import type { PurchasesRepository } from '../purchase/purchases.repository';
import type { Transaction } from '../transactions/entities/transaction.entity';
import { NotificationProcessor } from './notification-processor';
import type { NotificationsRepository } from './notifications.repository';

/** A processor over fakes: each confirmation waits until the test lets it finish. */
function processorWith(concurrency: number) {
  let busy = false;
  const running: Array<() => void> = [];
  const processed: string[] = [];
  const repository = {
    intakeBusy: () => busy,
    markProcessed: async (id: string) => {
      processed.push(id);
    },
  } as unknown as NotificationsRepository;
  const purchases = {
    findByPartnerReference: async (ref: string) => ({ id: ref }) as Transaction,
  } as unknown as PurchasesRepository;
  const status = {
    confirm: (_purchase: Transaction, inSameCommit: (tx: unknown, s: string) => Promise<void>) =>
      new Promise<string>((resolve) => running.push(() => resolve('SUCCESS'))).then(async (s) => {
        await inSameCommit(undefined, s);
        return s;
      }),
  } as unknown as PurchaseStatusService;
  const config = {
    notifications: { processingConcurrency: concurrency, queueLimit: 1000, sweepIntervalMs: 60_000, leaseSeconds: 60, maxAttempts: 5 },
  } as unknown as AppConfigService;
  const metrics = { registry: new Registry() } as unknown as MetricsService;
  const processor = new NotificationProcessor(repository, purchases, status, config, metrics);
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    processor,
    running,
    processed,
    setBusy: (b: boolean) => {
      busy = b;
    },
    /** Lets the oldest running confirmation finish, and the processor react. */
    finishOne: async () => {
      running.shift()?.();
      for (let i = 0; i < 5; i++) await settle();
    },
    settle,
  };
}

describe('NotificationProcessor: acknowledgements first', () => {
  it('processes NOTIFICATION_PROCESSING_CONCURRENCY at once while the intake is quiet', async () => {
    const p = processorWith(4);
    for (let i = 0; i < 10; i++) p.processor.take({ id: `n${i}`, partnerReferenceNo: `r${i}` });
    await p.settle();
    expect(p.running).toHaveLength(4);
  });

  it('processes one at a time while a burst is being stored, and the full number again once it is stored', async () => {
    const p = processorWith(4);
    p.setBusy(true);
    for (let i = 0; i < 10; i++) p.processor.take({ id: `n${i}`, partnerReferenceNo: `r${i}` });
    await p.settle();
    expect(p.running).toHaveLength(1);
    // Never stopped: each finished one makes room for the next.
    await p.finishOne();
    expect(p.processed).toEqual(['n0']);
    expect(p.running).toHaveLength(1);
    p.setBusy(false);
    await p.finishOne();
    expect(p.processed).toEqual(['n0', 'n1']);
    expect(p.running).toHaveLength(4);
    while (p.running.length > 0) await p.finishOne();
    expect(p.processed).toHaveLength(10);
  });
});
