import { DataSource } from 'typeorm';
import { rupiah } from '../src/common/money/money';
import { RECHECK_DELAYS_SECONDS } from '../src/reconciliation/reconciliation.schedule';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import { TransactionResolverRegistry } from '../src/transactions/transaction-resolver.registry';
import type { Transaction } from '../src/transactions/entities/transaction.entity';
import { TransactionsRepository } from '../src/transactions/transactions.repository';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

describe('Reconciliation of unresolved transactions', () => {
  let a: TestApp;
  let b: TestApp;
  let db: DataSource;
  let txs: TransactionsRepository;
  let userId: string;
  let seq = 0;

  beforeAll(async () => {
    a = await startTestApp();
    // A second instance on the same database, as in a deployment with two replicas.
    b = await startTestApp({}, a.databaseUrl);
    db = a.app.get(DataSource);
    txs = a.app.get(TransactionsRepository);
    userId = (await registerUser(a)).id;
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  async function unknownTopUp(): Promise<Transaction> {
    const t = await db.transaction((tx) =>
      txs.createPending(tx, {
        userId,
        type: 'TOP_UP',
        amount: rupiah(25_000),
        partnerReferenceNo: `TOP-REC-${process.pid}-${seq++}`,
        initiatorKind: 'service',
        initiatorId: 'svc_rewards',
      }),
    );
    await db.transaction((tx) =>
      txs.transition(tx, t.id, 'UNKNOWN', 'doku-response', 'doku-unclear', { nextCheckAt: new Date(Date.now() - 1000) }),
    );
    return t;
  }

  beforeEach(async () => {
    // Nothing left over from an earlier test is due.
    await db.query(`UPDATE transactions SET next_check_at = now() + interval '1 day' WHERE status IN ('PENDING','UNKNOWN')`);
  });

  it('settles a due transaction with its resolver and records the change as an outbox event', async () => {
    const t = await unknownTopUp();
    const resolved: string[] = [];
    a.app.get(TransactionResolverRegistry).register('TOP_UP', async (tr) => {
      resolved.push(tr.id);
      await db.transaction((tx) => txs.transition(tx, tr.id, 'SUCCESS', 'status-query', 'doku-reported', { dokuReferenceNo: 'DK-REC-1' }));
    });
    const summary = await a.app.get(ReconciliationService).runOnce();
    expect(summary).toMatchObject({ claimed: 1, settled: 1, stillUnresolved: 0, errors: 0 });
    expect(resolved).toEqual([t.id]);
    expect((await txs.findById(t.id))!.status).toBe('SUCCESS');

    const events: { type: string; payload: { status: string; previousStatus: string | null; cause: string } }[] = await db.query(
      `SELECT type, payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq`,
      [t.id],
    );
    expect(events.map((e) => [e.payload.previousStatus, e.payload.status, e.payload.cause])).toEqual([
      [null, 'PENDING', 'created'],
      ['PENDING', 'UNKNOWN', 'doku-response'],
      ['UNKNOWN', 'SUCCESS', 'status-query'],
    ]);
  });

  it('backs off while DOKU settles nothing, then flags the transaction for the back office', async () => {
    const t = await unknownTopUp();
    a.app.get(TransactionResolverRegistry).register('TOP_UP', async () => undefined);
    const service = a.app.get(ReconciliationService);
    expect(await service.runOnce()).toMatchObject({ claimed: 1, stillUnresolved: 1 });
    const [after] = await db.query(
      `SELECT check_attempts, EXTRACT(EPOCH FROM next_check_at - now())::int AS wait FROM transactions WHERE id = $1`,
      [t.id],
    );
    expect(after.check_attempts).toBe(1);
    expect(after.wait).toBeGreaterThanOrEqual(RECHECK_DELAYS_SECONDS[0] - 2);
    expect(after.wait).toBeLessThanOrEqual(RECHECK_DELAYS_SECONDS[0] + 1);

    // The schedule is exhausted: the next empty check flags it instead of failing it.
    await db.query(`UPDATE transactions SET check_attempts = $2, next_check_at = now() - interval '1 second' WHERE id = $1`, [
      t.id,
      RECHECK_DELAYS_SECONDS.length,
    ]);
    await service.runOnce();
    const flagged = await txs.findById(t.id);
    expect(flagged!.status).toBe('UNKNOWN');
    expect(flagged!.attentionRequiredAt).not.toBeNull();
    expect((await service.runOnce()).claimed).toBe(0);
  });

  it('never lets two instances work on the same transaction at once', async () => {
    const created = await Promise.all(Array.from({ length: 30 }, () => unknownTopUp()));
    const seen = new Map<string, number>();
    const resolver = async (tr: Transaction) => {
      seen.set(tr.id, (seen.get(tr.id) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 20));
      await db.transaction((tx) => txs.transition(tx, tr.id, 'SUCCESS', 'status-query', 'doku-reported'));
    };
    a.app.get(TransactionResolverRegistry).register('TOP_UP', resolver);
    b.app.get(TransactionResolverRegistry).register('TOP_UP', resolver);
    const runs = await Promise.all([
      a.app.get(ReconciliationService).runOnce(),
      b.app.get(ReconciliationService).runOnce(),
      a.app.get(ReconciliationService).runOnce(),
      b.app.get(ReconciliationService).runOnce(),
    ]);
    expect(runs.reduce((n, r) => n + r.claimed, 0)).toBe(created.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(seen.size).toBe(created.length);
  });
});
