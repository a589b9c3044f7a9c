import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WalletRegistrationsRepository } from '../src/accounts/wallet-registrations.repository';
import { rupiah } from '../src/common/money/money';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import { OutboxRepository } from '../src/outbox/outbox.repository';
import { TransactionsRepository } from '../src/transactions/transactions.repository';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { approveConsent, createBoundWallet, createPinOnPage, startWalletEnv } from './support/wallet-fixtures';

interface ApiEvent {
  id: string;
  seq: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/**
 * The transactional outbox (issue 5, "Events for the partner's systems"): every state change of a
 * transaction, registration and binding writes its event in the same commit, and GET /v1/events
 * pages through them by cursor without gaps or duplicates, even while writers commit out of order.
 */
describe('Events: outbox in the same commit, read by cursor (e2e, simulator)', () => {
  let env: WalletEnv;
  let db: DataSource;
  let reader: string;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    env = await startWalletEnv();
    db = env.t.app.get(DataSource);
    reader = (await serviceToken(env.t, ['events:read'])).token;
  });
  afterAll(async () => {
    await env.close();
  });

  const allEvents = async (after = '0', limit = 500): Promise<ApiEvent[]> => {
    const out: ApiEvent[] = [];
    let cursor = after;
    for (;;) {
      const res = await env.t.http().get(`/v1/events?after=${cursor}&limit=${limit}`).set(bearer(reader));
      expect(res.status).toBe(200);
      out.push(...res.body.events);
      if (res.body.events.length === 0) return out;
      cursor = res.body.nextCursor;
    }
  };
  const eventsOf = async (aggregateId: string) => (await allEvents()).filter((e) => Object.values(e.data).includes(aggregateId));

  it('records a transaction event with its creation and with each transition, and none for a rolled-back change', async () => {
    const user = await registerUser(env.t);
    const txs = env.t.app.get(TransactionsRepository);
    const created = await db.transaction((tx) =>
      txs.createPending(tx, {
        userId: user.id,
        type: 'PURCHASE',
        amount: rupiah(15_000),
        partnerReferenceNo: `PUR-EV-${randomUUID()}`,
        initiatorKind: 'user',
        initiatorId: user.id,
      }),
    );
    await db.transaction((tx) => txs.transition(tx, created.id, 'SUCCESS', 'doku-response', 'doku-success'));
    const events = await eventsOf(created.id);
    expect(events.map((e) => [e.type, e.data.previousStatus, e.data.status])).toEqual([
      ['transaction.status_changed', null, 'PENDING'],
      ['transaction.status_changed', 'PENDING', 'SUCCESS'],
    ]);
    expect(events[1].data).toMatchObject({ transactionId: created.id, type: 'PURCHASE', amount: 15000 });

    // The same writes, rolled back: neither the rows nor their events exist.
    const before = await allEvents();
    const ref = `PUR-EV-${randomUUID()}`;
    let rolledBackId = '';
    await expect(
      db.transaction(async (tx) => {
        const t = await txs.createPending(tx, {
          userId: user.id,
          type: 'PURCHASE',
          amount: rupiah(1_000),
          partnerReferenceNo: ref,
          initiatorKind: 'user',
          initiatorId: user.id,
        });
        rolledBackId = t.id;
        await txs.transition(tx, t.id, 'FAILED', 'doku-response', 'doku-declined');
        throw new Error('abort after the change');
      }),
    ).rejects.toThrow('abort after the change');
    expect(rolledBackId).not.toBe('');
    expect(await db.query(`SELECT 1 FROM transactions WHERE id = $1`, [rolledBackId])).toHaveLength(0);
    expect(await db.query(`SELECT 1 FROM outbox_events WHERE aggregate_id = $1`, [rolledBackId])).toHaveLength(0);
    expect((await allEvents()).map((e) => e.id)).toEqual(before.map((e) => e.id));
  });

