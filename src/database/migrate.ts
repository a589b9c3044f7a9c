import { DataSource } from 'typeorm';

// Any fixed number shared by every instance: only one of them applies migrations at a time.
const MIGRATION_LOCK_KEY = 727_001;

/**
 * Applies pending migrations under an advisory lock, so instances starting together do not race.
 * They run on connections of their own without the app's statement and idle-in-transaction
 * timeouts: building an index on a large table may take longer than any request should.
 */
export async function runMigrationsLocked(db: DataSource): Promise<string[]> {
  const extra = (db.options as { extra?: Record<string, unknown> }).extra ?? {};
  const migrator = new DataSource({
    ...db.options,
    // "Never", sent explicitly over whatever the server or its role would give a session. Two
    // connections: one holds the lock (waiting for it may outlast any timeout, while another
    // instance migrates), the other runs the migrations.
    extra: {
      ...extra,
      max: 2,
      min: 0,
      statement_timeout: undefined,
      idle_in_transaction_session_timeout: undefined,
      options: '-c statement_timeout=0 -c idle_in_transaction_session_timeout=0',
    },
  });
  await migrator.initialize();
  const runner = migrator.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await migrator.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await runner.release();
    await migrator.destroy();
  }
}
