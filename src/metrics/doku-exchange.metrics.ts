import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import type { DokuExchange } from '../integrations/doku/snap/doku.ports';
import { ExchangeRecorderService } from '../integrations/doku/snap/exchange-recorder.service';
import { MetricsService } from './metrics.service';

/** Seconds: DOKU's usual answers (tens to hundreds of milliseconds) up to its slowest and our timeouts. */
const DOKU_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6];

/**
 * Every HTTP exchange with DOKU, counted by endpoint and outcome, and timed by endpoint
 * (docs/operations.md#metrics): whether DOKU is slow or failing shows here before it shows in the
 * transactions. Fed by the exchange recorder, which sees every attempt of every channel.
 */
@Injectable()
export class DokuExchangeMetrics {
  constructor(recorder: ExchangeRecorderService, metrics: MetricsService) {
    const exchanges = new Counter({
      name: 'doku_exchanges_total',
      help: 'HTTP exchanges with DOKU by endpoint and outcome (a DOKU outcome, TIMEOUT or TRANSPORT_ERROR)',
      labelNames: ['endpoint', 'outcome'] as const,
      registers: [metrics.registry],
    });
    const durations = new Histogram({
      name: 'doku_exchange_duration_seconds',
      help: 'How long an HTTP exchange with DOKU took, from sending the request to its answer or failure, by endpoint',
      labelNames: ['endpoint'] as const,
      buckets: DOKU_BUCKETS,
      registers: [metrics.registry],
    });
    recorder.watch((exchange: DokuExchange) => {
      exchanges.inc({ endpoint: exchange.endpoint, outcome: exchange.outcome });
      durations.observe({ endpoint: exchange.endpoint }, Math.max(0, exchange.durationMs) / 1000);
    });
  }
}
