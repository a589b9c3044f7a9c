import type { DataSource } from 'typeorm';

// Any fixed number shared by every instance: only one of them applies migrations at a time.
const MIGRATION_LOCK_KEY = 727_001;

/** Applies pending migrations under an advisory lock, so instances starting together do not race. */
export async function runMigrationsLocked(db: DataSource): Promise<string[]> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await db.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
