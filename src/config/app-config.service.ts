import type { AppConfig } from './config.types';

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
  readonly privacy: AppConfig['privacy'];
  readonly limits: AppConfig['limits'];

  constructor(config: AppConfig) {
    this.app = config.app;
    this.auth = config.auth;
    this.database = config.database;
    this.doku = config.doku;
    this.simulator = config.simulator;
    this.reconciliation = config.reconciliation;
    this.notifications = config.notifications;
    this.webhooks = config.webhooks;
    this.privacy = config.privacy;
    this.limits = config.limits;
  }
}
