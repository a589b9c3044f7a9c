import type { DynamicModule } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AppConfigService } from '../../config/app-config.service';
import { AppLogs } from './app-logs';
import { createRootLogger } from './logger-options';

/** The application's loggers (app-logs.ts), available everywhere. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        {
          provide: AppLogs,
          inject: [AppConfigService],
          useFactory: (c: AppConfigService) => new AppLogs(createRootLogger(c, destination)),
        },
      ],
      exports: [AppLogs],
    };
  }
}
