import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { IdempotencyService } from '../transactions/idempotency/idempotency.service';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';
import { abandonedAfterSeconds } from './reconciliation.schedule';
import { ReconciliationRepository } from './reconciliation.repository';
import { TransactionResolverRegistry } from '../transactions/transaction-resolver.registry';

const BATCH = 50;

/**
 * Completes the Idempotency-Keys of requests abandoned mid-flight. When a process dies between
 * commit 1 (key IN_PROGRESS + PENDING intent, linked) and commit 2, the reconciler drives the
 * intent to DOKU's truth with its own identifiers; this then completes the key with the answer the
 * POST would have given for that final state (each feature's renderer), so a client retrying with
 * the same key gets it with `Idempotent-Replayed: true` instead of 409 forever. Keys whose
 * transaction is still unresolved stay IN_PROGRESS and keep answering 409 with Retry-After.
 *
 * Only keys older than the abandonment time are touched, so a live request normally completes its
 * own key; if one outlives it anyway, its commit 2 finds the key completed and answers the stored
 * response (IdempotencyService), so every answer of a key is the same.
 */
@Injectable()
export class AbandonedRequestCompleter {
  private readonly logger = new Logger(AbandonedRequestCompleter.name);
  private readonly completed: Counter<'type'>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repo: ReconciliationRepository,
    private readonly idempotency: IdempotencyService,
    private readonly registry: TransactionResolverRegistry,
    private readonly config: AppConfigService,
    metrics: MetricsService,
  ) {
    this.completed = new Counter({
      name: 'reconciliation_idempotency_keys_recovered_total',
      help: 'Idempotency keys of requests abandoned mid-flight, completed from their settled transaction, by transaction type',
      labelNames: ['type'] as const,
      registers: [metrics.registry],
    });
    const abandoned = () => this.repo.countAbandonedKeys(this.abandonedAfterSeconds);
    new Gauge({
      name: 'reconciliation_idempotency_keys_abandoned',
      help: 'Idempotency keys still IN_PROGRESS past the abandonment time (their transaction is not settled yet)',
      registers: [metrics.registry],
      async collect() {
        this.set(await abandoned());
      },
    });
  }

  /** Seconds after which an IN_PROGRESS key belongs to a dead request. */
  get abandonedAfterSeconds(): number {
    return abandonedAfterSeconds(this.config.doku.timeoutMs);
  }

  /** Completes every completable key (in batches); returns how many this instance completed. */
  async completeSettled(): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.repo.findCompletableKeys(BATCH, this.abandonedAfterSeconds);
      let done = 0;
      for (const id of ids) {
        if (await this.completeOne(id)) done++;
      }
      total += done;
      // Keys another instance holds (or that failed to render) are left for the next pass.
      if (ids.length < BATCH || done === 0) return total;
    }
  }

  private async completeOne(keyId: string): Promise<boolean> {
    try {
      return await this.db.transaction(async (tx) => {
        const transaction = await this.repo.lockCompletableKey(tx, keyId);
        if (!transaction) return false;
        const render = this.registry.renderer(transaction.type);
        if (!render) {
          this.logger.warn({ keyId, type: transaction.type }, 'no renderer for this transaction type: key left IN_PROGRESS');
          return false;
        }
        const done = await this.idempotency.completeAbandoned(tx, keyId, await render(transaction, tx));
        if (done) {
          this.completed.inc({ type: transaction.type });
          this.logger.log(
            { keyId, transactionId: transaction.id, status: transaction.status },
            'completed the idempotency key of an abandoned request',
          );
        }
        return done;
      });
    } catch (e) {
      this.logger.warn({ err: e, keyId }, 'could not complete the idempotency key of an abandoned request; will retry');
      return false;
    }
  }
}
