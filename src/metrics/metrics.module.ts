import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics-listener';
import { MetricsService } from './metrics.service';

/** The Prometheus registry and /metrics; the reconciler, the notifications and the webhooks import it to count. */
@Module({ controllers: [MetricsController], providers: [MetricsService, MetricsListener], exports: [MetricsService, MetricsListener] })
export class MetricsModule {}
