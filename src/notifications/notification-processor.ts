import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { PurchaseStatusService } from '../purchase/purchase-status.service';
import { PurchasesRepository } from '../purchase/purchases.repository';
import { HeldNotification, NotificationsRepository, RepeatAnswer, StoredNotification } from './notifications.repository';
import { settledStatusReported } from './settled-status';
import type { Transaction } from '../transactions/entities/transaction.entity';

const logger = new Logger('DokuNotifications');

/** The most one sweep takes at once. */
const SWEEP_BATCH = 200;

/**
 * Applies stored notifications, after DOKU has had its answer (docs/doku-integration.md#notifications):
 * a notification is a hint, confirmed with Query Purchase and applied through the state machine, so
 * a forged, replayed or out-of-order notification can never move a state by itself.
 *
 * Processing is a hint that can wait; the acknowledgement is what DOKU times. So a few
 * notifications are processed at once (`NOTIFICATION_PROCESSING_CONCURRENCY`; one while a burst
 * is being stored) and the others wait
 * in arrival order, in memory up to `NOTIFICATION_QUEUE_LIMIT`: a burst never takes the CPU and
 * the database pool from the next acknowledgements, and never grows memory without bound. The
 * instance that stores a notification holds it (a lease in its row) while it waits; a sweep on
 * start, every `NOTIFICATION_SWEEP_INTERVAL_MS`, and whenever the queue runs low while more may
 * wait, takes what nobody holds: notifications past the queue limit, those of an instance that
 * died, and those whose processing failed (retried a lease later, given up after
 * `NOTIFICATION_MAX_ATTEMPTS`).
 */
