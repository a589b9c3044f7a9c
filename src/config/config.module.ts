import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfigService } from './app-config.service';
import { AppConfig } from './config.types';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfigService, useValue: new AppConfigService(config) }],
      exports: [AppConfigService],
    };
  }
}
