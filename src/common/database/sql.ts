import { createHash } from 'node:crypto';
import { Pool as PgPool, Query, type Pool, type PoolConfig, type QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
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
  return entityFrom(tx, target, row, (_column, value) => value);
}

/** `row`'s values by column name, each read by `read` and then through the column's transformer. */
function entityFrom<T extends object>(
  tx: EntityManager,
  target: new () => T,
  row: Record<string, unknown>,
  read: (column: ColumnMetadata, value: unknown) => unknown,
): T {
  const metadata = tx.connection.getMetadata(target);
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    if (!(column.databaseName in row)) continue;
    let value = read(column, row[column.databaseName]);
    const transformer = column.transformer;
    if (transformer && !Array.isArray(transformer)) value = transformer.from(value);
    column.setEntityValue(entity, value);
  }
  return entity;
}

/** How a column's value travels inside `jsonRowSql`'s JSON and comes back as node-postgres gives it. */
type JsonColumn = 'as-is' | 'text' | 'timestamp';

function jsonColumnKind(type: unknown, name: string): JsonColumn {
  switch (type) {
    case 'uuid':
    case 'text':
    case 'varchar':
    case 'character varying':
    case 'integer':
    case 'int':
    case 'int4':
    case 'smallint':
    case 'boolean':
    case 'jsonb':
    case 'json':
      return 'as-is';
    // JSON numbers lose digits past 2^53: sent as text, as node-postgres gives them.
    case 'bigint':
    case 'int8':
    case 'numeric':
    case 'decimal':
      return 'text';
    case 'timestamptz':
    case 'timestamp with time zone':
      return 'timestamp';
    default:
      throw new Error(`jsonRowSql: column ${name} has type ${String(type)}, which it does not carry`);
  }
}

const jsonRows = new WeakMap<object, Map<string, string>>();

/**
 * One JSON column instead of a row's every column: the same values as `SELECT alias.*` reads for
 * an entity's columns (bigint and numeric as text), NULL where the row is absent (an outer join
 * that found nothing). node-postgres then parses one field with JSON.parse instead of describing,
 * allocating and converting every column of a wide row, which costs a purchase about as much as
 * the rest of its database work on our side (docs/performance.md). Read back with `entityFromJson`.
 */
export function jsonRowSql(tx: EntityManager, target: new () => object, alias: string): string {
  let byAlias = jsonRows.get(target);
  if (!byAlias) jsonRows.set(target, (byAlias = new Map<string, string>()));
  let sql = byAlias.get(alias);
  if (sql === undefined) {
    const metadata = tx.connection.getMetadata(target);
    const pairs = metadata.columns.map((column) => {
      const ref = `${alias}.${column.databaseName}`;
      return `'${column.databaseName}', ${jsonColumnKind(column.type, column.databaseName) === 'text' ? `${ref}::text` : ref}`;
    });
    // json_build_object takes at most 100 arguments.
    if (pairs.length > 50) throw new Error(`jsonRowSql: ${metadata.tableName} has more than 50 columns`);
    const primary = metadata.primaryColumns[0];
    sql = `CASE WHEN ${alias}.${primary.databaseName} IS NULL THEN NULL ELSE json_build_object(${pairs.join(', ')}) END`;
    byAlias.set(alias, sql);
  }
  return sql;
}

/** The entity a `jsonRowSql` column describes, equal to what `entityFromRow` builds from the same row. */
export function entityFromJson<T extends object>(tx: EntityManager, target: new () => T, json: Record<string, unknown>): T {
  return entityFrom(tx, target, json, (column, value) =>
    typeof value === 'string' && jsonColumnKind(column.type, column.databaseName) === 'timestamp'
      ? value === 'infinity'
        ? Infinity
        : value === '-infinity'
          ? -Infinity
          : new Date(value)
      : value,
  );
}

/**
 * Adds `value` to a statement's parameter list and answers its placeholder (`$n`). Builders of
 * statement parts share one list, so parts written in different places compose into one statement.
 */
