import { EntityManager } from 'typeorm';

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
    column.setEntityValue(entity as object, value);
  }
  return entity;
}
