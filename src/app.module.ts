import { RateLimitModule } from './common/http/rate-limit.module';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { AccountsModule } from './accounts/accounts.module';
import { AdminModule } from './admin/admin.module';
import { ConsoleModule } from './console/console.module';
import { ApprovalsModule } from './approvals/approvals.module';
import { AuditModule } from './audit/audit.module';
import { BankTransferModule } from './bank-transfer/bank-transfer.module';
import { HistoryModule } from './history/history.module';
import { TopUpModule } from './top-up/top-up.module';
import { AuthModule } from './auth/auth.module';
import { BalanceModule } from './balance/balance.module';
import { AuthTokenModule } from './auth-token/auth-token.module';
import { ClientsModule } from './clients/clients.module';
import { AccessGuard } from './common/auth/access.guard';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { RateLimitGuard } from './common/http/rate-limit.guard';
import { createValidationPipe } from './common/http/validation.pipe';
import { LoggingModule } from './common/logging/logging.module';
import { ConfigModule } from './config/config.module';
import { AppConfig } from './config/config.types';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { DokuCheckoutModule } from './integrations/doku/checkout/doku-checkout.module';
import { DokuModule } from './integrations/doku/doku.module';
import { DokuExchangeMetrics } from './metrics/doku-exchange.metrics';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PurchaseModule } from './purchase/purchase.module';
import { RefundModule } from './purchase/refund/refund.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { TransactionsModule } from './transactions/transactions.module';
import { EventsModule } from './events/events.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { PrivacyModule } from './privacy/privacy.module';

@Module({})
export class AppModule {
  /**
   * @param config validated configuration (loadConfig)
   * @param databaseUrl the database to use: the configured one, the embedded server, or a test database
   * @param options.logDestination where the JSON logs go instead of stdout (tests read them back)
   */
  static forRoot(config: AppConfig, databaseUrl: string, options: { logDestination?: DestinationStream } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(options.logDestination),
        RateLimitModule,
        DatabaseModule.forRoot(databaseUrl),
        MetricsModule,
        HealthModule,
        AuthModule,
        ClientsModule,
        DokuModule,
        DokuCheckoutModule,
        AuthTokenModule,
        TransactionsModule,
        ReconciliationModule,
        AccountsModule,
        BankTransferModule,
        TopUpModule,
        HistoryModule,
        AdminModule,
        ConsoleModule,
        BalanceModule,
        PurchaseModule,
        RefundModule,
        NotificationsModule.forRoot(config),
        EventsModule,
        WebhooksModule,
        PrivacyModule,
        AuditModule,
        ApprovalsModule,
      ],
      providers: [
        // Order matters: rate limits apply before authentication, so guessing is throttled too.
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        // Here because it reads DokuModule's exchange recorder into MetricsModule's registry.
        DokuExchangeMetrics,
      ],
    };
  }
}