export function bind(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/** A statement text sent as a named prepared statement, and its name. */
export interface PreparedText {
  readonly text: string;
  readonly name: string;
}

/**
 * The prepared statements named so far, by the length of their text (bounded: see `preparedRows`).
 * Texts of one length are told apart by comparing them whole, so two texts never share a name.
 */
const preparedByLength = new Map<number, PreparedText[]>();
let preparedCount = 0;
const MAX_PREPARED_TEXTS = 512;

/**
 * The name for `text`: the one given to an equal text before, or a new one derived from it. A
 * purchase's statement text is a few kilobytes assembled anew each time; keying a map by it made V8
 * hash every character on every purchase, where finding it among the few texts of its length costs
 * a length check and one comparison (docs/performance.md, sixteenth round). The text answered is
 * the one first named, so node-postgres's own check that a connection has prepared it compares a
 * string with itself.
 */
export function preparedText(text: string): PreparedText {
  const sameLength = preparedByLength.get(text.length);
  if (sameLength) {
    for (const known of sameLength) if (known.text === text) return known;
  }
  const prepared: PreparedText = { text, name: `s_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}` };
  if (preparedCount < MAX_PREPARED_TEXTS) {
    if (sameLength) sameLength.push(prepared);
    else preparedByLength.set(text.length, [prepared]);
    preparedCount++;
  }
  return prepared;
}

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
  return rowsOn(mainPool(db), preparedText(text), values);
}

/**
 * As `preparedRows`, but planned afresh at every execution with its own parameters: for a statement
 * whose best plan depends on them, such as one over arrays whose length varies from 2 to 64. A named
 * statement's plan is made generic after a few executions, with a guess of the arrays' length and
 * the tables' sizes of that moment, and kept for the connection's life; for a table that was small
 * then, that can be a scan of the whole table on every execution once it has grown.
 *
 * Such a statement is still named, and parsed once per connection: it runs on connections of its
 * own (`plannedPool`) whose `plan_cache_mode` is `force_custom_plan`, so PostgreSQL keeps the parsed
 * statement and plans it afresh for each execution's parameters. Parsing a shared commit-1 statement
 * cost PostgreSQL about as much as planning it (docs/performance.md, twenty-eighth round).
 */
export async function plannedRows<T>(db: DataSource, text: string, values: unknown[]): Promise<T[]> {
  return rowsOn(plannedPool(db), preparedText(text), values);
}

/** The connections of `plannedRows`, one set per DataSource, made on first use and ended with it. */
const plannedPools = new WeakMap<DataSource, Pool>();

/** The setting `plannedRows` needs, sent when each of its connections opens. */
export const PLANNED_SESSION_OPTIONS = '-c plan_cache_mode=force_custom_plan';

function plannedPool(db: DataSource): Pool {
  const known = plannedPools.get(db);
  if (known) return known;
  const { options, min: _min, ...rest } = (mainPool(db) as Pool & { options: PoolConfig }).options;
  const pool = new PgPool({
    ...rest,
    // It opens only what is in flight (the shared statements: one of each kind, more only while one
    // stalls), up to the main pool's size.
    min: 0,
    options: [options, PLANNED_SESSION_OPTIONS].filter(Boolean).join(' '),
  });
  // An idle connection that breaks is dropped by the pool; without a listener it would end the process.
  pool.on('error', () => undefined);
  plannedPools.set(db, pool);
  // Ended with the DataSource, whoever destroys it (the app at shutdown, a test, the CLI), once.
  const destroy = db.destroy.bind(db);
  let ended: Promise<void> | undefined;
  db.destroy = async () => {
    if (plannedPools.get(db) === pool) plannedPools.delete(db);
    ended ??= pool.end();
    await ended;
    return destroy();
  };
  return pool;
}

/** node-postgres's pool under TypeORM's DataSource. */
function mainPool(db: DataSource): Pool {
  return (db.driver as unknown as { master: Pool }).master;
}

async function rowsOn<T>(pool: Pool, prepared: { text: string; name: string | undefined }, values: unknown[]): Promise<T[]> {
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
    return await new Promise<T[]>((resolve, reject) => {
      // A Query built from the text and named after, rather than from a config object: node-postgres
      // copies a config object property by property on every statement (docs/performance.md).
      const query = new Query<T & QueryResultRow>(prepared.text, values, (error, result) => (error ? reject(error) : resolve(result.rows)));
      if (prepared.name !== undefined) (query as unknown as { name: string }).name = prepared.name;
      client.query(query);
    });
  } catch (error) {
    cut ??= isDatabaseUnavailable(error) ? (error as Error) : undefined;
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(cut);
  }
}
