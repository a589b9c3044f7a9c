import { DataSource } from 'typeorm';
import { AppError } from '../src/common/errors/app-error';
import { IdempotencyService } from '../src/transactions/idempotency/idempotency.service';
import { rupiah } from '../src/common/money/money';
import { TransactionsRepository } from '../src/transactions/transactions.repository';
import { TRANSITION_CAUSES } from '../src/transactions/transition-cause';
import { longestCallMs } from '../src/transactions/not-found-grace';
import { registerUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

describe('The money core: idempotency keys, transitions, refund reservations', () => {
  let t: TestApp;
  let idem: IdempotencyService;
  let txs: TransactionsRepository;
  let db: DataSource;
  let userId: string;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp();
    idem = t.app.get(IdempotencyService);
    txs = t.app.get(TransactionsRepository);
    db = t.app.get(DataSource);
    userId = (await registerUser(t)).id;
  });
  afterAll(async () => {
    await t.close();
  });

  const purchaseOp = (amount: number, executions: { count: number }) => ({
    prepare: (tx: Parameters<TransactionsRepository['createPending']>[0]) =>
      txs.createPending(tx, {
        userId,
        type: 'PURCHASE',
        amount: rupiah(amount),
        partnerReferenceNo: `PUR-TEST-${process.pid}-${seq++}`,
        initiatorKind: 'user',
        initiatorId: userId,
      }),
    execute: async () => {
      executions.count++;
      await new Promise((r) => setTimeout(r, 30));
      return 'ok' as const;
    },
    settle: async (tx: Parameters<TransactionsRepository['createPending']>[0], intent: { id: string }) => {
      const { transaction } = await txs.transition(tx, intent.id, 'SUCCESS', 'doku-response', 'doku-success');
      return { status: 201, body: { id: transaction.id, status: transaction.status }, transactionId: transaction.id };
    },
  });

  it('runs an operation once for 50 concurrent requests with one key; the rest are 409 or the same answer', async () => {
    const executions = { count: 0 };
    const ctx = { scope: `user:${userId}`, key: 'key-concurrent-1', fingerprint: 'fp-a' };
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => idem.run(ctx, purchaseOp(10_000, executions))));
    expect(executions.count).toBe(1);
    const answered = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<{ body: unknown; replayed: boolean }>).value);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as AppError);
    expect(answered.filter((a) => !a.replayed)).toHaveLength(1);
    expect(refused.every((e) => e.code === 'IDEMPOTENCY.IN_FLIGHT')).toBe(true);
    const first = answered.find((a) => !a.replayed)!;
    for (const a of answered) expect(a.body).toEqual(first.body);

    const later = await idem.run(ctx, purchaseOp(10_000, executions));
    expect(later).toEqual({ status: 201, body: first.body, replayed: true });
    expect(executions.count).toBe(1);
    const [{ count }] = await db.query(
      `SELECT count(*)::int AS count FROM transactions WHERE user_id = $1 AND partner_reference_no LIKE 'PUR-TEST-%'`,
      [userId],
    );
    expect(count).toBe(1);
  });

  it('refuses the same key with a different request (422) and changes nothing', async () => {
    const executions = { count: 0 };
    await idem.run({ scope: `user:${userId}`, key: 'key-mismatch-1', fingerprint: 'fp-a' }, purchaseOp(10_000, executions));
    await expect(
      idem.run({ scope: `user:${userId}`, key: 'key-mismatch-1', fingerprint: 'fp-b' }, purchaseOp(20_000, executions)),
    ).rejects.toMatchObject({
      code: 'IDEMPOTENCY.KEY_REUSED',
      status: 422,
    });
    expect(executions.count).toBe(1);
  });

  it('keeps keys of different callers apart', async () => {
    const executions = { count: 0 };
    await idem.run({ scope: `user:${userId}`, key: 'shared-key-1', fingerprint: 'fp' }, purchaseOp(10_000, executions));
    const other = await idem.run({ scope: 'service:svc_x', key: 'shared-key-1', fingerprint: 'fp' }, purchaseOp(10_000, executions));
    expect(other.replayed).toBe(false);
    expect(executions.count).toBe(2);
  });

  it('leaves nothing behind when preparation refuses the request, so the same key can be retried', async () => {
    const ctx = { scope: `user:${userId}`, key: 'key-refused-1', fingerprint: 'fp' };
    const refusing = {
      prepare: async () => {
        throw new AppError('REQUEST.VALIDATION_FAILED', 'refused');
      },
      execute: async () => 'never',
      settle: async () => ({ status: 200, body: {} }),
    };
    await expect(idem.run(ctx, refusing)).rejects.toMatchObject({ code: 'REQUEST.VALIDATION_FAILED' });
    const keys = await db.query(`SELECT 1 FROM idempotency_keys WHERE key = 'key-refused-1'`);
    expect(keys).toHaveLength(0);
    const executions = { count: 0 };
    expect((await idem.run(ctx, purchaseOp(5_000, executions))).replayed).toBe(false);
  });

  it('never lets concurrent refund reservations together exceed the paid amount', async () => {
    const purchase = await db.transaction((tx) =>
      txs.createPending(tx, {
        userId,
        type: 'PURCHASE',
        amount: rupiah(100_000),
        partnerReferenceNo: `PUR-REFUND-${process.pid}`,
        initiatorKind: 'user',
        initiatorId: userId,
      }),
    );
    await db.transaction((tx) => txs.transition(tx, purchase.id, 'SUCCESS', 'doku-response', 'doku-success'));
    const attempts = await Promise.all(
      Array.from({ length: 10 }, () => db.transaction((tx) => txs.reserveRefund(tx, purchase.id, rupiah(30_000)))),
    );
    expect(attempts.filter(Boolean)).toHaveLength(3);
    await db.transaction((tx) => txs.settleRefundReservation(tx, purchase.id, rupiah(30_000), true));
    await db.transaction((tx) => txs.settleRefundReservation(tx, purchase.id, rupiah(30_000), false));
    const after = await txs.findById(purchase.id);
    expect(after).toMatchObject({ refundedAmount: 30_000n, refundReservedAmount: 30_000n });
    // 40,000 remain refundable: 30,000 reserved and in flight, 30,000 refunded.
    expect(await db.transaction((tx) => txs.reserveRefund(tx, purchase.id, rupiah(40_001)))).toBe(false);
    expect(await db.transaction((tx) => txs.reserveRefund(tx, purchase.id, rupiah(40_000)))).toBe(true);
  });

  it('moves states only forward and records each change with its cause', async () => {
    const t1 = await db.transaction((tx) =>
      txs.createPending(tx, {
        userId,
        type: 'TOP_UP',
        amount: rupiah(50_000),
        partnerReferenceNo: `TOP-STATE-${process.pid}`,
        initiatorKind: 'service',
        initiatorId: 'svc_rewards',
      }),
    );
    expect((await db.transaction((tx) => txs.transition(tx, t1.id, 'UNKNOWN', 'doku-response', 'doku-unclear'))).changed).toBe(true);
    expect(
      (await db.transaction((tx) => txs.transition(tx, t1.id, 'SUCCESS', 'status-query', 'doku-reported', { dokuReferenceNo: 'DK-1' })))
        .changed,
    ).toBe(true);
    const back = await db.transaction((tx) => txs.transition(tx, t1.id, 'FAILED', 'status-query', 'doku-reported'));
    expect(back.changed).toBe(false);
    expect(back.transaction.status).toBe('SUCCESS');
    expect(back.transaction.dokuReferenceNo).toBe('DK-1');
    expect((await txs.findEvents(t1.id)).map((e) => [e.fromStatus, e.toStatus, e.cause])).toEqual([
      [null, 'PENDING', 'created'],
      ['PENDING', 'UNKNOWN', 'doku-response'],
      ['UNKNOWN', 'SUCCESS', 'status-query'],
    ]);
  });
  it('keeps the database to the closed set of transition causes: the check names exactly TRANSITION_CAUSES, and another cause is refused', async () => {
    const [check] = await db.query<Array<{ def: string }>>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'transaction_events_cause_check'`,
    );
    const named = [...check.def.matchAll(/'([^']+)'::text/g)].map((m) => m[1]).sort();
    expect(named).toEqual([...TRANSITION_CAUSES].sort());
    const t1 = await db.transaction((tx) =>
      txs.createPending(tx, {
        userId,
        type: 'TOP_UP',
        amount: rupiah(10_000),
        partnerReferenceNo: `TOP-CAUSE-${process.pid}`,
        initiatorKind: 'service',
        initiatorId: 'svc_rewards',
      }),
    );
    await expect(
      db.query(
        `INSERT INTO transaction_events (transaction_id, from_status, to_status, cause, details) VALUES ($1, 'PENDING', 'SUCCESS', 'because', '{}')`,
        [t1.id],
      ),
    ).rejects.toThrow(/transaction_events_cause_check/);
  });

  it('refuses, in the database write itself, to fail or release money on too little evidence', async () => {
    const make = (type: 'TOP_UP' | 'REFUND' | 'BANK_TRANSFER' | 'PURCHASE', n: number) =>
      db.transaction(async (tx) => {
        const t = await txs.createPending(tx, {
          userId,
          type,
          amount: rupiah(10_000),
          partnerReferenceNo: `RULE-${process.pid}-${type}-${n}`,
          initiatorKind: 'service',
          initiatorId: 'svc_rewards',
        });
        return (await txs.transition(tx, t.id, 'UNKNOWN', 'doku-response', 'doku-unclear')).transaction;
      });
    for (const [n, type] of (['TOP_UP', 'REFUND', 'BANK_TRANSFER'] as const).entries()) {
      const t = await make(type, n);
      for (const evidence of ['doku-not-found', 'doku-unclear'] as const) {
        const refused = await db.transaction((tx) =>
          txs.transition(tx, t.id, 'FAILED', 'status-query', evidence, { failureCode: 'DOKU.NOT_FOUND' }),
        );
        expect({
          type,
          evidence,
          changed: refused.changed,
          status: refused.transaction.status,
          failureCode: refused.transaction.failureCode,
        }).toEqual({
          type,
          evidence,
          changed: false,
          status: 'UNKNOWN',
          failureCode: null,
        });
      }
      const unclearSuccess = await db.transaction((tx) => txs.transition(tx, t.id, 'SUCCESS', 'status-query', 'doku-unclear'));
      expect(unclearSuccess.changed).toBe(false);
      // A definitive report still settles it, and the refused attempts left no event behind.
      expect((await db.transaction((tx) => txs.transition(tx, t.id, 'FAILED', 'status-query', 'doku-reported'))).changed).toBe(true);
      expect((await txs.findEvents(t.id)).map((e) => e.toStatus)).toEqual(['PENDING', 'UNKNOWN', 'FAILED']);
    }
    // A purchase DOKU never acknowledged cannot have been paid: "not found" may fail it.
    const purchase = await make('PURCHASE', 9);
    expect((await db.transaction((tx) => txs.transition(tx, purchase.id, 'FAILED', 'status-query', 'doku-not-found'))).changed).toBe(true);
    // One DOKU acknowledged (its reference is on our row) may have been paid: "not found" contradicts
    // that and settles nothing, while DOKU's report that it failed still does.
    const acknowledged = await make('PURCHASE', 10);
    await db.query(`UPDATE transactions SET doku_reference_no = 'DK-ACK-1' WHERE id = $1`, [acknowledged.id]);
    const contradicted = await db.transaction((tx) => txs.transition(tx, acknowledged.id, 'FAILED', 'status-query', 'doku-not-found'));
    expect({ changed: contradicted.changed, status: contradicted.transaction.status }).toEqual({ changed: false, status: 'UNKNOWN' });
    expect((await db.transaction((tx) => txs.transition(tx, acknowledged.id, 'FAILED', 'status-query', 'doku-reported'))).changed).toBe(
      true,
    );
  });

  it('sends again only once DOKU has had the grace since our last call about it ended (the rule of graceStartsAt, in the claim)', async () => {
    const grace = 60_000;
    const bound = longestCallMs(t.config.doku.timeoutMs);
    expect(bound).toBeLessThan(5 * 60_000);
    const intent = () =>
      db.transaction((tx) =>
        txs.createPending(tx, {
          userId,
          type: 'PURCHASE',
          amount: rupiah(1_000),
          partnerReferenceNo: `PUR-TEST-${process.pid}-${seq++}`,
          initiatorKind: 'user',
          initiatorId: userId,
        }),
      );
    const lostAnswer = (id: string) => db.transaction((tx) => txs.transition(tx, id, 'UNKNOWN', 'doku-response', 'doku-unclear'));
    const age = async (id: string, minutes: number, what: { created?: boolean; events?: boolean }) => {
      if (what.created)
        await db.query(`UPDATE transactions SET created_at = now() - make_interval(mins => $2) WHERE id = $1`, [id, minutes]);
      if (what.events)
        await db.query(`UPDATE transaction_events SET created_at = created_at - make_interval(mins => $2) WHERE transaction_id = $1`, [
          id,
          minutes,
        ]);
    };
    const sends = async (id: string) =>
      (await db.query<Array<{ sends: number | null }>>(`SELECT (details->>'sends')::int AS sends FROM transactions WHERE id = $1`, [id]))[0]
        .sends;

    // Just created: not yet.
    const fresh = await intent();
    await lostAnswer(fresh.id);
    expect(await txs.claimSendAgain(fresh.id, grace)).toBe(false);

    // Created long ago, but its call ended just now (it left late): not yet. Once that too is past the grace: claimed, once.
    const late = await intent();
    await age(late.id, 10, { created: true });
    await lostAnswer(late.id);
    expect(await txs.claimSendAgain(late.id, grace)).toBe(false);
    await age(late.id, 10, { events: true });
    expect(await txs.claimSendAgain(late.id, grace)).toBe(true);
    expect(await sends(late.id)).toBe(2);
    // The send again just claimed: not again before the grace after its start, and again right after.
    expect(await txs.claimSendAgain(late.id, grace)).toBe(false);
    const sentAgainAgo = async (seconds: number) =>
      db.query(
        `UPDATE transactions SET details = details || jsonb_build_object('lastSentAt', now() - make_interval(secs => $2)) WHERE id = $1`,
        [late.id, seconds],
      );
    await sentAgainAgo(grace / 1000 - 5);
    expect(await txs.claimSendAgain(late.id, grace)).toBe(false);
    await sentAgainAgo(grace / 1000 + 5);
    expect(await txs.claimSendAgain(late.id, grace)).toBe(true);
    expect(await sends(late.id)).toBe(3);

    // No recorded outcome (its process died during the call): from the creation plus the longest a call can last.
    const abandoned = await intent();
    await age(abandoned.id, 1, { created: true, events: true });
    expect(await txs.claimSendAgain(abandoned.id, grace)).toBe(false);
    await age(abandoned.id, 10, { created: true, events: true });
    expect(await txs.claimSendAgain(abandoned.id, grace)).toBe(true);

    // A settled operation is never sent again.
    const settled = await intent();
    await age(settled.id, 10, { created: true, events: true });
    await db.transaction((tx) => txs.transition(tx, settled.id, 'SUCCESS', 'doku-response', 'doku-success'));
    await age(settled.id, 10, { events: true });
    expect(await txs.claimSendAgain(settled.id, grace)).toBe(false);
  });
});
