import { DataSource } from 'typeorm';
import { preparedRows, preparedText } from '../src/common/database/sql';
import { createTestDatabase } from './support/test-database';

/**
 * The purchase's statements run as named prepared statements (common/database/sql.ts
 * `preparedRows`), on a pool of one connection here so every call meets the same server session.
 */
describe('statements run as named prepared statements', () => {
  let db: DataSource;

  beforeAll(async () => {
    const { url } = await createTestDatabase();
    db = new DataSource({ type: 'postgres', url, poolSize: 1 });
    await db.initialize();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  // Assembled at run time, as the purchase's texts are: a new string object on every call.
  const text = (...parts: string[]): string => parts.join('');

  it('answers the rows, with the values bound as parameters, and prepares the text once on the connection', async () => {
    const sql = (): string => text('SELECT $1::text AS said, ', '$2::int * 2 AS doubled');
    const said = `it's "quoted"; DROP TABLE x; --`;
    for (let i = 0; i < 3; i++) {
      expect(await preparedRows(db, sql(), [said, 21])).toEqual([{ said, doubled: 42 }]);
    }
    const prepared = await db.query<Array<{ statement: string }>>(`SELECT statement FROM pg_prepared_statements WHERE name = $1`, [
      preparedText(sql()).name,
    ]);
    expect(prepared).toEqual([{ statement: sql() }]);
  });

  it('runs each of two texts of the same length as itself, alternately on one connection', async () => {
    const plusOne = (): string => text('SELECT $1::int + 1 ', 'AS v');
    const plusTwo = (): string => text('SELECT $1::int + 2 ', 'AS v');
    expect(plusOne().length).toBe(plusTwo().length);
    for (let i = 0; i < 3; i++) {
      expect(await preparedRows(db, plusOne(), [10])).toEqual([{ v: 11 }]);
      expect(await preparedRows(db, plusTwo(), [10])).toEqual([{ v: 12 }]);
    }
  });

  it("gives back PostgreSQL's own error and the connection with it", async () => {
    const error = await preparedRows(db, text('SELECT 1 / $1::int ', 'AS q'), [0]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '22012' });
    // A pool of one: had the failed statement kept its connection, this would wait forever.
    expect(await preparedRows(db, text('SELECT 1 / $1::int ', 'AS q'), [1])).toEqual([{ q: 1 }]);
    const wrongType = await preparedRows(db, text('SELECT $1::int ', 'AS n'), ['not a number']).catch((e: unknown) => e);
    expect(wrongType).toMatchObject({ code: '22P02' });
    expect(await preparedRows(db, text('SELECT $1::int ', 'AS n'), [7])).toEqual([{ n: 7 }]);
  });
});
