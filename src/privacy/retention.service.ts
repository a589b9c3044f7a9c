import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfigService } from '../config/app-config.service';
import { PrivacyRepository } from './privacy.repository';

export interface RetentionRunSummary {
  /** False when another instance held the job's lock: this run deleted nothing. */
  ran: boolean;
  dokuExchanges: number;
  dokuNotifications: number;
}

/** Batches per table and run at most, so one run stays short; the next run continues. */
const MAX_BATCHES_PER_RUN = 200;

/**
 * Deletes records kept for operations and disputes once their retention period is over
 * (docs/privacy.md#retention): DOKU exchange records (`doku_exchanges`) and processed DOKU
 * notifications (`doku_notifications`). Never money records: transactions, their events,
 * idempotency keys and inquiries are not touched, and the exchanges and notifications of money that
 * is still unresolved (PENDING, UNKNOWN, waiting for the back office) are kept whatever their age.
 * Runs on an interval like the reconciler (RETENTION_ENABLED, RETENTION_INTERVAL_MS), in batches of
 * RETENTION_BATCH_SIZE, each batch a short transaction under an advisory lock so one instance works
 * at a time.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly repo: PrivacyRepository,
    private readonly config: AppConfigService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.privacy.retentionEnabled) return;
    const tick = () => {
      this.running = this.runOnce()
        .catch((e: unknown) => this.logger.error({ err: e }, 'retention run failed'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.config.privacy.retentionIntervalMs);
        });
    };
    this.timer = setTimeout(tick, this.config.privacy.retentionIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over both tables; `now` is the moment the periods are counted back from. */
  async runOnce(now: Date = new Date()): Promise<RetentionRunSummary> {
    const { retentionBatchSize: batch, dokuExchangeRetentionDays, dokuNotificationRetentionDays } = this.config.privacy;
    const ago = (days: number) => new Date(now.getTime() - days * 86_400_000);
    const summary: RetentionRunSummary = { ran: true, dokuExchanges: 0, dokuNotifications: 0 };

    const exchanges = await this.drain((cutoff) => this.repo.deleteExpiredExchanges(cutoff, batch), ago(dokuExchangeRetentionDays), batch);
    if (exchanges === null) return { ran: false, dokuExchanges: 0, dokuNotifications: 0 };
    summary.dokuExchanges = exchanges;

    const notifications = await this.drain(
      (cutoff) => this.repo.deleteExpiredNotifications(cutoff, batch),
      ago(dokuNotificationRetentionDays),
      batch,
    );
    if (notifications === null) return { ...summary, ran: false };
    summary.dokuNotifications = notifications;

    if (summary.dokuExchanges + summary.dokuNotifications > 0) {
      this.logger.log(`retention: deleted ${summary.dokuExchanges} DOKU exchange records, ${summary.dokuNotifications} notifications`);
    }
    return summary;
  }

  /** Runs a batch until it deletes less than a batch; null when another instance holds the lock. */
  private async drain(deleteBatch: (cutoff: Date) => Promise<number | null>, cutoff: Date, batch: number): Promise<number | null> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
      const deleted = await deleteBatch(cutoff);
      if (deleted === null) return i === 0 ? null : total;
      total += deleted;
      if (deleted < batch) break;
    }
    return total;
  }
}
