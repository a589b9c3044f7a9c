import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { AccountsModule } from './accounts/accounts.module';
import { AuthModule } from './auth/auth.module';
import { ClientsModule } from './clients/clients.module';
import { AccessGuard } from './common/auth/access.guard';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { rateLimitOptions } from './common/http/rate-limit';
import { createValidationPipe } from './common/http/validation.pipe';
import { loggerOptions } from './common/logging/logger-options';
import { AppConfigService } from './config/app-config.service';
import { ConfigModule } from './config/config.module';
import { AppConfig } from './config/config.types';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { TransactionsModule } from './transactions/transactions.module';

@Module({})
export class AppModule {
  /**
   * @param config validated configuration (loadConfig)
   * @param databaseUrl the database to use: the configured one, the embedded server, or a test database
   */
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRootAsync({ inject: [AppConfigService], useFactory: loggerOptions }),
        ThrottlerModule.forRootAsync({ inject: [AppConfigService, Reflector], useFactory: rateLimitOptions }),
        DatabaseModule.forRoot(databaseUrl),
        MetricsModule,
        HealthModule,
        AuthModule,
        ClientsModule,
        TransactionsModule,
        AccountsModule,
      ],
      providers: [
        // Order matters: rate limits apply before authentication, so guessing is throttled too.
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
