import { SequenceExternalIdGenerator } from '../src/integrations/doku/snap/external-id.generator';
import { KkiRefundNumbers } from '../src/integrations/doku/kki/kki-refund-number';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/**
 * KKI refund references (docs/channels.md#kki-card-host-to-host): at most 12 characters, from the
 * X-EXTERNAL-ID sequence in PostgreSQL, so unique across instances and restarts and never a value an
 * X-EXTERNAL-ID also used.
 */
describe('KKI refund references from two instances', () => {
  let a: TestApp;
  let b: TestApp;
  const valueOf = (ref: string): bigint => [...ref.slice(1)].reduce((n, c) => n * 36n + BigInt(parseInt(c, 36)), 0n);

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({}, a.databaseUrl);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('5,000 references and 5,000 X-EXTERNAL-IDs taken concurrently: every reference 12 letters and digits, no value used twice', async () => {
    const instances = [a, b];
    const refunds = Promise.all(Array.from({ length: 5_000 }, (_, i) => instances[i % 2].app.get(KkiRefundNumbers).next()));
    const externalIds = Promise.all(Array.from({ length: 5_000 }, (_, i) => instances[i % 2].app.get(SequenceExternalIdGenerator).next()));
    const [refs, ids] = await Promise.all([refunds, externalIds]);
    expect(refs.filter((r) => !/^K[0-9A-Z]{11}$/.test(r))).toEqual([]);
    expect(new Set(refs).size).toBe(5_000);
    const refundValues = new Set(refs.map(valueOf));
    expect(refundValues.size).toBe(5_000);
    expect(ids.map((id) => BigInt(id.slice(8))).filter((v) => refundValues.has(v))).toEqual([]);
  });

  it('a restarted instance never hands out a reference given before', async () => {
    const first = await Promise.all(Array.from({ length: 200 }, () => a.app.get(KkiRefundNumbers).next()));
    const c = await startTestApp({}, a.databaseUrl);
    try {
      const again = await Promise.all(Array.from({ length: 200 }, () => c.app.get(KkiRefundNumbers).next()));
      const given = new Set(first);
      expect(again.filter((r) => given.has(r))).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
