import { DataSource } from 'typeorm';
import { entityFromJson, entityFromRow, jsonRowSql } from '../src/common/database/sql';
import { Transaction } from '../src/transactions/entities/transaction.entity';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/**
 * A wide row read as one JSON column (common/database/sql.ts `jsonRowSql`/`entityFromJson`) must
 * give exactly the entity `SELECT *` and `entityFromRow` give: every column, with values node-postgres
 * would mangle if they went through JSON carelessly (bigints past 2^53, microseconds, time zones,
 * non-ASCII text, nested JSON) and with NULLs.
 */
describe('wide rows read as one JSON column', () => {
  let t: TestApp;
  let db: DataSource;
  let userId: string;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    userId = (await registerUser(t)).id;
  });
  afterAll(async () => {
    await t.close();
  });

  const insert = async (reference: string): Promise<string> => {
    const [row] = await db.query<Array<{ id: string }>>(
      `INSERT INTO transactions (user_id, type, status, amount, partner_reference_no, details, initiator_kind, initiator_id)
       VALUES ($1::uuid, 'PURCHASE', 'PENDING', 1000, $2, '{}', 'user', $1::text) RETURNING id`,
      [userId, reference],
    );
    return row.id;
  };

  const bothWays = async (id: string): Promise<{ viaRow: Transaction; viaJson: Transaction }> => {
    const [row] = await db.query<Record<string, unknown>[]>(`SELECT * FROM transactions WHERE id = $1`, [id]);
    const [json] = await db.query<Array<{ j: Record<string, unknown> }>>(
      `SELECT ${jsonRowSql(db.manager, Transaction, 't')} AS j FROM transactions t WHERE t.id = $1`,
      [id],
    );
    const viaRow = entityFromRow(db.manager, Transaction, row);
    // Both equal what TypeORM's own hydration makes of the row.
    expect(viaRow).toEqual(await db.getRepository(Transaction).findOneByOrFail({ id }));
    return { viaRow, viaJson: entityFromJson(db.manager, Transaction, json.j) };
  };

  it('gives the same entity as SELECT * for a row with every column set', async () => {
    const id = await insert(`JSON-ROWS-FULL-${process.pid}`);
    // Every column the checks leave free gets a value of its type that JSON could get wrong.
    const fixed = new Set(['id', 'user_id', 'type', 'status', 'currency', 'initiator_kind', 'payment_method', 'partner_reference_no']);
    const sets: string[] = [];
    for (const column of db.getMetadata(Transaction).columns) {
      const name = column.databaseName;
      if (fixed.has(name)) continue;
      const values: Record<string, string> = {
        uuid: `'${id}'`,
        text: `'Ünïcödé “${name}” \\\\ " ' || id::text`,
        varchar: `'v-${name.slice(0, 12)}'`,
        jsonb: `'{"a":[1,"ü",null,2.5],"b":{"c":true},"big":9007199254740993}'`,
        integer: '7',
        timestamptz: `'2026-12-05 19:50:12.123999+07'`,
      };
      const value = values[String(column.type)];
      if (column.type === 'bigint') {
        sets.push(`${name} = ${name === 'amount' ? '9007199254740993' : name === 'refunded_amount' ? '3' : '4'}`);
      } else {
        expect(value).toBeDefined();
        sets.push(`${name} = ${value}`);
      }
    }
    await db.query(`UPDATE transactions SET ${sets.join(', ')} WHERE id = $1`, [id]);
    const { viaRow, viaJson } = await bothWays(id);
    expect(viaJson).toBeInstanceOf(Transaction);
    expect(viaJson).toEqual(viaRow);
    for (const key of Object.keys(viaRow) as Array<keyof Transaction>) {
      expect([key, viaJson[key]]).toEqual([key, viaRow[key]]);
      if (viaRow[key] === null) continue;
      expect([key, typeof viaJson[key]]).toEqual([key, typeof viaRow[key]]);
    }
    expect(viaJson.amount.toString()).toBe('9007199254740993');
    expect(viaJson.createdAt.getTime()).toBe(viaRow.createdAt.getTime());
    expect(viaJson.details).toEqual({ a: [1, 'ü', null, 2.5], b: { c: true }, big: 9007199254740992 });
    // No column was left null: the comparison covered every type.
    expect(Object.entries(viaRow).filter(([, v]) => v === null || v === undefined)).toEqual([]);
  });

  it('gives the same entity for a fresh row, nulls included', async () => {
    const id = await insert(`JSON-ROWS-NEW-${process.pid}`);
    const { viaRow, viaJson } = await bothWays(id);
    expect(viaJson).toEqual(viaRow);
    expect(viaJson.dokuReferenceNo).toBeNull();
  });

  it('is NULL for a row an outer join did not find', async () => {
    const [row] = await db.query<Array<{ j: unknown }>>(
      `SELECT ${jsonRowSql(db.manager, Transaction, 't')} AS j FROM (SELECT 1) AS one LEFT JOIN transactions t ON t.id = $1`,
      ['00000000-0000-4000-8000-000000000000'],
    );
    expect(row.j).toBeNull();
  });
});
