import { Registry } from 'prom-client';
import type { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import type { PurchaseStatusService, SameStatementWrite } from '../purchase/purchase-status.service';
import type { PurchasesRepository } from '../purchase/purchases.repository';
import type { Transaction } from '../transactions/entities/transaction.entity';
import { NotificationProcessor } from './notification-processor';
import { settledStatusReported } from './settled-status';
import type { NotificationsRepository } from './notifications.repository';

/** A processor over fakes: each confirmation waits until the test lets it finish. */
function processorWith(concurrency: number, stored: Partial<Transaction> | null = { status: 'PENDING' }, unresolvedChildren = false) {
  let busy = false;
  const results: string[] = [];
  const running: Array<() => void> = [];
  const processed: string[] = [];
  const closeRepeatCalls: string[] = [];
  /** The notifications of each repeat statement, by id. */
  const repeatBatches: string[][] = [];
  const reads: string[] = [];
  const released: string[] = [];
  let sweeps = 0;
  const confirmed: Array<Transaction | null> = [];
  const purchaseRow = (ref: string): Transaction | null => (stored === null ? null : ({ id: ref, ...stored } as Transaction));
  const repository = {
    intakeBusy: () => busy,
    backlog: async () => ({ unprocessed: 3, oldestAgeSeconds: 42.5 }),
    release: async (ids: readonly string[]) => {
      released.push(...ids);
    },
    claimUnheld: async () => {
      sweeps++;
      return [];
    },
    markProcessed: async (id: string, result: string) => {
      processed.push(id);
      results.push(result);
    },
    // What the one statement does (its SQL is exercised end to end in test/doku-notifications.e2e-spec.ts).
    closeRepeats: async (repeats: Array<{ id: string; partnerReferenceNo: string; status: string }>) => {
      repeatBatches.push(repeats.map((r) => r.id));
      return repeats.map(({ id, partnerReferenceNo: ref, status }) => {
        closeRepeatCalls.push(status);
        if (stored === null || stored.status !== status || unresolvedChildren) return { closed: false, purchase: purchaseRow(ref) };
        processed.push(id);
        results.push(`already ${status}: DOKU not asked again`);
        return { closed: true };
      });
    },
  } as unknown as NotificationsRepository;
  const purchases = {
    findByPartnerReference: async (ref: string) => {
      reads.push(ref);
      return purchaseRow(ref);
    },
  } as unknown as PurchasesRepository;
  const status = {
    // The write it is given closes the notification in the confirmation's statement: the fake
    // reads which notification from its parameters (the SQL runs in test/doku-notifications.e2e-spec.ts).
    confirm: (purchase: Transaction, inSameStatement: SameStatementWrite) =>
      new Promise<string>((resolve) => {
        confirmed.push(purchase);
        running.push(() => resolve('SUCCESS'));
      }).then((s) => {
        const params: unknown[] = [];
        const cte = inSameStatement(params, `'${s}'`);
        expect(cte).toMatch(/UPDATE doku_notifications SET processed_at = now\(\)/);
        processed.push(params[0] as string);
        results.push(`confirmed by Query Purchase: ${s}`);
        return s;
      }),
  } as unknown as PurchaseStatusService;
  const config = {
    notifications: { processingConcurrency: concurrency, queueLimit: 1000, sweepIntervalMs: 60_000, leaseSeconds: 60, maxAttempts: 5 },
  } as unknown as AppConfigService;
  // The registry only (no default process metrics); gauges registered the way the service does.
  const registry = new Registry();
  const metrics = {
    registry,
    gaugeOf: (name: string, help: string, read: () => number | Promise<number>) =>
      MetricsService.prototype.gaugeOf.call({ registry }, name, help, read),
  } as unknown as MetricsService;
  const processor = new NotificationProcessor(repository, purchases, status, config, metrics);
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    processor,
    running,
    processed,
    results,
    closeRepeatCalls,
    repeatBatches,
    reads,
    confirmed,
    released,
    sweeps: () => sweeps,
    /** A gauge's value, read as a scrape reads it. */
    gauge: async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value,
    /** The processed-notifications counter, by outcome. */
    outcomes: async () =>
      Object.fromEntries(
        (await metrics.registry.getSingleMetric('doku_notifications_processed_total')!.get()).values.map((v) => [
          v.labels.outcome,
          v.value,
        ]),
      ),
    setBusy: (b: boolean) => {
      busy = b;
    },
    /** From now on each repeat statement waits for `answer()` (the one waiting last), until `stopHolding()`. */
    holdRepeats: () => {
      const fake = repository as unknown as { closeRepeats: (r: unknown[]) => Promise<unknown[]> };
      const closeRepeats = fake.closeRepeats;
      let answer: () => void = () => undefined;
      fake.closeRepeats = (r) => new Promise((resolve) => (answer = () => resolve(closeRepeats(r))));
      return {
        answer: () => answer(),
        stopHolding: () => {
          fake.closeRepeats = closeRepeats;
        },
      };
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
    for (let i = 0; i < 10; i++) p.processor.take({ id: `n${i}`, partnerReferenceNo: `r${i}`, reportedStatus: '00' });
    await p.settle();
    expect(p.running).toHaveLength(4);
  });

  it('processes one at a time while a burst is being stored, and the full number again once it is stored', async () => {
    const p = processorWith(4);
    p.setBusy(true);
    for (let i = 0; i < 10; i++) p.processor.take({ id: `n${i}`, partnerReferenceNo: `r${i}`, reportedStatus: '00' });
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

describe('NotificationProcessor: metrics', () => {
  it("shows this instance's waiting notifications and the age of the oldest one not processed", async () => {
    const { gauge } = processorWith(2);
    expect(await gauge('doku_notifications_oldest_unprocessed_age_seconds')).toBe(42.5);
    expect(await gauge('doku_notifications_waiting')).toBe(0);
  });
});

describe('NotificationProcessor: stopping', () => {
  it('finishes what is in flight, gives back what waits, and starts nothing that arrives meanwhile', async () => {
    const p = processorWith(1);
    p.processor.take({ id: 'n1', partnerReferenceNo: 'r1', reportedStatus: '00' });
    p.processor.take({ id: 'n2', partnerReferenceNo: 'r2', reportedStatus: '00' });
    await p.settle();
    expect(p.running).toHaveLength(1);
    expect(p.processor.hasRoom()).toBe(true);

    let stopped = false;
    const stopping = p.processor.onModuleDestroy().then(() => {
      stopped = true;
    });
    await p.settle();
    expect(p.released).toEqual(['n2']);
    // The HTTP server still answers DOKU until Nest closes it: what is stored now is left for a sweep.
    expect(p.processor.hasRoom()).toBe(false);
    // One the intake decided to hold before the stop and stored after it is given back, not started.
    p.processor.take({ id: 'n3', partnerReferenceNo: 'r3', reportedStatus: '00' });
    await p.settle();
    expect(p.released).toEqual(['n2', 'n3']);
    expect(p.running).toHaveLength(1);

    await p.finishOne();
    await stopping;
    expect(stopped).toBe(true);
    expect(p.processed).toEqual(['n1']);
    expect(p.running).toHaveLength(0);
  });
});

describe('NotificationProcessor: a notification just stored', () => {
  it('stored closed as a repeat: counted as processed, and nothing is queued, read or asked', async () => {
    const p = processorWith(4, { status: 'SUCCESS' });
    p.processor.stored({ id: 'n1', closedAsRepeat: true }, true, { partnerReferenceNo: 'r1', reportedStatus: '00' });
    for (let i = 0; i < 3; i++) await p.settle();
    expect(p.closeRepeatCalls).toEqual([]);
    expect(p.reads).toEqual([]);
    expect(p.running).toHaveLength(0);
    expect(p.sweeps()).toBe(0);
    expect(await p.outcomes()).toEqual({ processed: 1 });
  });

  it('stored open and held here: processed in turn; stored open past the queue: left for a sweep', async () => {
    const p = processorWith(4, { status: 'PENDING' });
    p.processor.stored({ id: 'n1', closedAsRepeat: false }, true, { partnerReferenceNo: 'r1', reportedStatus: '03' });
    await p.settle();
    expect(p.reads).toEqual(['r1']);
    expect(p.running).toHaveLength(1);
    p.processor.stored({ id: 'n2', closedAsRepeat: false }, false, { partnerReferenceNo: 'r2', reportedStatus: '03' });
    await p.settle();
    expect(p.reads).toEqual(['r1']);
    expect(p.sweeps()).toBe(1);
  });
});

describe('NotificationProcessor: a notification that repeats what we settled', () => {
  it('is closed without asking DOKU when the purchase is settled as it says and nothing of it waits', async () => {
    const p = processorWith(4, { status: 'SUCCESS' });
    p.processor.take({ id: 'n1', partnerReferenceNo: 'r1', reportedStatus: '00' });
    for (let i = 0; i < 5; i++) await p.settle();
    expect(p.running).toHaveLength(0);
    expect(p.results).toEqual(['already SUCCESS: DOKU not asked again']);
    expect(p.closeRepeatCalls).toEqual(['SUCCESS']);
  });

  it('tries the one-statement close only for a settled status it reports', async () => {
    const p = processorWith(4, { status: 'PENDING' });
    p.processor.take({ id: 'n1', partnerReferenceNo: 'r1', reportedStatus: '03' });
    p.processor.take({ id: 'n2', partnerReferenceNo: 'r2', reportedStatus: 'PAID?' });
    p.processor.take({ id: 'n3', partnerReferenceNo: null, reportedStatus: '00' });
    await p.settle();
    expect(p.closeRepeatCalls).toEqual([]);
    // Without the close, the purchase is read on its own.
    expect(p.reads).toEqual(['r1', 'r2']);
    // A PENDING purchase reported paid: the close finds nothing to close, answers the purchase it
    // read, and DOKU is asked about that purchase without reading it again.
    const pending = processorWith(4, { status: 'PENDING' });
    pending.processor.take({ id: 'n4', partnerReferenceNo: 'r4', reportedStatus: '00' });
    await pending.settle();
    expect(pending.closeRepeatCalls).toEqual(['SUCCESS']);
    expect(pending.running).toHaveLength(1);
    expect(pending.confirmed).toEqual([expect.objectContaining({ id: 'r4', status: 'PENDING' })]);
    expect(pending.reads).toEqual([]);
  });

  it('closes a settled status about a purchase we do not have without reading it twice or asking DOKU', async () => {
    const p = processorWith(4, null);
    p.processor.take({ id: 'n1', partnerReferenceNo: 'r1', reportedStatus: '00' });
    for (let i = 0; i < 5; i++) await p.settle();
    expect(p.results).toEqual(['no purchase with this reference']);
    expect(p.reads).toEqual([]);
    expect(p.running).toHaveLength(0);
  });

  it('is confirmed with DOKU while a refund or cancel of the purchase waits, or when it says something else', async () => {
    const refunding = processorWith(4, { status: 'SUCCESS' }, true);
    refunding.processor.take({ id: 'n1', partnerReferenceNo: 'r1', reportedStatus: '00' });
    await refunding.settle();
    expect(refunding.running).toHaveLength(1);

    // We failed it, DOKU says it is paid: only DOKU's answer to a status query tells.
    const disagreeing = processorWith(4, { status: 'FAILED' });
    disagreeing.processor.take({ id: 'n2', partnerReferenceNo: 'r2', reportedStatus: '00' });
    await disagreeing.settle();
    expect(disagreeing.running).toHaveLength(1);
    await disagreeing.finishOne();
    expect(disagreeing.results).toEqual(['confirmed by Query Purchase: SUCCESS']);
  });

  it('repeats waiting together are closed by one statement; one that needs DOKU is confirmed first in line, within the concurrency', async () => {
    const p = processorWith(2, { status: 'SUCCESS' });
    // While a burst is being stored, one at a time (acknowledgements first)...
    const held = p.holdRepeats();
    p.setBusy(true);
    for (let i = 0; i < 10; i++) p.processor.take({ id: `n${i}`, partnerReferenceNo: `r${i}`, reportedStatus: '00' });
    await p.settle();
    held.answer();
    await p.settle();
    // n0 closed; n1 alone in the next statement (its batch shows once it is answered).
    expect(p.repeatBatches).toEqual([['n0']]);
    expect(p.processed).toEqual(['n0']);
    // ...and once it is stored, what waits is closed together.
    p.setBusy(false);
    held.stopHolding();
    held.answer();
    for (let i = 0; i < 5; i++) await p.settle();
    expect(p.repeatBatches).toEqual([['n0'], ['n1'], ['n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9']]);
    expect(p.processed).toHaveLength(10);
    expect(p.running).toHaveLength(0);

    // A purchase still PENDING with us that DOKU reports paid: the statement declines it and
    // answers the purchase; each is then confirmed with DOKU, no more at once than the concurrency.
    const q = processorWith(2, { status: 'PENDING' });
    q.setBusy(true);
    for (let i = 0; i < 6; i++) q.processor.take({ id: `n${i}`, partnerReferenceNo: `r${i}`, reportedStatus: '00' });
    for (let i = 0; i < 5; i++) await q.settle();
    expect(q.repeatBatches).toEqual([['n0']]);
    expect(q.running).toHaveLength(1);
    q.setBusy(false);
    await q.finishOne();
    expect(q.repeatBatches).toEqual([['n0'], ['n1', 'n2', 'n3', 'n4', 'n5']]);
    expect(q.running).toHaveLength(2);
    while (q.running.length > 0) await q.finishOne();
    expect(q.results).toEqual(Array(6).fill('confirmed by Query Purchase: SUCCESS'));
    expect(q.processed.sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    expect(q.reads).toEqual([]);
  });

  it('a possible repeat stays in arrival order behind one that is not, and is batched only with those next to it', async () => {
    const p = processorWith(1, { status: 'SUCCESS' });
    p.processor.take({ id: 'n0', partnerReferenceNo: 'r0', reportedStatus: '03' });
    p.processor.take({ id: 'n1', partnerReferenceNo: 'r1', reportedStatus: '00' });
    p.processor.take({ id: 'n2', partnerReferenceNo: 'r2', reportedStatus: '00' });
    p.processor.take({ id: 'n3', partnerReferenceNo: 'r3', reportedStatus: '03' });
    p.processor.take({ id: 'n4', partnerReferenceNo: 'r4', reportedStatus: '00' });
    await p.settle();
    expect(p.reads).toEqual(['r0']);
    expect(p.repeatBatches).toEqual([]);
    await p.finishOne();
    for (let i = 0; i < 5; i++) await p.settle();
    expect(p.repeatBatches).toEqual([['n1', 'n2']]);
    expect(p.reads).toEqual(['r0', 'r3']);
    await p.finishOne();
    for (let i = 0; i < 5; i++) await p.settle();
    expect(p.repeatBatches).toEqual([['n1', 'n2'], ['n4']]);
    expect(p.processed).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
  });

  it('a failed repeat statement counts an attempt against each of its notifications', async () => {
    const p = processorWith(1, { status: 'SUCCESS' });
    const failures: string[] = [];
    const repository = (p.processor as unknown as { repository: Record<string, unknown> }).repository;
    repository.closeRepeats = async () => {
      throw new Error('connection lost');
    };
    repository.recordFailure = async (id: string) => {
      failures.push(id);
      return false;
    };
    p.setBusy(true);
    for (let i = 0; i < 3; i++) p.processor.take({ id: `n${i}`, partnerReferenceNo: `r${i}`, reportedStatus: '00' });
    for (let i = 0; i < 5; i++) await p.settle();
    expect(failures.sort()).toEqual(['n0', 'n1', 'n2']);
    expect(p.processed).toEqual([]);
    // Not held in memory any more: a sweep may take them again after their lease.
    expect((p.processor as unknown as { queued: Set<string> }).queued.size).toBe(0);
  });

  it('stopping: what the repeat statement declines is given back, not started', async () => {
    const p = processorWith(1, { status: 'PENDING' });
    const held = p.holdRepeats();
    p.processor.take({ id: 'n1', partnerReferenceNo: 'r1', reportedStatus: '00' });
    await p.settle();
    const stopping = p.processor.onModuleDestroy();
    await p.settle();
    held.answer();
    await stopping;
    expect(p.released).toEqual(['n1']);
    expect(p.running).toHaveLength(0);
    expect(p.confirmed).toEqual([]);
  });

  it('settledStatusReported: the settled status a notification reports, and none for anything else', () => {
    expect(settledStatusReported('06')).toBe('FAILED');
    expect(settledStatusReported('05')).toBe('CANCELED');
    expect(settledStatusReported('SUCCESS')).toBe('SUCCESS');
    expect(settledStatusReported('FAILED')).toBe('FAILED');
    // Refunds, what is still in flight and what we cannot read: DOKU is asked.
    expect(settledStatusReported('04')).toBeNull();
    expect(settledStatusReported('99')).toBeNull();
    expect(settledStatusReported(null)).toBeNull();
    expect(settledStatusReported('00')).toBe('SUCCESS');
    expect(settledStatusReported('CANCELLED')).toBe('CANCELED');
    expect(settledStatusReported('CLOSED')).toBe('FAILED');
    expect(settledStatusReported('03')).toBeNull();
    expect(settledStatusReported('PAID?')).toBeNull();
  });
});
