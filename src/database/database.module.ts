import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfigService } from '../config/app-config.service';
import { buildDataSourceOptions } from './database-options';

@Module({})
export class DatabaseModule {
  /** @param url the resolved database URL: the configured one, or the embedded server's. */
  static forRoot(url: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfigService],
          useFactory: (config: AppConfigService) => buildDataSourceOptions(config.database, url),
        }),
      ],
    };
  }
}
