import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { AppLogs, ContextLogger } from '../../../common/logging/app-logs';
import { DokuExchangesRepository, NewDokuExchangeRecord } from './doku-exchanges.repository';
import { DokuExchange, ExchangeRecorder } from './doku.ports';

// A batch is written when this many rows wait, or after FLUSH_DELAY_MS, whichever comes first.
const BATCH_SIZE = 200;
const FLUSH_DELAY_MS = 100;
// While the database is unreachable rows are kept and retried; past this many the oldest go,
// loudly, rather than the process running out of memory.
const MAX_BUFFERED = 50_000;
const RETRY_DELAY_MS = 1_000;
const MAX_FLUSH_FAILURES = 20;

/** SQLSTATE classes meaning "this row can never be stored" (data exception, integrity violation). */
function isPermanentRowError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** Code and message only: a driver error's `detail` can quote the failing row. */
function describe(error: unknown): { code?: string; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return { code: typeof e.code === 'string' ? e.code : undefined, message: String(e.message ?? error) };
}

/**
 * Stores every DOKU exchange in `doku_exchanges` and logs one structured line per exchange
 * (method, path, external id, responseCode, duration; no bodies, no secrets).
 *
 * `record()` never waits for the database and never throws: the DOKU call path pays a log line and
 * an array push. Rows are written in batches in the background; a failed batch is retried, and a
 * row the database refuses outright is logged and skipped without taking its batch with it.
 * `flush()` waits until everything recorded so far is stored; DokuModule calls it on shutdown.
 * Rows still buffered when the process is killed (at most FLUSH_DELAY_MS worth) are lost; the log
 * line for them was already written.
 */
/** Exchanges recorded while an operation's DOKU call ran, kept for the operation's own commit. */
export interface CapturedExchanges {
  rows: NewDokuExchangeRecord[];
  /** Closed once the call returned: a record made later (background work it started) goes to the batch. */
  open: boolean;
}

@Injectable()
export class ExchangeRecorderService implements ExchangeRecorder {
  private readonly capturing = new AsyncLocalStorage<CapturedExchanges>();
  private buffer: NewDokuExchangeRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private readonly logger: ContextLogger;
  private readonly watchers: Array<(exchange: DokuExchange) => void> = [];

  constructor(
    private readonly repository: DokuExchangesRepository,
    logs: AppLogs,
  ) {
    this.logger = logs.forContext('DokuExchange');
  }

  /**
   * `watcher` is told of every exchange as it is recorded (the DOKU metrics,
   * docs/operations.md#metrics). What it does, or throws, never reaches the call or the record.
   */
  watch(watcher: (exchange: DokuExchange) => void): void {
    this.watchers.push(watcher);
  }

  record(exchange: DokuExchange): Promise<void> {
    for (const watcher of this.watchers) {
      try {
        watcher(exchange);
      } catch {
        // Metrics are not worth a record.
      }
    }
    try {
      this.logger.info(
        {
          doku: {
            endpoint: exchange.endpoint,
            method: exchange.method,
            path: exchange.path,
            externalId: exchange.externalId,
            partnerReference: exchange.partnerReference,
            attempt: exchange.attempt,
            httpStatus: exchange.httpStatus,
            responseCode: exchange.responseCode,
            outcome: exchange.outcome,
            replayed: exchange.replayed,
            durationMs: exchange.durationMs,
          },
        },
        'doku exchange',
      );
      const row: NewDokuExchangeRecord = {
        endpoint: exchange.endpoint,
        method: exchange.method,
        path: exchange.path,
        externalId: exchange.externalId ?? null,
        partnerReference: exchange.partnerReference ?? null,
        attempt: exchange.attempt,
        httpStatus: exchange.httpStatus ?? null,
        responseCode: exchange.responseCode?.slice(0, 64) ?? null,
        outcome: exchange.outcome,
        replayed: exchange.replayed,
        durationMs: Math.max(0, exchange.durationMs),
        // Fresh copies made by the redaction (redactForRecord); serialised once, when the batch is written.
        requestBody: exchange.requestBody ?? null,
        responseBody: exchange.responseBody ?? null,
        startedAt: exchange.startedAt,
      };
      const captured = this.capturing.getStore();
      if (captured?.open === true) {
        captured.rows.push(row);
        return Promise.resolve();
      }
      this.buffer.push(row);
      if (this.buffer.length > MAX_BUFFERED) {
        const dropped = this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
        this.logger.error({ dropped: dropped.length }, 'doku exchange buffer full: oldest records dropped');
      }
      this.schedule(this.buffer.length >= BATCH_SIZE ? 0 : FLUSH_DELAY_MS);
    } catch (error) {
      this.logger.warn({ error: describe(error) }, 'could not record doku exchange');
    }
    return Promise.resolve();
  }

