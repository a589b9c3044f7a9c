import type { DataSource } from 'typeorm';
import { MigrationExecutor } from 'typeorm';

// Any fixed number shared by every instance: only one of them applies migrations at a time.
export const MIGRATION_LOCK_KEY = 727_001;

/**
 * Applies pending migrations under an advisory lock, so instances starting together do not race.
 * Lock and migrations share one connection whose statement and idle-in-transaction timeouts are
 * set to "never" for as long as it migrates: building an index on a large table may take longer
 * than any request should, and an instance may wait out another's migrations. Set with SET rather
 * than as connection parameters, so that a connection pooler in front of PostgreSQL accepts them.
 */
export async function runMigrationsLocked(db: DataSource): Promise<string[]> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(db, runner);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    // Back to the connection's own settings before the pool lends it to a request; a connection
    // that cannot be reset is closed rather than lent without its timeouts.
    let unreset: unknown;
    await runner
      .query('RESET statement_timeout; RESET idle_in_transaction_session_timeout')
      .catch((e: unknown) => (unreset = e ?? new Error('RESET failed')));
    const postgresRunner = runner as unknown as { releasePostgresConnection?: (err?: unknown) => Promise<void> };
    if (unreset && postgresRunner.releasePostgresConnection) await postgresRunner.releasePostgresConnection(unreset);
    else await runner.release();
  }
}
