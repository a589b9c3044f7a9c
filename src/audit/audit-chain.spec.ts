import type { AuditRow } from './audit-chain';
import { canonical, ChainWalker, GENESIS_HASH, MASKED, maskSecrets, rowHash } from './audit-chain';

function chain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const unhashed = {
      seq,
      occurredAt: new Date(Date.UTC(2026, 11, 4, 10, 0, seq)),
      actor: { kind: 'user' as const, id: `u${seq}`, role: 'admin', ip: '10.0.0.1', userAgent: 'test', requestId: `r${seq}` },
      action: 'user.role-changed',
      target: { type: 'user', id: `t${seq}` },
      before: { role: 'user' },
      after: { role: 'support', n: seq },
      prevHash: prev,
    };
    const row = { ...unhashed, hash: rowHash(unhashed) };
    rows.push(row);
    prev = row.hash;
  }
  return rows;
}

function walk(rows: AuditRow[], head: { seq: number; hash: string }) {
  const walker = new ChainWalker();
  for (const row of rows) {
    const problem = walker.next(row);
    if (problem) return problem;
  }
  return walker.end(head);
}

describe('audit chain', () => {
  it('masks secrets at any depth, keeps the rest, and turns bigints and dates into JSON', () => {
    const masked = maskSecrets({
      clientId: 'svc_1',
      clientSecret: 'cs_abc',
      nested: { password: 'p', signingSecret: 's', accessToken: 't', amount: 10n, at: new Date(Date.UTC(2026, 0, 1)) },
      list: [{ secret: 'x', name: 'kept' }],
    });
    expect(masked).toEqual({
      clientId: 'svc_1',
      clientSecret: MASKED,
      nested: { password: MASKED, signingSecret: MASKED, accessToken: MASKED, amount: '10', at: '2026-01-01T00:00:00.000Z' },
      list: [{ secret: MASKED, name: 'kept' }],
    });
    expect(maskSecrets(undefined)).toBeNull();
  });

  it('serialises canonically whatever the key order', () => {
    expect(canonical({ b: 1, a: { d: [2, { f: 1, e: 2 }], c: null } })).toBe(canonical({ a: { c: null, d: [2, { e: 2, f: 1 }] }, b: 1 }));
    expect(canonical({ a: 1 })).not.toBe(canonical({ a: '1' }));
  });

  it('an untouched chain verifies to its head', () => {
    const rows = chain(5);
    expect(walk(rows, { seq: 5, hash: rows[4].hash })).toBeNull();
    expect(walk([], { seq: 0, hash: GENESIS_HASH })).toBeNull();
  });

  it('names the first altered row', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2], after: { role: 'admin', n: 3 } };
    expect(walk(rows, { seq: 5, hash: rows[4].hash })).toMatchObject({ seq: 3, problem: 'ROW_ALTERED' });
    const other = chain(5);
    other[1] = { ...other[1], actor: { ...other[1].actor, ip: '203.0.113.9' } };
    expect(walk(other, { seq: 5, hash: other[4].hash })).toMatchObject({ seq: 2, problem: 'ROW_ALTERED' });
  });

  it('a row re-hashed after a change breaks the link of the row after it', () => {
    const rows = chain(5);
    const changed = { ...rows[2], after: { role: 'admin' } };
    rows[2] = { ...changed, hash: rowHash(changed) };
    expect(walk(rows, { seq: 5, hash: rows[4].hash })).toMatchObject({ seq: 4, problem: 'LINK_BROKEN' });
  });

  it('names a deleted row, in the middle or at the end', () => {
    const rows = chain(5);
    expect(walk([rows[0], rows[1], rows[3], rows[4]], { seq: 5, hash: rows[4].hash })).toMatchObject({ seq: 3, problem: 'ROW_MISSING' });
    expect(walk(rows.slice(0, 4), { seq: 5, hash: rows[4].hash })).toMatchObject({ seq: 5, problem: 'ROW_MISSING' });
  });

  it('names a row inserted out of chain', () => {
    const rows = chain(3);
    const forged = { ...rows[2], seq: 4, prevHash: GENESIS_HASH };
    const withForged = [...rows, { ...forged, hash: rowHash(forged) }];
    expect(walk(withForged, { seq: 3, hash: rows[2].hash })).toMatchObject({ seq: 4, problem: 'LINK_BROKEN' });
    // Even linked correctly, a row the head does not name was not written through the trail.
    const linked = { ...rows[2], seq: 4, prevHash: rows[2].hash };
    expect(walk([...rows, { ...linked, hash: rowHash(linked) }], { seq: 3, hash: rows[2].hash })).toMatchObject({ problem: 'LINK_BROKEN' });
  });
});
