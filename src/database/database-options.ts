import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSection } from '../config/config.types';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/**
 * The one place TypeORM options are built, for the app, the CLI and the tests alike.
 * Schema changes go through migrations only: `synchronize` stays off everywhere.
 */
export function buildDataSourceOptions(db: DatabaseSection, url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    // Failed queries surface as errors and are logged by the error filter with the request id.
    logging: db.logQueries ? ['query', 'error'] : false,
    extra: {
      max: db.poolSize,
      min: db.poolMin,
      application_name: 'doku-wallet-partner',
      // Sent when each connection opens; 0 is PostgreSQL's own "never".
      statement_timeout: db.statementTimeoutMs,
      idle_in_transaction_session_timeout: db.idleInTransactionTimeoutMs,
    },
  };
}
