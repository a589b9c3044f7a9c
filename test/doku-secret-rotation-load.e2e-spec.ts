import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DEV_DOKU_CREDENTIALS } from '../src/config/dev-credentials';
import { registerUser } from './support/actors';
import type { SignedInUser } from './support/actors';
import { createPurchaseToPay } from './support/paid-purchase';
import { until } from './support/until';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/**
 * DOKU switches its client secret while purchases are paid and their notifications flow
 * (docs/operations.md#rotating-keys): with the old secret kept as DOKU_CLIENT_SECRET_PREVIOUS, no
 * notification is refused (each is delivered on its first attempt), no request of ours is refused,
 * and every purchase settles.
 */
describe('DOKU client secret rotated under load (e2e, simulator)', () => {
  const OLD = DEV_DOKU_CREDENTIALS.clientSecret;
  const NEW = `SK-next-${randomUUID()}`;
  let env: WalletEnv;
  let user: SignedInUser;
  beforeAll(async () => {
    env = await startWalletEnv({ DOKU_CLIENT_SECRET: NEW, DOKU_CLIENT_SECRET_PREVIOUS: OLD }, { notifications: true });
    // DOKU has issued the new secret and accepts both; it still signs its notifications with the old one.
    env.sim.control.setClientSecrets(env.t.config.doku.clientId, { clientSecret: OLD, previousClientSecrets: [NEW] });
    user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 10_000_000 });
  });
  afterAll(async () => {
    await env.close();
  });

  it('no notification and no request is lost while DOKU switches the secret it signs with', async () => {
    const db = env.t.app.get(DataSource);
    const purchases: Array<{ id: string; ref: string }> = [];
    const failures: string[] = [];
    const buy = async () => {
      const created = await createPurchaseToPay(env.t, user, failures);
      if (!created) return;
      purchases.push(created);
      env.sim.control.pay({ partnerReferenceNo: created.ref });
    };
    const wave = () => Promise.all(Array.from({ length: 6 }, buy));
    await wave();
    // DOKU switches once the first wave's notifications have begun to arrive (signed with the old
    // secret), with the rest of them and the second wave still to come.
    const attempted = async () =>
      purchases
        .flatMap((p) => env.sim.control.notifications({ partnerReferenceNo: p.ref }))
        .filter((d) => (d.attempts as unknown[]).length > 0);
    await until(attempted, (list) => list.length >= 1, 5_000);
    env.sim.control.setClientSecrets(env.t.config.doku.clientId, { clientSecret: NEW, previousClientSecrets: [OLD] });
    await wave();
    expect(failures).toEqual([]);
    expect(purchases).toHaveLength(12);

    const statuses = await until(
      () => db.query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = ANY($1)`, [purchases.map((p) => p.id)]),
      (rows) => rows.length === 12 && rows.every((r) => r.status === 'SUCCESS'),
      15_000,
    );
    expect(statuses.map((r) => r.status)).toEqual(Array(12).fill('SUCCESS'));
    const deliveries = purchases.flatMap((p) => env.sim.control.notifications({ partnerReferenceNo: p.ref }));
    expect(deliveries.length).toBeGreaterThanOrEqual(12);
    for (const d of deliveries) {
      expect(d).toMatchObject({ status: 'delivered' });
      expect((d.attempts as unknown[]).length).toBe(1);
    }
    // Notifications verified under both secrets: the symmetric form, stored once per delivery.
    const stored = await db.query<Array<{ signature_kind: string }>>(
      `SELECT signature_kind FROM doku_notifications WHERE partner_reference_no = ANY($1)`,
      [purchases.map((p) => p.ref)],
    );
    expect(stored.length).toBe(deliveries.length);
    expect(new Set(stored.map((s) => s.signature_kind))).toEqual(new Set(['symmetric']));
  });
});
