import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

const VALIDITY_SECONDS = 5;

interface Row {
  id: string;
  status: string;
  failure_code: string | null;
  partner_reference_no: string;
  doku_external_id: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

/**
 * When DOKU still reports an abandoned purchase waiting after its validUpTo (the simulator's
 * `no-expiry` reading), the reconciler cancels it at DOKU with Cancel Purchase
 * (docs/customer-pages.md#expiry) under the money rules: the CANCEL row is written before the call,
 * a lost answer leaves it UNKNOWN and the purchase PENDING, a second send reuses its X-EXTERNAL-ID,
 * and the purchase is released only on DOKU's word that it is canceled.
 */
describe('Cancel at DOKU of an expired purchase (e2e, simulator)', () => {
  let env: WalletEnv;
  const cancels: Array<{ externalId?: string; status: number; at: number }> = [];
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });
  const db = () => env.t.app.get(DataSource);

  beforeAll(async () => {
    env = await startWalletEnv(
      {
        PURCHASE_VALIDITY_SECONDS: String(VALIDITY_SECONDS),
        DOKU_TIMEOUT_MS: '1000',
        RECONCILER_NOT_FOUND_GRACE_MS: '2000',
        RECONCILER_SCHEDULE_SECONDS: ['60', ...Array(40).fill('1')].join(','),
        APP_RETURN_URL: 'partnerapp://wallet/result',
      },
      {
        simLog: (line) => {
          const entry = JSON.parse(line) as { endpoint?: string; externalId?: string; status: number };
          if (entry.endpoint === 'cancelPurchase') cancels.push({ externalId: entry.externalId, status: entry.status, at: Date.now() });
        },
      },
    );
    env.sim.control.setProfiles(['no-expiry']);
  });
  afterAll(async () => {
    await env.close();
  });
  afterEach(() => env.sim.control.clearFaults());

  const row = async (id: string): Promise<Row> =>
    (
      await db().query<Row[]>(
        `SELECT id, status, failure_code, partner_reference_no, doku_external_id, details, created_at FROM transactions WHERE id = $1`,
        [id],
      )
    )[0];
  const cancelOf = async (purchaseId: string): Promise<Row[]> =>
    db().query<Row[]>(
      `SELECT id, status, failure_code, partner_reference_no, doku_external_id, details, created_at FROM transactions
        WHERE parent_id = $1 AND type = 'CANCEL' ORDER BY created_at`,
      [purchaseId],
    );
  const dokuStatus = (ref: string) => env.sim.control.transactions({ partnerReferenceNo: ref })[0]?.status;

  async function abandoned(): Promise<{ id: string; ref: string; createdAt: number }> {
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
    const id = created.body.id as string;
    return { id, ref: (await row(id)).partner_reference_no, createdAt };
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

  it('DOKU still waiting after validUpTo: canceled at DOKU once, after the PIN page closed; the page and the app link say expired', async () => {
    const { id, ref, createdAt } = await abandoned();
    const before = cancels.length;
    await reconcileUntil(async () => (await row(id)).status !== 'PENDING', 30_000);

    expect(await row(id)).toMatchObject({ status: 'CANCELED', failure_code: 'PURCHASE.EXPIRED' });
    const [cancel, ...others] = await cancelOf(id);
    expect(others).toEqual([]);
    expect(cancel).toMatchObject({ status: 'SUCCESS', details: expect.objectContaining({ expiry: true }) });
    // DOKU shows it canceled, nothing was debited, and it got exactly one cancel, sent with the
    // X-EXTERNAL-ID stored on our row beforehand, after the PIN page had closed.
    expect(dokuStatus(ref)).toBe('05');
    expect(env.sim.control.ledger({ partnerReferenceNo: ref }).debitCount).toBe(0);
    const sent = cancels.slice(before);
    expect(sent.map((c) => c.externalId)).toEqual([cancel.doku_external_id]);
    expect(sent[0].at).toBeGreaterThanOrEqual(createdAt + VALIDITY_SECONDS * 1000);

    const page = await fetch(`${env.t.url}/v1/callbacks/doku/purchase?ref=${ref}`, { headers: { 'accept-language': 'en' } });
    const html = await page.text();
    expect(html).toContain('Payment expired');
    expect(html).toContain('result=expired');

    // Settled: the reconciler sends nothing more.
    await env.t.app.get(ReconciliationService).runOnce();
    expect(cancels.length - before).toBe(1);
  }, 45_000);

  it('the cancel applied but its answer lost: UNKNOWN, the purchase still PENDING, until DOKU status says canceled', async () => {
    const { id, ref } = await abandoned();
    env.sim.control.setFaults([{ endpoint: 'cancelPurchase', type: 'drop', times: 1 }]);
    await reconcileUntil(async () => (await cancelOf(id)).length > 0 && (await cancelOf(id))[0].status !== 'PENDING', 30_000);
    // DOKU canceled it, but we do not know that yet: nothing is released on a lost answer.
    expect((await cancelOf(id))[0].status).toBe('UNKNOWN');
    expect((await row(id)).status).toBe('PENDING');
    expect(dokuStatus(ref)).toBe('05');

    await reconcileUntil(async () => (await row(id)).status !== 'PENDING', 20_000);
    expect(await row(id)).toMatchObject({ status: 'CANCELED', failure_code: 'PURCHASE.EXPIRED' });
    expect((await cancelOf(id)).map((c) => c.status)).toEqual(['SUCCESS']);
  }, 60_000);

  it('the cancel never reached DOKU: sent again after the grace period with the same X-EXTERNAL-ID, then canceled', async () => {
    const { id, ref } = await abandoned();
    const before = cancels.length;
    env.sim.control.setFaults([{ endpoint: 'cancelPurchase', type: 'error_before', times: 1 }]);
    await reconcileUntil(async () => (await cancelOf(id)).length > 0 && (await cancelOf(id))[0].status !== 'PENDING', 30_000);
    expect((await cancelOf(id))[0].status).toBe('UNKNOWN');
    expect((await row(id)).status).toBe('PENDING');
    expect(dokuStatus(ref)).toBe('01');

    await reconcileUntil(async () => (await row(id)).status !== 'PENDING', 20_000);
    expect(await row(id)).toMatchObject({ status: 'CANCELED', failure_code: 'PURCHASE.EXPIRED' });
    const [cancel, ...others] = await cancelOf(id);
    expect(others).toEqual([]);
    expect(cancel.status).toBe('SUCCESS');
    const sent = cancels.slice(before);
    expect(sent.length).toBe(2);
    expect(new Set(sent.map((c) => c.externalId))).toEqual(new Set([cancel.doku_external_id]));
    expect(dokuStatus(ref)).toBe('05');
    expect(env.sim.control.ledger({ partnerReferenceNo: ref }).debitCount).toBe(0);
  }, 60_000);
});