@Injectable()
export class NotificationProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: Waiting[] = [];
  /** Ids waiting or in flight here: a sweep does not queue what this instance already has. */
  private readonly queued = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private sweepRunning = false;
  /** Some stored notifications may be held by nobody: the last sweep filled all its room, or one was stored past the queue limit. */
  private moreUnheld = false;
  private stopped = false;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly purchases: PurchasesRepository,
    private readonly status: PurchaseStatusService,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.outcomes = new Counter({
      name: 'doku_notifications_processed_total',
      help: 'Stored DOKU notifications processed, by outcome (processed, failed, gave_up, swept)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    metrics.gaugeOf('doku_notifications_waiting', 'Notifications waiting in this instance for processing', () => this.waiting.length);
    metrics.gaugeOf(
      'doku_notifications_oldest_unprocessed_age_seconds',
      'Age of the oldest stored notification not processed yet (all instances)',
      async () => (await this.repository.backlog()).oldestAgeSeconds,
    );
  }

  onApplicationBootstrap(): void {
    const tick = () => {
      this.kickSweep();
      if (!this.stopped) this.sweepTimer = setTimeout(tick, this.config.notifications.sweepIntervalMs);
    };
    // At once: what a previous process stored and never processed is taken over on start.
    this.sweepTimer = setTimeout(tick, 0);
  }

  /** Whether a notification stored now is held here (its queue has room) or left for a sweep. */
  hasRoom(): boolean {
    // Stopping: the HTTP server still takes notifications until Nest closes it, after this module's
    // destroy hook. They are stored for a sweep (of another instance, or the next start) rather than
    // started here, so a steady stream of them cannot hold the shutdown open.
    return !this.stopped && this.waiting.length < this.config.notifications.queueLimit;
  }

  /**
   * A notification just stored: closed at intake as a repeat of a settled status (nothing left to
   * do), held by this instance (`keptHere`, processed in turn) or left for a sweep.
   */
  stored(stored: StoredNotification, keptHere: boolean, about: Omit<HeldNotification, 'id'>): void {
    if (stored.closedAsRepeat) this.outcomes.inc({ outcome: 'processed' });
    else if (keptHere) this.take({ id: stored.id, ...about });
    else this.leftUnheld();
  }

  /** A notification just stored and held by this instance: processed in turn, or given back when stopping. */
  take(held: HeldNotification): void {
    if (this.stopped) {
      // Held before the stop, stored after it: given back at once instead of waiting out its lease.
      void this.repository
        .release([held.id])
        .catch((error: unknown) => logger.warn(`Could not give back notification ${held.id}: ${(error as Error).message}`));
      return;
    }
    this.enqueue(held);
  }

  /** A notification just stored past the queue limit, held by nobody: a sweep takes it. */
  leftUnheld(): void {
    this.moreUnheld = true;
    this.refill();
  }

  /**
   * Takes over stored notifications nobody holds, as many as the queue has room for (at least
   * one round of processing, so a queue limit of 0 still makes progress). Returns how many it took.
   */
  async sweep(): Promise<number> {
    const { queueLimit, processingConcurrency, leaseSeconds } = this.config.notifications;
    const room = Math.min(SWEEP_BATCH, Math.max(queueLimit, processingConcurrency) - this.waiting.length);
    if (room <= 0 || this.stopped) return 0;
    const taken = await this.repository.claimUnheld(room, leaseSeconds);
    this.moreUnheld = taken.length === room;
    let added = 0;
    for (const held of taken) {
      if (this.queued.has(held.id)) continue;
      this.enqueue(held);
      added++;
    }
    if (added > 0) {
      this.outcomes.inc({ outcome: 'swept' }, added);
      logger.log(`Took over ${added} stored notification(s) nobody was processing`);
    }
    return added;
  }

  /**
   * Stops sweeping, gives back what waits here (another instance, or the next start, takes it over
   * at once) and lets what is in flight finish before the database goes away.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    await this.sweeping;
    const given = this.waiting.splice(0).map((h) => h.id);
    for (const id of given) this.queued.delete(id);
    await this.repository
      .release(given)
      .catch((error: unknown) => logger.warn(`Could not give back ${given.length} notification(s): ${(error as Error).message}`));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** One sweep at a time: on the timer, and at once when the queue runs low while more may wait unheld. */
  private kickSweep(): void {
    if (this.sweepRunning || this.stopped) return;
    this.sweepRunning = true;
    this.sweeping = this.sweep()
      .then(() => undefined)
      .catch((error: unknown) => logger.warn(`Notification sweep failed: ${(error as Error).message}`))
      .finally(() => {
        this.sweepRunning = false;
      });
  }

  /**
   * Past the queue limit, notifications wait in the table only: the sweep follows the queue, so
   * processing never idles until the next timer while they wait.
   */
  private refill(): void {
    if (this.moreUnheld && this.waiting.length <= this.config.notifications.processingConcurrency) this.kickSweep();
  }

  private enqueue(held: HeldNotification): void {
    this.queued.add(held.id);
    this.waiting.push(held);
    this.startWaiting();
  }

  /**
   * Acknowledgements first: while a burst is being stored (the intake has notifications waiting for
   * a statement), one notification is processed at a time instead of NOTIFICATION_PROCESSING_CONCURRENCY;
   * the rest start as the burst ends (each finished job looks again). Processing is never stopped,
   * only slowed: a customer's poll and the reconciler ask DOKU themselves meanwhile.
   */
  private startWaiting(): void {
    const busy = this.repository.intakeBusy();
    const limit = busy ? 1 : this.config.notifications.processingConcurrency;
    while (this.inFlight.size < limit && this.waiting.length > 0) {
      const batch = this.nextBatch(busy ? 1 : REPEAT_BATCH);
      const job: Promise<void> = this.processBatch(batch)
        // processBatch settles each notification's failures itself; this only keeps a bug from
        // becoming an unhandled rejection.
        .catch((error: unknown) =>
          logger.error(`Notification processing failed unexpectedly: ${(error as Error)?.message ?? String(error)}`),
        )
        .finally(() => {
          this.inFlight.delete(job);
          this.startWaiting();
          this.refill();
        });
      this.inFlight.add(job);
    }
  }

  /**
   * The next job: the first waiting notification and, when it may only repeat what we settled, the
   * possible repeats right behind it, up to `max`, which one statement closes together. While a
   * burst is being stored the job stays one notification (acknowledgements first); the backlog the
   * burst leaves is then closed REPEAT_BATCH at a time.
   */
  private nextBatch(max: number): Waiting[] {
    const batch = [this.waiting.shift()!];
    if (!mayRepeat(batch[0])) return batch;
    while (batch.length < max && this.waiting.length > 0 && mayRepeat(this.waiting[0])) batch.push(this.waiting.shift()!);
    return batch;
  }

  private async processBatch(batch: Waiting[]): Promise<void> {
    if (!mayRepeat(batch[0])) {
      await this.processOne(batch[0]);
      return;
    }
    // The common case first (DOKU's retries, a notification after a poll settled the purchase): a
    // notification that reports the settled status we already have, about a purchase none of whose
    // refunds or cancels waits for DOKU, is closed without asking DOKU again, since DOKU's answer
    // could not change anything (docs/doku-integration.md#notifications).
    let answers: RepeatAnswer[];
    try {
      answers = await this.repository.closeRepeats(
        batch.map((held) => ({
          id: held.id,
          partnerReferenceNo: held.partnerReferenceNo!,
          status: settledStatusReported(held.reportedStatus)!,
        })),
      );
    } catch (error) {
      await Promise.all(batch.map((held) => this.failed(held.id, error)));
      for (const held of batch) this.queued.delete(held.id);
      return;
    }
    const declined: Waiting[] = [];
    batch.forEach((held, i) => {
      const answer = answers[i];
      if (answer.closed) {
        this.outcomes.inc({ outcome: 'processed' });
        this.queued.delete(held.id);
      } else {
        // The others are processed in full, first in line, from the purchase the statement read.
        declined.push({ ...held, read: { purchase: answer.purchase } });
      }
    });
    if (declined.length === 0) return;
    if (this.stopped) {
      for (const held of declined) this.queued.delete(held.id);
      await this.repository
        .release(declined.map((held) => held.id))
        .catch((error: unknown) => logger.warn(`Could not give back ${declined.length} notification(s): ${(error as Error).message}`));
      return;
    }
    this.waiting.unshift(...declined);
  }

  private async processOne(held: Waiting): Promise<void> {
    try {
      await this.process(held);
      this.outcomes.inc({ outcome: 'processed' });
    } catch (error) {
      await this.failed(held.id, error);
    } finally {
      this.queued.delete(held.id);
    }
  }

  /** Counted against the notification; a sweep retries it a lease later (the reconciler settles the purchase anyway). */
  private async failed(id: string, error: unknown): Promise<void> {
    const message = (error as Error)?.message ?? String(error);
    logger.warn(`Notification ${id} not processed: ${message}`);
    this.outcomes.inc({ outcome: 'failed' });
    try {
      if (await this.repository.recordFailure(id, this.config.notifications.maxAttempts, message)) {
        this.outcomes.inc({ outcome: 'gave_up' });
        logger.warn(
          `Notification ${id} given up after ${this.config.notifications.maxAttempts} attempts; the reconciler settles its transaction`,
        );
      }
    } catch (e) {
      logger.warn(`Could not record the failed attempt of notification ${id}: ${(e as Error).message}`);
    }
  }

  private async process(held: Waiting): Promise<void> {
    const purchase = held.read
      ? held.read.purchase
      : held.partnerReferenceNo
        ? await this.purchases.findByPartnerReference(held.partnerReferenceNo)
        : null;
    if (!purchase) {
      await this.repository.markProcessed(held.id, 'no purchase with this reference');
      return;
    }
    // Anything else (a purchase we failed that DOKU says is paid, a repeat while a refund waits, a
    // status we cannot read) is confirmed with Query Purchase, and closed in the commit that applies
    // DOKU's answer.
    await this.status.confirm(purchase, NotificationsRepository.closedByConfirmation(held.id));
  }
}

/** The most possible repeats one statement closes. */
const REPEAT_BATCH = 64;

/** A notification waiting here; `read` once the repeat statement declined it and answered its purchase. */
interface Waiting extends HeldNotification {
  read?: { purchase: Transaction | null };
}

/** Whether a notification may only repeat what we settled: it names a purchase and reports a settled status, and was not tried as a repeat yet. */
function mayRepeat(held: Waiting): boolean {
  return !held.read && held.partnerReferenceNo !== null && settledStatusReported(held.reportedStatus) !== null;
}