  it('records registration and binding events for each state change, with masked identifiers and no secrets', async () => {
    const user = await registerUser(env.t);
    const phone = (await db.query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [user.id]))[0].phone;
    const reg = await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({});
    expect(reg.status).toBe(201);
    const otp = env.sim.control.lastOtp(phone).otp;
    const verified = await env.t.http().post(`/v1/wallet/registrations/${reg.body.id}/otp`).set(auth(user)).send({ otp });
    expect(verified.status).toBe(200);
    const pinToken = new URL(verified.body.pinPageUrl).searchParams.get('token')!;
    const callback = await createPinOnPage(verified.body.pinPageUrl, '654321');
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(200);
    const accountId = new URL(callback).searchParams.get('accountId')!;

    const regEvents = await eventsOf(reg.body.id);
    expect(regEvents.map((e) => [e.type, e.data.previousStatus, e.data.status])).toEqual([
      ['wallet.registration_changed', null, 'OTP_SENT'],
      ['wallet.registration_changed', 'OTP_SENT', 'OTP_VERIFIED'],
      ['wallet.registration_changed', 'OTP_VERIFIED', 'COMPLETED'],
    ]);
    expect(regEvents[2].data).toMatchObject({ userId: user.id, accountId: `******${accountId.slice(-4)}` });

    const bind = await env.t.http().post('/v1/wallet/binding').set(auth(user)).send({});
    expect(bind.status).toBe(201);
    const bindingCallback = await approveConsent(bind.body.nextAction, '654321');
    const authCode = new URL(bindingCallback).searchParams.get('authCode')!;
    expect((await fetch(bindingCallback, { redirect: 'manual' })).status).toBe(200);
    const unbind = await env.t.http().post('/v1/wallet/unbinding').set(auth(user)).send();
    expect(unbind.status).toBe(200);
    const unbindOtp = env.sim.control.lastOtp(phone).otp;
    expect((await env.t.http().post('/v1/wallet/unbinding/otp').set(auth(user)).send({ otp: unbindOtp })).status).toBe(200);

    const bindEvents = await eventsOf(bind.body.bindingId);
    expect(bindEvents.map((e) => [e.type, e.data.previousStatus, e.data.status])).toEqual([
      ['wallet.binding_changed', null, 'PENDING'],
      ['wallet.binding_changed', 'PENDING', 'ACTIVE'],
      ['wallet.binding_changed', 'ACTIVE', 'UNBINDING'],
      ['wallet.binding_changed', 'UNBINDING', 'UNBOUND'],
    ]);
    expect(bindEvents[1].data).toMatchObject({
      accountId: `******${accountId.slice(-4)}`,
      needsRebinding: false,
      boundAt: expect.any(String),
    });

    // No secret or full identifier in any event of this user.
    const text = JSON.stringify((await allEvents()).filter((e) => e.data.userId === user.id));
    for (const secret of [otp, unbindOtp, pinToken, authCode, accountId, phone]) expect(text).not.toContain(secret);
    const tokens = await db.query<unknown[]>(`SELECT access_token_ciphertext FROM doku_customer_tokens WHERE user_id = $1`, [user.id]);
    expect(tokens).toHaveLength(0);
  });

  it('reports a binding that needs rebinding (DOKU refused every customer token) with the wallet change', async () => {
    const user = await registerUser(env.t);
    const bound = await createBoundWallet(env, user, { balance: 10 });
    const [binding] = await db.query<Array<{ id: string }>>(`SELECT id FROM wallet_bindings WHERE user_id = $1 AND status = 'ACTIVE'`, [
      user.id,
    ]);
    // The user unlinks us on DOKU's side: the customer token dies and cannot be renewed.
    const doku = env.t.app.get(DokuClient);
    const unlinkRef = `UNBIND-${randomUUID()}`;
    const unlink = await doku.accountUnbinding({
      merchantId: env.t.config.doku.clientId,
      partnerReferenceNo: unlinkRef,
      additionalInfo: { accountId: bound.accountId },
    });
    await doku.verifyOtp({
      originalPartnerReferenceNo: unlinkRef,
      originalReferenceNo: String(unlink.body.referenceNo),
      otp: env.sim.control.lastOtp(bound.phone).otp,
    });
    const balance = await env.t.http().get('/v1/wallet/balance').set(auth(user));
    expect([balance.status, balance.body.error.code]).toEqual([409, 'WALLET.NEEDS_REBINDING']);
    const last = (await eventsOf(binding.id)).at(-1)!;
    expect(last).toMatchObject({
      type: 'wallet.binding_changed',
      data: { status: 'ACTIVE', needsRebinding: true, accountId: `******${bound.accountId.slice(-4)}` },
    });
  });

  it('a registration change that rolls back leaves no event', async () => {
    const user = await registerUser(env.t);
    const reg = await env.t.http().post('/v1/wallet/registrations').set(auth(user)).send({});
    expect(reg.status).toBe(201);
    const countFor = async () =>
      (await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM outbox_events WHERE aggregate_id = $1`, [reg.body.id]))[0].n;
    expect(await countFor()).toBe(1);
    // Status writes whose transaction fails after them (on purpose here): no row change, no event.
    const regs = env.t.app.get(WalletRegistrationsRepository);
    await expect(
      db.transaction(async (tx) => {
        await regs.expireOpenForUser(tx, user.id);
        await regs.update(reg.body.id, { status: 'FAILED' }, tx);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await countFor()).toBe(1);
    expect(
      (await db.query<Array<{ status: string }>>(`SELECT status FROM wallet_registrations WHERE id = $1`, [reg.body.id]))[0].status,
    ).toBe('OTP_SENT');
  });

  it('pages by cursor with no gap and no duplicate while writers commit out of order', async () => {
    const outbox = env.t.app.get(OutboxRepository);
    const start = (await allEvents()).at(-1)?.seq ?? '0';
    const aggregate = `paging-${randomUUID()}`;
    const writers = 40;
    const seen: ApiEvent[] = [];
    let cursor = start;
    let done = false;
    // A reader pages continuously while the writers run: it must never skip an event that commits
    // later with a smaller position.
    const readerLoop = (async () => {
      for (;;) {
        const finished = done;
        const res = await env.t.http().get(`/v1/events?after=${cursor}&limit=7`).set(bearer(reader));
        expect(res.status).toBe(200);
        seen.push(...(res.body.events as ApiEvent[]));
        cursor = res.body.nextCursor;
        if (finished && res.body.events.length === 0) return;
      }
    })();
    await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        db.transaction(async (tx) => {
          await outbox.append(tx, {
            type: 'transaction.status_changed',
            aggregateType: 'test',
            aggregateId: aggregate,
            userId: null,
            payload: { n: i, aggregate },
          });
          // The first writers hold their transaction open longest: they commit after later ones.
          await new Promise((r) => setTimeout(r, (writers - i) * 5 + Math.random() * 20));
        }),
      ),
    );
    done = true;
    await readerLoop;

    const mine = seen.filter((e) => e.data.aggregate === aggregate);
    expect(mine.map((e) => e.data.n).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: writers }, (_, i) => i));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    const seqs = seen.map((e) => BigInt(e.seq));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i] > seqs[i - 1]).toBe(true);
    // Paging the same range again from the start gives exactly the same events.
    const again = (await allEvents(start, 3)).filter((e) => BigInt(e.seq) <= seqs[seqs.length - 1]);
    expect(again.map((e) => e.id)).toEqual(seen.map((e) => e.id));
  });

  it('clamps the page size to 1..500, keeps the cursor on an empty page and refuses a malformed cursor', async () => {
    const all = await allEvents();
    expect(all.length).toBeGreaterThan(2);
    const one = await env.t.http().get('/v1/events?after=0&limit=0').set(bearer(reader));
    expect(one.body.events).toHaveLength(1);
    expect(one.body.nextCursor).toBe(all[0].seq);
    const big = await env.t.http().get('/v1/events?limit=100000').set(bearer(reader));
    expect(big.status).toBe(200);
    expect(big.body.events.length).toBe(Math.min(500, all.length));
    const dflt = await env.t.http().get('/v1/events').set(bearer(reader));
    expect(dflt.body.events.length).toBe(Math.min(100, all.length));
    expect(Object.keys(dflt.body.events[0]).sort()).toEqual(['createdAt', 'data', 'id', 'seq', 'type']);
    const end = all[all.length - 1].seq;
    const empty = await env.t.http().get(`/v1/events?after=${end}`).set(bearer(reader));
    expect(empty.body).toEqual({ events: [], nextCursor: end });
    for (const bad of ['-1', 'abc', '1.5', '99999999999999999999999']) {
      const res = await env.t.http().get(`/v1/events?after=${bad}`).set(bearer(reader));
      expect({ bad, status: res.status, code: res.body.error?.code }).toEqual({ bad, status: 400, code: 'REQUEST.VALIDATION_FAILED' });
    }
  });

  it('is readable by services with events:read and by admin, support and finance; refused to mobile users and other scopes', async () => {
    for (const role of ['admin', 'support', 'finance'] as const) {
      const staff = await registerUser(env.t, role);
      expect((await env.t.http().get('/v1/events').set(auth(staff))).status).toBe(200);
    }
    const user = await registerUser(env.t);
    const denied = await env.t.http().get('/v1/events').set(auth(user));
    expect([denied.status, denied.body.error.code]).toEqual([403, 'AUTH.FORBIDDEN']);
    const other = (await serviceToken(env.t, ['wallets:read', 'purchases:write'])).token;
    expect((await env.t.http().get('/v1/events').set(bearer(other))).status).toBe(403);
    expect((await env.t.http().get('/v1/events')).status).toBe(401);
  });
});
