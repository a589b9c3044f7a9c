import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService } from '@nestjs/config';
import { AppConfigService } from './app-config.service';
import { AppConfig } from './config.types';

/**
 * The configuration inside the application: @nestjs/config's ConfigService holds the validated
 * configuration (read once at start-up by readConfig(), or built by a test), and AppConfigService
 * is its typed view, one namespace per concern, injected everywhere.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      imports: [
        NestConfigModule.forRoot({ ignoreEnvFile: true, ignoreEnvVars: true, skipProcessEnv: true, load: [() => ({ ...config })] }),
      ],
      providers: [
        {
          provide: AppConfigService,
          inject: [ConfigService],
          useFactory: (settings: ConfigService<AppConfig, true>) =>
            new AppConfigService({
              app: settings.get('app', { infer: true }),
              auth: settings.get('auth', { infer: true }),
              database: settings.get('database', { infer: true }),
              doku: settings.get('doku', { infer: true }),
              simulator: settings.get('simulator', { infer: true }),
              reconciliation: settings.get('reconciliation', { infer: true }),
              notifications: settings.get('notifications', { infer: true }),
              webhooks: settings.get('webhooks', { infer: true }),
              privacy: settings.get('privacy', { infer: true }),
              limits: settings.get('limits', { infer: true }),
            }),
        },
      ],
      exports: [AppConfigService],
    };
  }
}
