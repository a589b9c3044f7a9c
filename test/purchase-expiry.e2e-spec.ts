import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

const VALIDITY_SECONDS = 6;

/**
 * An abandoned purchase expires at its validUpTo (docs/customer-pages.md#expiry): the reconciler
 * checks it right after the PIN page closes instead of minutes later on its backoff schedule, and
 * DOKU's failure then is an expiry. An unknown answer at that moment changes nothing.
 */
describe('Expiry of an abandoned purchase (e2e, simulator)', () => {
  let env: WalletEnv;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });
  const db = () => env.t.app.get(DataSource);

  beforeAll(async () => {
    env = await startWalletEnv({
      PURCHASE_VALIDITY_SECONDS: String(VALIDITY_SECONDS),
      // The first reconciler check of a new purchase comes 4 x the DOKU timeout after it.
      DOKU_TIMEOUT_MS: '1000',
      RECONCILER_NOT_FOUND_GRACE_MS: '2000',
      // The backoff schedule's next step after the first check is a minute away; the expiry check must not wait for it.
      RECONCILER_SCHEDULE_SECONDS: ['60', ...Array(40).fill('1')].join(','),
      APP_RETURN_URL: 'partnerapp://wallet/result',
    });
  });
  afterAll(async () => {
    await env.close();
  });
  afterEach(() => env.sim.control.clearFaults());

  const row = async (id: string) =>
    (
      await db().query<Array<{ status: string; failure_code: string | null; partner_reference_no: string; check_attempts: number }>>(
        `SELECT status, failure_code, partner_reference_no, check_attempts FROM transactions WHERE id = $1`,
        [id],
      )
    )[0];

  async function abandoned(): Promise<{ user: SignedInUser; id: string; createdAt: number }> {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 100_000 });
    const createdAt = Date.now();
    const created = await env.t
      .http()
      .post('/v1/purchases')
      .set(auth(user))
      .set('idempotency-key', `key-${randomUUID()}`)
      .send({ amount: 12_000 });
    expect(created.status).toBe(201);
    return { user, id: created.body.id as string, createdAt };
  }

  /** Runs the reconciler every 250 ms until `done` or `ms` pass. */
  async function reconcileUntil(done: () => Promise<boolean>, ms: number): Promise<void> {
    const reconciler = env.t.app.get(ReconciliationService);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      await reconciler.runOnce();
      if (await done()) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('expires at validUpTo (plus a few seconds), not on the backoff schedule; the page and the app link say expired', async () => {
    const { id, createdAt } = await abandoned();
    await reconcileUntil(async () => (await row(id)).status !== 'PENDING', 30_000);
    const settled = await row(id);
    expect(settled).toMatchObject({ status: 'FAILED', failure_code: 'PURCHASE.EXPIRED' });
    // Well before the schedule's minutes: right after the PIN page closed.
    expect(Date.now() - createdAt).toBeLessThan((VALIDITY_SECONDS + 12) * 1000);
    expect(settled.check_attempts).toBeLessThanOrEqual(4);

    const page = await fetch(`${env.t.url}/v1/callbacks/doku/purchase?ref=${settled.partner_reference_no}`, {
      headers: { 'accept-language': 'en' },
    });
    const html = await page.text();
    expect(html).toContain('Payment expired');
    expect(html).toContain('result=expired');
    const event = await db().query<Array<{ payload: { status: string } }>>(
      `SELECT payload FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq DESC LIMIT 1`,
      [id],
    );
    expect(event[0].payload.status).toBe('FAILED');
  });

  it('DOKU unreachable at expiry: the purchase stays PENDING (never failed on an unknown outcome) until DOKU answers', async () => {
    const { id } = await abandoned();
    env.sim.control.setFaults([{ endpoint: 'queryPurchase', type: 'refuse', times: 1_000 }]);
    // The reconciler keeps asking through the expiry; every answer is lost.
    await reconcileUntil(async () => false, (VALIDITY_SECONDS + 9) * 1000);
    expect(env.sim.control.faultFirings({ endpoint: 'queryPurchase' }).length).toBeGreaterThanOrEqual(2);
    expect((await row(id)).status).toBe('PENDING');
    env.sim.control.clearFaults();
    await reconcileUntil(async () => (await row(id)).status !== 'PENDING', 30_000);
    expect(await row(id)).toMatchObject({ status: 'FAILED', failure_code: 'PURCHASE.EXPIRED' });
  }, 60_000);
});
