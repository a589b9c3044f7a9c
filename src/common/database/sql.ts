import { createHash } from 'node:crypto';
import type { Pool, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

/**
 * Runs an UPDATE or DELETE … RETURNING and gives back the returned rows. TypeORM's raw `query()`
 * answers those commands with `[rows, rowCount]` rather than the rows, unlike SELECT and INSERT.
 */
export async function returningRows<T>(tx: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const result: unknown = await tx.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/**
 * Builds an entity from a raw row of its table (as `RETURNING *` gives it), column by column from
 * TypeORM's metadata, with each column's transformer applied: a write can return what it wrote
 * instead of reading it back with one more statement.
 */
export function entityFromRow<T extends object>(tx: EntityManager, target: new () => T, row: Record<string, unknown>): T {
  const metadata = tx.connection.getMetadata(target);
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    if (!(column.databaseName in row)) continue;
    let value = row[column.databaseName];
    const transformer = column.transformer;
    if (transformer && !Array.isArray(transformer)) value = transformer.from(value);
    column.setEntityValue(entity, value);
  }
  return entity;
}

/**
 * Adds `value` to a statement's parameter list and answers its placeholder (`$n`). Builders of
 * statement parts share one list, so parts written in different places compose into one statement.
 */
export function bind(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/** Names of the prepared statements sent so far, by statement text (bounded: see `preparedRows`). */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 512;

/**
 * Runs one of the few statements every purchase sends as a named prepared statement, straight on
 * node-postgres's pool under TypeORM: PostgreSQL parses and plans a statement text once per
 * connection, and from then on only its parameters cross the wire (docs/performance.md). The name is
 * derived from the text, so a text always has the same name and two texts never share one. Errors
 * are node-postgres's own (`code` as PostgreSQL sends it), not TypeORM's QueryFailedError.
 * For statements built from a handful of shapes only: each distinct text stays prepared on every
 * connection that sent it.
 */
export async function preparedRows<T>(db: DataSource, text: string, values: unknown[]): Promise<T[]> {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `s_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
    if (statementNames.size < MAX_STATEMENT_NAMES) statementNames.set(text, name);
  }
  const pool = (db.driver as unknown as { master: Pool }).master;
  // The connection is taken here rather than by pool.query, so the statement runs in this request's
  // async context (a pool hands a freed connection over inside whichever request freed it).
  const client = await pool.connect();
  // While a connection is checked out the pool no longer listens for its errors: a connection cut
  // under the statement would otherwise be an uncaught 'error' event. It is closed, not given back.
  let cut: Error | undefined;
  const onError = (error: Error): void => {
    cut = error;
  };
  client.on('error', onError);
  try {
    const result = await client.query<T & QueryResultRow>({ name, text, values });
    return result.rows;
  } catch (error) {
    cut ??= isDatabaseUnavailable(error) ? (error as Error) : undefined;
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(cut);
  }
}
