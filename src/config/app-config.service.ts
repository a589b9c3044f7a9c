import { AppConfig } from './config.types';

/**
 * The validated configuration, injected everywhere as one typed object with a namespace per
 * concern. Built once at boot by loadConfig(); nothing reads process.env after that.
 */
export class AppConfigService implements AppConfig {
  readonly app: AppConfig['app'];
  readonly auth: AppConfig['auth'];
  readonly database: AppConfig['database'];
  readonly doku: AppConfig['doku'];
  readonly simulator: AppConfig['simulator'];
  readonly reconciliation: AppConfig['reconciliation'];
  readonly notifications: AppConfig['notifications'];
  readonly webhooks: AppConfig['webhooks'];

  constructor(config: AppConfig) {
    this.app = config.app;
    this.auth = config.auth;
    this.database = config.database;
    this.doku = config.doku;
    this.simulator = config.simulator;
    this.reconciliation = config.reconciliation;
    this.notifications = config.notifications;
    this.webhooks = config.webhooks;
  }

  /** Configuration safe to log: secrets replaced by a marker. */
  toSafeObject(): Record<string, unknown> {
    return {
      app: this.app,
      auth: { ...this.auth, jwtSecret: '[secret]' },
      database: { ...this.database, url: this.database.url ? '[secret]' : undefined },
      doku: {
        ...this.doku,
        clientSecret: '[secret]',
        privateKeyPem: '[secret]',
        authCodeKey: '[secret]',
        tokenEncryptionKey: '[secret]',
      },
      simulator: this.simulator,
      reconciliation: this.reconciliation,
      notifications: this.notifications,
      webhooks: this.webhooks,
    };
  }
}
