import { DataSource } from 'typeorm';
import { DokuClock } from '../src/integrations/doku/snap/doku-clock';
import { jakartaDate, SequenceExternalIdGenerator } from '../src/integrations/doku/snap/external-id.generator';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/** X-EXTERNAL-ID (docs/doku-integration.md#x-external-id; docs/reliability.md, R9): unique across instances and across Jakarta midnight. */
describe('X-EXTERNAL-ID from two instances', () => {
  let a: TestApp;
  let b: TestApp;
  const generators = (): SequenceExternalIdGenerator[] => [a.app.get(SequenceExternalIdGenerator), b.app.get(SequenceExternalIdGenerator)];
  const take = (count: number): Promise<string[]> => Promise.all(Array.from({ length: count }, (_, i) => generators()[i % 2].next()));
  const blocksReserved = async (): Promise<number> => {
    const [row] = await a.app.get(DataSource).query<{ last_value: string | null }[]>(`SELECT last_value FROM doku_external_id_seq`);
    return row.last_value === null ? 0 : (Number(row.last_value) - 1) / 1000 + 1;
  };

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({}, a.databaseUrl);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  afterEach(() => jest.restoreAllMocks());

  it('10,000 ids taken concurrently from both instances: no duplicates, all numeric, at most 32 digits, today in Jakarta', async () => {
    const started = new Date();
    const ids = await take(10_000);
    const days = new Set([jakartaDate(started), jakartaDate(new Date())]);
    expect(new Set(ids).size).toBe(10_000);
    expect(ids.filter((id) => !/^[0-9]{1,32}$/.test(id))).toEqual([]);
    expect(ids.filter((id) => !days.has(id.slice(0, 8)))).toEqual([]);
    // Ids come from blocks reserved in the database, not one round trip each (10 blocks are needed;
    // each instance may also hold one block ahead).
    expect(await blocksReserved()).toBeLessThanOrEqual(14);
  });

  it('across Jakarta midnight on a fake clock the date prefix changes and no id repeats, even ignoring the date', async () => {
    let now = new Date('2026-11-23T23:59:59+07:00');
    for (const t of [a, b]) jest.spyOn(t.app.get(DokuClock), 'now').mockImplementation(() => now);
    const before = await take(1_000);
    now = new Date('2026-11-24T00:00:00+07:00');
    const after = await take(1_000);

    expect(before.every((id) => id.startsWith('20261123'))).toBe(true);
    expect(after.every((id) => id.startsWith('20261124'))).toBe(true);
    const all = [...before, ...after];
    expect(new Set(all).size).toBe(2_000);
    // The sequence never resets at midnight, so the part after the date is unique on its own too.
    expect(new Set(all.map((id) => id.slice(8))).size).toBe(2_000);
    expect(all.every((id) => /^[0-9]{27}$/.test(id))).toBe(true);
  });

  it('a restarted instance never hands out an id given before (values are skipped, not reused)', async () => {
    const first = await take(100);
    const c = await startTestApp({}, a.databaseUrl);
    try {
      const fromRestart = await Promise.all(Array.from({ length: 100 }, () => c.app.get(SequenceExternalIdGenerator).next()));
      const suffixes = new Set(first.map((id) => id.slice(8)));
      expect(fromRestart.filter((id) => suffixes.has(id.slice(8)))).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
