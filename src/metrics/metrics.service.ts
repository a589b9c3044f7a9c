import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SharedStatementObserver } from '../common/database/shared-statement';

/** Seconds: from a fraction of a millisecond (a quiet database) to a second (one that is not keeping up). */
const STATEMENT_BUCKETS = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024];
const OPERATION_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];

/**
 * Prometheus metrics of this instance. Each app instance has its own registry, so several
 * instances in one process (the tests) do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly sharedWaits = this.byStatement(
    'db_shared_statement_wait_seconds',
    'How long an operation waited for the shared statement that wrote it to be sent (the one in flight before it), by kind of statement',
    STATEMENT_BUCKETS,
  );

  private readonly sharedDurations = this.byStatement(
    'db_shared_statement_duration_seconds',
    'How long a shared statement took, from sent to committed, by kind of statement',
    STATEMENT_BUCKETS,
  );

  private readonly sharedOperations = this.byStatement(
    'db_shared_statement_operations',
    'Operations written by one shared statement, by kind of statement',
    OPERATION_BUCKETS,
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  private byStatement(name: string, help: string, buckets: number[]): Histogram<'statement'> {
    return new Histogram({ name, help, labelNames: ['statement'] as const, buckets, registers: [this.registry] });
  }

  /** Counts the waits and statements of one kind of shared write (`statement` names it in the metrics). */
  sharedStatementObserver(statement: string): SharedStatementObserver {
    const waits = this.sharedWaits.labels({ statement });
    const durations = this.sharedDurations.labels({ statement });
    const operations = this.sharedOperations.labels({ statement });
    return {
      waited: (seconds) => waits.observe(seconds),
      wrote: (count, seconds) => {
        durations.observe(seconds);
        operations.observe(count);
      },
    };
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  /** A gauge whose value is read from `read` each time the metrics are scraped. */
  gaugeOf(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
