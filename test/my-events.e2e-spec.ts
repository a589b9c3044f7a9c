import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

interface FeedEvent {
  id: string;
  seq: string;
  type: string;
  data: { userId?: string; transactionId?: string; status?: string };
}

/** GET /v1/me/events: a user's own events by cursor, for the app's activity screen; never another user's. */
describe('A user’s own event feed (e2e, simulator)', () => {
  let env: WalletEnv;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });

  beforeAll(async () => {
    env = await startWalletEnv();
  });
  afterAll(async () => {
    await env.close();
  });

  const page = (u: SignedInUser, after: string, limit: number) => env.t.http().get('/v1/me/events').query({ after, limit }).set(auth(u));

  /** Every event of the feed, walked page by page with the cursor. */
  async function walk(u: SignedInUser, limit: number): Promise<{ events: FeedEvent[]; cursor: string }> {
    const events: FeedEvent[] = [];
    let cursor = '0';
    for (let i = 0; i < 100; i++) {
      const res = await page(u, cursor, limit);
      expect(res.status).toBe(200);
      const got = res.body.events as FeedEvent[];
      if (got.length === 0) {
        expect(res.body.nextCursor).toBe(cursor);
        break;
      }
      expect(got.length).toBeLessThanOrEqual(limit);
      events.push(...got);
      cursor = res.body.nextCursor as string;
    }
    return { events, cursor };
  }

  /** The users the stored events belong to. */
  const ownersOf = async (events: FeedEvent[]): Promise<string[]> =>
    (
      await env.t.app
        .get(DataSource)
        .query<Array<{ user_id: string }>>(`SELECT DISTINCT user_id FROM outbox_events WHERE id = ANY($1::uuid[])`, [
          events.map((e) => e.id),
        ])
    ).map((r) => r.user_id);

  const buy = (u: SignedInUser, amount: number) =>
    env.t.http().post('/v1/purchases').set(auth(u)).set('idempotency-key', `key-${randomUUID()}`).send({ amount });

  it('shows only my own events, paged by cursor without gaps or repeats, and new ones after my cursor', async () => {
    const alice = await registerUser(env.t);
    const bob = await registerUser(env.t);
    await createBoundWallet(env, alice, { balance: 100_000 });
    await createBoundWallet(env, bob, { balance: 100_000 });
    const alicePurchase = await buy(alice, 10_000);
    const bobPurchase = await buy(bob, 20_000);
    expect([alicePurchase.status, bobPurchase.status]).toEqual([201, 201]);

    const mine = await walk(alice, 2);
    expect(mine.events.length).toBeGreaterThanOrEqual(3);
    expect(await ownersOf(mine.events)).toEqual([alice.id]);
    expect(new Set(mine.events.map((e) => e.id)).size).toBe(mine.events.length);
    const seqs = mine.events.map((e) => BigInt(e.seq));
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);
    expect(mine.events.some((e) => e.type === 'wallet.binding_changed')).toBe(true);
    expect(mine.events.some((e) => e.data.transactionId === alicePurchase.body.id)).toBe(true);
    // Nothing of Bob's, in any form.
    expect(JSON.stringify(mine.events)).not.toContain(bob.id);
    expect(JSON.stringify(mine.events)).not.toContain(bobPurchase.body.id);

    // One big page says the same as small pages.
    const whole = await page(alice, '0', 500);
    expect((whole.body.events as FeedEvent[]).map((e) => e.id)).toEqual(mine.events.map((e) => e.id));

    // Bob's feed has his purchase and none of Alice's.
    const his = await walk(bob, 50);
    expect(his.events.some((e) => e.data.transactionId === bobPurchase.body.id)).toBe(true);
    expect(await ownersOf(his.events)).toEqual([bob.id]);

    // Something new for Alice appears after her cursor, and only that.
    const cancel = await env.t
      .http()
      .post(`/v1/purchases/${alicePurchase.body.id}/cancel`)
      .set(auth(alice))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({});
    expect(cancel.status).toBe(200);
    const next = await page(alice, mine.cursor, 100);
    const fresh = next.body.events as FeedEvent[];
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    expect(fresh.every((e) => BigInt(e.seq) > BigInt(mine.cursor))).toBe(true);
    expect(await ownersOf(fresh)).toEqual([alice.id]);
    expect(fresh.some((e) => e.data.transactionId === alicePurchase.body.id && e.data.status === 'CANCELED')).toBe(true);
  });

  it('is for signed-in users only: no token 401, a service token 403, bad cursors 400', async () => {
    expect((await env.t.http().get('/v1/me/events')).status).toBe(401);
    const service = await serviceToken(env.t, ['events:read']);
    expect(
      (
        await env.t
          .http()
          .get('/v1/me/events')
          .set({ authorization: `Bearer ${service.token}` })
      ).status,
    ).toBe(403);
    const user = await registerUser(env.t);
    const bad = await env.t.http().get('/v1/me/events').query({ after: '-1' }).set(auth(user));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('REQUEST.VALIDATION_FAILED');
    const empty = await page(user, '0', 10);
    expect(empty.body).toEqual({ events: [], nextCursor: '0' });
  });
});
