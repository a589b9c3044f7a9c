import { Client } from 'pg';

/**
 * What a test app's close is waiting on, for the log: the process's live resources (sockets,
 * timers) and the database sessions still open on the app's database with what each is doing
 * (a session idle in a transaction, or waiting on a lock, is what a hung shutdown usually is).
 */
export async function describeSlowClose(databaseUrl: string, afterMs: number): Promise<string> {
  const lines = [`\n[slow close] the app has not closed after ${afterMs} ms`];
  const resources = process.getActiveResourcesInfo().reduce<Record<string, number>>((counts, kind) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  }, {});
  lines.push(`[slow close] live resources: ${JSON.stringify(resources)}`);
  const database = new URL(databaseUrl).pathname.slice(1);
  const client = new Client({ connectionString: databaseUrl, application_name: 'slow-close-report' });
  try {
    await client.connect();
    const { rows } = await client.query<Record<string, unknown>>(
      `SELECT pid, state, wait_event_type, wait_event, now() - xact_start AS in_transaction, left(query, 160) AS query
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`,
      [database],
    );
    lines.push(`[slow close] ${rows.length} database session(s) on ${database}:`);
    for (const row of rows) lines.push(`[slow close]   ${JSON.stringify(row)}`);
  } catch (error) {
    lines.push(`[slow close] could not read the database sessions: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return `${lines.join('\n')}\n`;
}