  /**
   * Runs `call` keeping the exchanges it records instead of batching them, so the operation can
   * store them in its own commit (a purchase's commit 2): they are then as durable as the outcome
   * they led to, at no extra statement. Whatever the operation does not store itself it must hand
   * back with `release`.
   */
  async capture<T>(call: () => Promise<T>): Promise<{ value: T; exchanges: CapturedExchanges }> {
    const exchanges: CapturedExchanges = { rows: [], open: true };
    try {
      return { value: await this.capturing.run(exchanges, call), exchanges };
    } finally {
      exchanges.open = false;
    }
  }

  /** Captured exchanges the operation did not store: written by the batch like any other. */
  release(exchanges: CapturedExchanges | undefined): void {
    if (exchanges === undefined || exchanges.rows.length === 0) return;
    const rows = exchanges.rows.splice(0);
    this.buffer.push(...rows);
    this.schedule(this.buffer.length >= BATCH_SIZE ? 0 : FLUSH_DELAY_MS);
  }

  /** Resolves once every exchange recorded before the call is stored (or given up as unstorable). */
  async flush(): Promise<void> {
    let failures = 0;
    while (this.writing || this.buffer.length > 0) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      if (await this.writeOnce()) continue;
      if (++failures >= MAX_FLUSH_FAILURES) {
        this.logger.error({ pending: this.buffer.length }, 'doku exchanges could not be stored');
        return;
      }
      // The database refused the batch for a reason that may pass; do not spin on it.
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS / 4));
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeOnce().then((ok) => {
        if (this.buffer.length > 0) this.schedule(ok ? 0 : RETRY_DELAY_MS);
      });
    }, delayMs);
    // Never keeps the process alive on its own; shutdown flushes explicitly.
    this.timer.unref();
  }

  /** Writes one batch; false when some of it failed for a reason worth retrying later. */
  private writeOnce(): Promise<boolean> {
    if (this.writing) return this.writing.then(() => true);
    if (this.buffer.length === 0) return Promise.resolve(true);
    const batch = this.buffer.splice(0, BATCH_SIZE);
    let ok = true;
    this.writing = this.write(batch)
      .then((unsent) => {
        if (unsent.length === 0) return;
        ok = false;
        // Back in front, in order; retried after a pause.
        this.buffer.unshift(...unsent);
      })
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing.then(() => ok);
  }

  /** Stores the batch; returns the rows left to retry (transient failure), none on success. */
  private async write(batch: NewDokuExchangeRecord[]): Promise<NewDokuExchangeRecord[]> {
    try {
      await this.repository.insertMany(batch);
      return [];
    } catch (error) {
      if (!isPermanentRowError(error)) {
        this.logger.warn({ error: describe(error), rows: batch.length }, 'could not store doku exchanges; will retry');
        return batch;
      }
    }
    // One bad row must not cost the others: store them one by one and skip the bad ones.
    for (let i = 0; i < batch.length; i++) {
      try {
        await this.repository.insertMany([batch[i]]);
      } catch (error) {
        if (!isPermanentRowError(error)) {
          this.logger.warn({ error: describe(error), rows: batch.length - i }, 'could not store doku exchanges; will retry');
          return batch.slice(i);
        }
        this.logger.error(
          { error: describe(error), endpoint: batch[i].endpoint, externalId: batch[i].externalId },
          'doku exchange refused by the database; skipped',
        );
      }
    }
    return [];
  }
}
