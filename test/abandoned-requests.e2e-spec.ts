import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { rupiah } from '../src/common/money/money';
import { canonicalJson } from '../src/transactions/idempotency/idempotency.guard';
import { IdempotencyService } from '../src/transactions/idempotency/idempotency.service';
import type { Transaction } from '../src/transactions/entities/transaction.entity';
import { TransactionsRepository } from '../src/transactions/transactions.repository';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import { TransactionResolverRegistry } from '../src/transactions/transaction-resolver.registry';
import { TRANSACTION_TYPES } from '../src/transactions/transaction-state';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { BackendProcess } from './support/backend-process';
import { startBackendProcess } from './support/backend-process';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/**
 * Requests abandoned mid-flight (docs/reliability.md, R3, "during the DOKU call"): the process dies
 * between commit 1 (key IN_PROGRESS + PENDING intent) and commit 2. After a restart the intent
 * converges to DOKU's truth with its own identifiers, and the key is completed from it, so a retry
 * with the same Idempotency-Key gets the final answer instead of 409 forever.
 */
describe('Requests abandoned mid-flight', () => {
  // Short DOKU timeout: a key counts as abandoned after 4x this (4 s), which keeps the test fast.
  const DOKU_TIMEOUT_MS = '1000';
  let env: WalletEnv;
  let db: DataSource;
  let user: SignedInUser;
  let accountId: string;
  let service: { token: string; clientId: string };
  const children: BackendProcess[] = [];

  beforeAll(async () => {
    env = await startWalletEnv({ DOKU_TIMEOUT_MS });
    db = env.t.app.get(DataSource);
    user = await registerUser(env.t);
    accountId = (await createBoundWallet(env, user, { balance: 10_000 })).accountId;
    service = await serviceToken(env.t, ['topups:write']);
  });
  afterEach(async () => {
    env.sim.control.clearFaults();
    await Promise.all(children.splice(0).map((c) => c.kill9()));
  });
  afterAll(async () => {
    await env?.close();
  });

  const topUps = () => `/v1/users/${user.id}/top-ups`;
  const balance = () => Number(env.sim.control.getAccount(accountId).balance);
  const backend = async (extra: Record<string, string> = {}) => {
    const b = await startBackendProcess(env.t.databaseUrl, { DOKU_BASE_URL: env.sim.url, DOKU_TIMEOUT_MS, ...extra });
    children.push(b);
    return b;
  };
  const postTopUp = (baseUrl: string, key: string, body: object) =>
    fetch(`${baseUrl}${topUps()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.token}`, 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const inquiry = async (amount: number): Promise<string> => {
    const res = await env.t.http().post(`${topUps()}/inquiries`).set('authorization', `Bearer ${service.token}`).send({ amount });
    expect(res.status).toBe(201);
    return res.body.inquiryId as string;
  };
  const keyRow = async (key: string) =>
    (
      await db.query<
        Array<{
          status: string;
          transaction_id: string | null;
          response_status: number | null;
        }>
      >(`SELECT status, transaction_id, response_status FROM idempotency_keys WHERE key = $1`, [key])
    )[0];

  it('kill -9 during the DOKU top-up call: after restart it converges, credits once, and the retry gets the final answer', async () => {
    const before = balance();
    const body = { inquiryId: await inquiry(25_000) };
    const key = `abandon-${randomUUID()}`;

    // The first instance: the top-up call to DOKU is held in flight by injected latency.
    const first = await backend();
    env.sim.control.setFaults([{ id: 'slow-topup', endpoint: 'topUp', type: 'latency', latencyMs: 800, times: 1 }]);
    const inFlight = postTopUp(first.url, key, body).catch((e: unknown) => e);
    const deadline = Date.now() + 10_000;
    while ((env.sim.control.listFaults().rules.find((r) => r.id === 'slow-topup')?.fired ?? 0) === 0) {
      if (Date.now() > deadline) throw new Error('the top-up never reached the simulator');
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.kill9();
    // The caller saw the connection die: no answer at all.
    expect(String(await inFlight)).toMatch(/fetch failed/);

    // Commit 1 is all that happened on our side: the PENDING intent, and the key linked to it.
    const abandoned = await keyRow(key);
    expect(abandoned).toMatchObject({ status: 'IN_PROGRESS', transaction_id: expect.any(String) });
    const [intent] = await db.query(`SELECT status, partner_reference_no FROM transactions WHERE id = $1`, [abandoned.transaction_id]);
    expect(intent.status).toBe('PENDING');

    // DOKU finishes the call the dead process made: one credit, whatever we do next.
    const applied = Date.now() + 5_000;
    while (env.sim.control.ledger({ partnerReferenceNo: intent.partner_reference_no }).creditCount === 0) {
      if (Date.now() > applied) throw new Error('the simulator never applied the top-up');
      await new Promise((r) => setTimeout(r, 20));
    }

    // Restart, with the reconciler on (as in production).
    const second = await backend({ RECONCILER_ENABLED: 'true', RECONCILER_INTERVAL_MS: '200' });
    const early = await postTopUp(second.url, key, body);
    expect(early.status).toBe(409);
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    let final: Response | undefined;
    const converge = Date.now() + 15_000;
    while (!final) {
      const res = await postTopUp(second.url, key, body);
      if (res.status !== 409) final = res;
      else if (Date.now() > converge) throw new Error('the retry still answers 409');
      else await new Promise((r) => setTimeout(r, 250));
    }
    expect(final.status).toBe(201);
    expect(final.headers.get('idempotent-replayed')).toBe('true');
    const answer = (await final.json()) as Record<string, unknown>;
    expect(answer).toMatchObject({
      id: abandoned.transaction_id,
      status: 'SUCCESS',
      amount: 25_000,
      userId: user.id,
      partnerReferenceNo: intent.partner_reference_no,
    });

    // Our record matches the simulator's truth, with exactly one credit.
    const [settled] = await db.query(`SELECT status FROM transactions WHERE id = $1`, [abandoned.transaction_id]);
    expect(settled.status).toBe('SUCCESS');
    expect(env.sim.control.transactions({ partnerReferenceNo: intent.partner_reference_no })[0].status).toBe('00');
    expect(env.sim.control.ledger({ partnerReferenceNo: intent.partner_reference_no }).creditCount).toBe(1);
    expect(balance()).toBe(before + 25_000);
    expect(await keyRow(key)).toMatchObject({ status: 'COMPLETED', response_status: 201 });

    // Every later retry answers the same; the recovery shows in /metrics.
    const again = await postTopUp(second.url, key, body);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(answer);
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(metrics).toMatch(/reconciliation_idempotency_keys_recovered_total\{type="TOP_UP"\} 1\b/);
  }, 60_000);

  it('completes the key of an intent DOKU never received by sending it again with its own reference, applied once', async () => {
    // The state a process leaves when it dies right after commit 1: key IN_PROGRESS linked to a
    // PENDING intent (its inquiry taken) that never reached DOKU. Both are backdated past DOKU's
    // not-found grace period. "Not found" never fails a top-up (docs/money-rules.md): the
    // reconciler sends the same top-up again, and DOKU, which deduplicates on the reference,
    // applies it once.
    const body = { inquiryId: await inquiry(5_000) };
    const key = `abandon-${randomUUID()}`;
    const reference = `TOP-${randomUUID().replace(/-/g, '')}`;
    const fingerprint = createHash('sha256')
      .update(`POST ${topUps()} ${canonicalJson(body)}`)
      .digest('hex');
    const [t] = await db.query(
      `INSERT INTO transactions (user_id, type, status, amount, partner_reference_no, details, initiator_kind, initiator_id, created_at)
       VALUES ($1, 'TOP_UP', 'PENDING', 5000, $2, jsonb_build_object('inquiryId', $4::text), 'service', $3, now() - interval '5 minutes') RETURNING id`,
      [user.id, reference, service.clientId, body.inquiryId],
    );
    await db.query(`UPDATE top_up_inquiries SET transaction_id = $1 WHERE id = $2`, [t.id, body.inquiryId]);
    const before = balance();
    await db.query(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, status, transaction_id, created_at)
       VALUES ($1, $2, $3, 'IN_PROGRESS', $4, now() - interval '5 minutes')`,
      [`service:${service.clientId}`, key, fingerprint, t.id],
    );

    const blocked = await postTopUp(env.t.url, key, body);
    expect(blocked.status).toBe(409);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('IDEMPOTENCY.IN_FLIGHT');
    expect(blocked.headers.get('retry-after')).toBe('1');

    const summary = await env.t.app.get(ReconciliationService).runOnce();
    expect(summary.keysCompleted).toBeGreaterThanOrEqual(1);
    const [settled] = await db.query(`SELECT status, failure_code FROM transactions WHERE id = $1`, [t.id]);
    expect(settled).toEqual({ status: 'SUCCESS', failure_code: null });

    const replay = await postTopUp(env.t.url, key, body);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toMatchObject({ id: t.id, status: 'SUCCESS' });
    expect(env.sim.control.ledger({ partnerReferenceNo: reference }).creditCount).toBe(1);
    expect(balance()).toBe(before + 5_000);
  });

  it('keeps answering 409 with a Retry-After while the transaction of an abandoned key is unresolved', async () => {
    const body = { inquiryId: await inquiry(6_000) };
    const key = `abandon-${randomUUID()}`;
    const fingerprint = createHash('sha256')
      .update(`POST ${topUps()} ${canonicalJson(body)}`)
      .digest('hex');
    const [t] = await db.query(
      `INSERT INTO transactions (user_id, type, status, amount, partner_reference_no, details, initiator_kind, initiator_id, created_at, next_check_at)
       VALUES ($1, 'TOP_UP', 'UNKNOWN', 6000, $2, '{}', 'service', $3, now() - interval '1 hour', now() + interval '300 seconds') RETURNING id`,
      [user.id, `TOP-${randomUUID().replace(/-/g, '')}`, service.clientId],
    );
    await db.query(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, status, transaction_id, created_at)
       VALUES ($1, $2, $3, 'IN_PROGRESS', $4, now() - interval '1 hour')`,
      [`service:${service.clientId}`, key, fingerprint, t.id],
    );
    await env.t.app.get(ReconciliationService).runOnce();
    const res = await postTopUp(env.t.url, key, body);
    expect(res.status).toBe(409);
    // Come back after the next scheduled status check, not in a tight loop.
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(290);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(302);
    expect((await keyRow(key)).status).toBe('IN_PROGRESS');
  });

  it('a live request that outlives the abandonment time answers what the completer stored for its key', async () => {
    const idempotency = env.t.app.get(IdempotencyService);
    const txs = env.t.app.get(TransactionsRepository);
    const ctx = { scope: `service:${service.clientId}`, key: `live-${randomUUID()}`, fingerprint: 'f'.repeat(64) };
    let release!: () => void;
    const dokuAnswers = new Promise<void>((resolve) => (release = resolve));
    const running = idempotency.run<Transaction, string, unknown>(ctx, {
      prepare: (tx) =>
        txs.createPending(tx, {
          userId: user.id,
          type: 'TOP_UP',
          amount: rupiah(3_000),
          partnerReferenceNo: `TOP-${randomUUID().replace(/-/g, '')}`,
          initiatorKind: 'service',
          initiatorId: service.clientId,
        }),
      transactionId: (t) => t.id,
      execute: async () => {
        await dokuAnswers;
        return 'ok';
      },
      settle: async (tx, t) => {
        await txs.transition(tx, t.id, 'SUCCESS', 'doku-response', 'doku-success');
        return { status: 201, body: { answeredBy: 'the live request' }, transactionId: t.id };
      },
    });
    let row: { status: string; transaction_id: string | null } | undefined;
    while (!row) {
      row = await keyRow(ctx.key);
      if (!row) await new Promise((r) => setTimeout(r, 10));
    }
    // While its DOKU call hangs, a notification settles the transaction and the key grows old.
    await db.transaction((tx) => txs.transition(tx, row.transaction_id!, 'SUCCESS', 'status-query', 'doku-reported'));
    await db.query(`UPDATE idempotency_keys SET created_at = now() - interval '1 hour' WHERE key = $1`, [ctx.key]);
    expect((await env.t.app.get(ReconciliationService).runOnce()).keysCompleted).toBe(1);

    release();
    const answer = await running;
    // Not its own body: the one stored on the key, so every answer of the key is the same.
    expect(answer).toMatchObject({ status: 201, replayed: true, body: { id: row.transaction_id, status: 'SUCCESS', amount: 3_000 } });
    expect(answer.body).not.toHaveProperty('answeredBy');
  });

  it('every money type has a resolver (same identifiers, status query) and a renderer of its POST answer', async () => {
    const registry = env.t.app.get(TransactionResolverRegistry);
    const purchaseId = randomUUID();
    const rows: Record<string, unknown>[] = [];
    await db.transaction(async (tx) => {
      for (const type of TRANSACTION_TYPES) {
        expect(registry.get(type)).toBeDefined();
        const render = registry.renderer(type)!;
        expect(render).toBeDefined();
        const base = {
          id: randomUUID(),
          userId: user.id,
          type,
          amount: rupiah(1_000),
          partnerReferenceNo: `X-${type}`,
          parentId: type === 'REFUND' || type === 'CANCEL' ? purchaseId : null,
          details: {},
          dokuReferenceNo: null,
          dokuResponseCode: null,
          merchantOrderRef: null,
          description: null,
          createdAt: new Date(),
          updatedAt: new Date(),
        };
        const ok = await render({ ...base, status: 'SUCCESS', failureCode: null } as unknown as Transaction, tx);
        const declined = await render(
          { ...base, status: 'FAILED', failureCode: 'DOKU.INSUFFICIENT_BALANCE', dokuResponseCode: '4033814' } as unknown as Transaction,
          tx,
        );
        rows.push({
          type,
          ok: ok.status,
          okId: (ok.body as { id?: string }).id === base.id,
          declined: declined.status,
          code: (declined.body as { error: { code: string; details: Record<string, unknown> } }).error.code,
        });
        expect((declined.body as { error: { details: Record<string, unknown> } }).error.details.responseCode).toBe('4033814');
      }
    });
    expect(rows).toEqual([
      { type: 'PURCHASE', ok: 201, okId: true, declined: 422, code: 'DOKU.INSUFFICIENT_BALANCE' },
      { type: 'REFUND', ok: 201, okId: true, declined: 422, code: 'DOKU.INSUFFICIENT_BALANCE' },
      { type: 'CANCEL', ok: 200, okId: true, declined: 422, code: 'DOKU.INSUFFICIENT_BALANCE' },
      { type: 'TOP_UP', ok: 201, okId: true, declined: 422, code: 'DOKU.INSUFFICIENT_BALANCE' },
      { type: 'BANK_TRANSFER', ok: 201, okId: true, declined: 422, code: 'DOKU.INSUFFICIENT_BALANCE' },
    ]);
  });
});
