import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { EXPIRY_CHECK_GRACE_SECONDS, payableUntilOf } from '../transactions/payable-until';
import { isUnresolved } from '../transactions/transaction-state';
import { AbandonedRequestCompleter } from './abandoned-request.completer';
import { nextCheckDelaySeconds } from './reconciliation.schedule';
import { ReconciliationRepository } from './reconciliation.repository';
import { TransactionResolverRegistry } from '../transactions/transaction-resolver.registry';

export interface ReconcileRunSummary {
  claimed: number;
  settled: number;
  stillUnresolved: number;
  errors: number;
  /** Idempotency keys of abandoned requests completed in this pass (AbandonedRequestCompleter). */
  keysCompleted: number;
}

/**
 * Drives every PENDING and UNKNOWN transaction to DOKU's truth with the matching status query, on a
 * backoff schedule, safely across instances (leases under SKIP LOCKED) and across restarts (all its
 * state is in the transactions table). Requests abandoned mid-flight by a dead process are simply
 * unresolved transactions here: they are driven to their final state with their own identifiers,
 * and then their Idempotency-Keys are completed from that state (AbandonedRequestCompleter).
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconciliationService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly repo: ReconciliationRepository,
    private readonly transactions: TransactionsRepository,
    private readonly resolvers: TransactionResolverRegistry,
    private readonly completer: AbandonedRequestCompleter,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.outcomes = new Counter({
      name: 'reconciliation_checks_total',
      help: 'Status checks of unresolved transactions by outcome',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    const stats = () => this.repo.stats();
    new Gauge({
      name: 'reconciliation_unresolved_transactions',
      help: 'PENDING or UNKNOWN transactions still being checked',
      registers: [metrics.registry],
      async collect() {
        this.set((await stats()).unresolved);
      },
    });
    new Gauge({
      name: 'reconciliation_oldest_unresolved_age_seconds',
      help: 'Age of the oldest PENDING or UNKNOWN transaction',
      registers: [metrics.registry],
      async collect() {
        this.set((await stats()).oldestAgeSeconds);
      },
    });
    new Gauge({
      name: 'reconciliation_attention_required_transactions',
      help: 'Unresolved transactions past the last scheduled check, waiting for the back office',
      registers: [metrics.registry],
      async collect() {
        this.set((await stats()).attentionRequired);
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.reconciliation.enabled) return;
    const tick = () => {
      this.running = this.runOnce()
        .catch((e: unknown) => this.logger.error({ err: e }, 'reconciliation run failed'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.config.reconciliation.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.config.reconciliation.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One pass: claim what is due, ask DOKU about each, schedule the rest; then complete the keys of
   * abandoned requests whose transaction is now settled (by this pass or otherwise).
   */
  async runOnce(): Promise<ReconcileRunSummary> {
    const { batchSize, leaseSeconds } = this.config.reconciliation;
    const claimed = await this.repo.claimDue(batchSize, leaseSeconds, this.completer.abandonedAfterSeconds);
    const summary: ReconcileRunSummary = { claimed: claimed.length, settled: 0, stillUnresolved: 0, errors: 0, keysCompleted: 0 };
    await Promise.all(
      claimed.map(async (t) => {
        const resolver = this.resolvers.resolverFor(t);
        try {
          if (resolver) await resolver(t);
        } catch (e) {
          summary.errors++;
          this.outcomes.inc({ outcome: 'error' });
          this.logger.warn({ err: e, transactionId: t.id }, 'status check failed; will retry');
        }
        const now = await this.transactions.findById(t.id);
        if (now && isUnresolved(now.status)) {
          summary.stillUnresolved++;
          this.outcomes.inc({ outcome: 'unresolved' });
          let delay = nextCheckDelaySeconds(now.checkAttempts, this.config.reconciliation.scheduleSeconds);
          // A purchase waiting for its PIN is checked right after its PIN page closes (validUpTo), not
          // minutes later on the backoff schedule: that is when an abandoned purchase expires.
          const payableUntil = now.status === 'PENDING' ? payableUntilOf(now) : undefined;
          if (payableUntil !== undefined) {
            const untilExpiry = Math.ceil((payableUntil - Date.now()) / 1000) + EXPIRY_CHECK_GRACE_SECONDS;
            if (untilExpiry > 0 && (delay === null || untilExpiry < delay)) delay = untilExpiry;
          }
          if (delay === null)
            this.logger.warn(
              { transactionId: t.id },
              'transaction still unresolved after every scheduled check: flagged for the back office',
            );
          await this.repo.scheduleNext(t.id, delay);
        } else {
          summary.settled++;
          this.outcomes.inc({ outcome: 'settled' });
        }
      }),
    );
    summary.keysCompleted = await this.completer.completeSettled();
    return summary;
  }
}
