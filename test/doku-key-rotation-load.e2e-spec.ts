import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DEV_DOKU_CREDENTIALS } from '../src/config/dev-credentials';
import type { SimulatorHandle } from '../simulator/src';
import { DEFAULT_NOTIFY_PATH, startSimulator } from '../simulator/src';
import { registerUser } from './support/actors';
import type { SignedInUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { publicOf, rsaPair } from './support/rsa-keys';
import { createTestDatabase } from './support/test-database';
import { until } from './support/until';
import { createBoundWallet } from './support/wallet-fixtures';

const clientId = DEV_DOKU_CREDENTIALS.clientId;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  app: TestApp;
  inFlight: number;
}
interface Delivery {
  id: number;
  partnerReferenceNo: string;
  status: string;
  attempts: Array<{ dokuKey: string; httpStatus?: number; responseCode?: string; error?: string }>;
}
interface PartnerKeys {
  publicKeys: Array<{ fingerprint: string; tokenRequests: number }>;
}

/**
 * Backend instances on one database behind a load balancer (round robin), DOKU's notifications
 * going to the newest. A replaced instance leaves the rotation, finishes the requests it has in
 * flight, the notifications DOKU was already sending it and the processing of those it took, then
 * stops.
 */
class Fleet {
  readonly live: Instance[] = [];
  private readonly started: TestApp[] = [];
  private turn = 0;

  constructor(
    readonly sim: SimulatorHandle,
    readonly databaseUrl: string,
  ) {}

  async start(env: Record<string, string> = {}): Promise<TestApp> {
    const app = await startTestApp({ DOKU_BASE_URL: this.sim.url, NOTIFICATION_SWEEP_INTERVAL_MS: '200', ...env }, this.databaseUrl);
    // The binding callback leads back to this instance (it listens on a random port).
    app.config.app.publicBaseUrl = app.url;
    this.started.push(app);
    return app;
  }

  pick(): Instance {
    return this.live[this.turn++ % this.live.length];
  }

  db(): DataSource {
    return this.live[0].app.app.get(DataSource);
  }

  notifyTo(app: TestApp, settings: { signature?: 'symmetric' | 'asymmetric'; retryDelaysMs?: number[]; timeScale?: number } = {}): void {
    this.sim.control.setNotification(clientId, {
      enabled: true,
      baseUrl: app.url,
      path: DEFAULT_NOTIFY_PATH,
      timeScale: 0.001,
      ...settings,
    });
  }

  async replace(next: TestApp): Promise<void> {
    const old = this.live.splice(0, this.live.length, { app: next, inFlight: 0 });
    this.live.push(...old);
    this.notifyTo(next);
    const sending = new Set(deliveries(this.sim).flatMap((d) => (d.status === 'scheduled' ? [d.id] : [])));
    await sleep(300);
    this.live.splice(1);
    for (const o of old) while (o.inFlight > 0) await sleep(10);
    await until(
      async () => deliveries(this.sim).filter((d) => sending.has(d.id) && d.status === 'scheduled'),
      (left) => left.length === 0,
      10_000,
    );
    const received = new Date();
    await until(
      () =>
        this.db().query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM doku_notifications WHERE processed_at IS NULL AND received_at <= $1`,
          [received],
        ),
      (rows) => rows[0].n === 0,
      10_000,
    );
    for (const o of old) await this.stop(o.app);
  }

  async stop(app: TestApp): Promise<void> {
    const i = this.started.indexOf(app);
    if (i < 0) return;
    this.started.splice(i, 1);
    await app.app.close();
  }

  async close(): Promise<void> {
    for (const app of [...this.started]) await this.stop(app);
  }
}

function deliveries(sim: SimulatorHandle): Delivery[] {
  return sim.control.notifications() as unknown as Delivery[];
}

/** Loads still running: stopped before the instances are, even when a test fails half-way. */
const loads: Array<{ stop: () => Promise<void> }> = [];

/**
 * Purchases paid one after another by a few workers through the fleet until stopped; each one is
 * tagged with the rotation step it was started in.
 */
function purchaseLoad(fleet: Fleet, user: SignedInUser, workers = 3) {
  const purchases: Array<{ id: string; ref: string; step: string }> = [];
  const failures: string[] = [];
  let step = 'before';
  let stopped = false;
  const one = async () => {
    const target = fleet.pick();
    const started = step;
    target.inFlight++;
    try {
      const res = await fetch(`${target.app.url}/v1/purchases`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${user.accessToken}`,
          'idempotency-key': `k-${randomUUID()}`,
        },
        body: JSON.stringify({ amount: 1_000 }),
      });
      const body = (await res.json()) as { id: string };
      if (res.status !== 201) return void failures.push(`${started}: purchase ${res.status} ${JSON.stringify(body)}`);
      const [row] = await target.app.app
        .get(DataSource)
        .query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [body.id]);
      purchases.push({ id: body.id, ref: row.partner_reference_no, step: started });
      fleet.sim.control.pay({ partnerReferenceNo: row.partner_reference_no });
    } catch (e) {
      failures.push(`${started}: ${(e as Error).message}`);
    } finally {
      target.inFlight--;
    }
  };
  const running = Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stopped) {
        await one();
        await sleep(20);
      }
    }),
  );
  const load = {
    purchases,
    failures,
    step: (name: string) => {
      step = name;
    },
    /** Resolves once every purchase made so far has settled (the final assertions say if one did not). */
    settled: async () => {
      const ids = purchases.map((p) => p.id);
      await until(
        () => fleet.db().query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = ANY($1)`, [ids]),
        (rows) => rows.every((r) => r.status === 'SUCCESS'),
        15_000,
      );
    },
    /** Resolves once `count` purchases started in the current step have been made (however slow the machine). */
    made: async (count: number) => {
      const current = step;
      const n = await until(
        async () => purchases.filter((p) => p.step === current).length,
        (made) => made >= count || failures.length > 0,
        15_000,
      );
      expect({ step: current, made: Math.min(n, count), failures }).toEqual({ step: current, made: count, failures: [] });
    },
    stop: async () => {
      stopped = true;
      await running;
    },
  };
  loads.push(load);
  return load;
}

/** Every purchase SUCCESS, and each of its notifications delivered on the first attempt. */
async function expectAllSettled(fleet: Fleet, purchases: Array<{ id: string; ref: string }>): Promise<Delivery[]> {
  const ids = purchases.map((p) => p.id);
  const statuses = await until(
    () => fleet.db().query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = ANY($1)`, [ids]),
    (rows) => rows.length === ids.length && rows.every((r) => r.status === 'SUCCESS'),
    15_000,
  );
  expect(statuses.map((r) => r.status)).toEqual(Array(ids.length).fill('SUCCESS'));
  const refs = new Set(purchases.map((p) => p.ref));
  const sent = deliveries(fleet.sim).filter((d) => refs.has(d.partnerReferenceNo));
  expect(sent.length).toBeGreaterThanOrEqual(purchases.length);
  for (const d of sent) {
    expect(d).toMatchObject({ status: 'delivered' });
    expect(d.attempts).toHaveLength(1);
  }
  return sent;
}

/** docs/operations.md#rotating-keys: both RSA keys of the DOKU integration switched while purchases are paid. */
describe('DOKU RSA keys rotated under load (e2e, simulator)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let sim: SimulatorHandle;
  let fleet: Fleet;
  let user: SignedInUser;
  const setUp = async (env: Record<string, string>, signature: 'symmetric' | 'asymmetric') => {
    db = await createTestDatabase();
    sim = await startSimulator({ port: 0, log: false });
    fleet = new Fleet(sim, db.url);
    const first = await fleet.start(env);
    fleet.live.push({ app: first, inFlight: 0 });
    fleet.notifyTo(first, { signature });
    user = await registerUser(first);
    await createBoundWallet({ t: first, sim, close: async () => undefined }, user, { balance: 10_000_000 });
  };
  const tearDown = async () => {
    for (const load of loads.splice(0)) await load.stop();
    await fleet?.close();
    await sim?.close();
    await db?.drop();
  };

  describe('our private key (DOKU_PRIVATE_KEY)', () => {
    const OLD = { privatePem: DEV_DOKU_CREDENTIALS.partnerPrivateKeyPem, publicPem: publicOf(DEV_DOKU_CREDENTIALS.partnerPrivateKeyPem) };
    const NEW = rsaPair();
    beforeAll(() => setUp({}, 'symmetric'));
    afterAll(tearDown);

    const keys = () => (sim.control.getPartner(clientId) as unknown as PartnerKeys).publicKeys;

    it('DOKU takes both keys, the instances switch to the new one, DOKU drops the old: no request and no notification lost', async () => {
      const [oldKey] = keys();
      expect(oldKey.tokenRequests).toBeGreaterThanOrEqual(1);
      const load = purchaseLoad(fleet, user);
      await load.made(3);

      // 1. DOKU registers the new public key beside the old one.
      load.step('both registered');
      const both = sim.control.setPartnerPublicKeys(clientId, [OLD.publicPem, NEW.publicPem]).publicKeys;
      expect(both.map((k) => k.fingerprint)).toEqual([oldKey.fingerprint, expect.any(String)]);
      const newFingerprint = both[1].fingerprint;
      const newKeyRequests = () => keys().find((k) => k.fingerprint === newFingerprint)?.tokenRequests ?? 0;
      await load.made(3);

      // 2. The instances are replaced by ones signing with the new key. The B2B token they share
      // was fetched with the old key: DOKU expires it, and the next call fetches one signed with the new key.
      load.step('new key signs');
      await fleet.replace(await fleet.start({ DOKU_PRIVATE_KEY: NEW.privatePem }));
      await load.made(3);
      load.step('token expired');
      expect(sim.control.revokeTokens({ clientId, kind: 'b2b' }).revoked).toBe(1);
      expect(
        await until(
          async () => newKeyRequests(),
          (n) => n >= 1,
          10_000,
        ),
      ).toBeGreaterThanOrEqual(1);
      await load.made(3);
      // What the expiry caught (a call refused, sent again with the new token) is over before DOKU expires the next token.
      await load.settled();

      // 3. DOKU removes the old key. Another token, forced again, is fetched with the new key alone.
      load.step('old key removed');
      expect(sim.control.setPartnerPublicKeys(clientId, [NEW.publicPem]).publicKeys.map((k) => k.fingerprint)).toEqual([newFingerprint]);
      const before = newKeyRequests();
      expect(sim.control.revokeTokens({ clientId, kind: 'b2b' }).revoked).toBe(1);
      expect(
        await until(
          async () => newKeyRequests(),
          (n) => n > before,
          10_000,
        ),
      ).toBeGreaterThan(before);
      await load.made(3);
      await load.stop();

      expect(load.failures).toEqual([]);
      await expectAllSettled(fleet, load.purchases);
      // DOKU saw the new key sign (at least the two forced token requests); the old key is gone.
      expect(keys()).toEqual([{ fingerprint: newFingerprint, tokenRequests: expect.any(Number) }]);
      expect(newKeyRequests()).toBeGreaterThanOrEqual(2);
    });
  });

  describe("DOKU's signing key (DOKU_PUBLIC_KEY)", () => {
    const OLD = { privatePem: dokuDevPrivateKey(), publicPem: publicOf(dokuDevPrivateKey()) };
    const NEW = rsaPair();
    beforeAll(() => setUp({ DOKU_PUBLIC_KEY: `${OLD.publicPem}${NEW.publicPem}` }, 'asymmetric'));
    afterAll(tearDown);

    it('with both keys configured, DOKU switching keys loses no notification; a backend with the new key alone then accepts them', async () => {
      const oldFingerprint = sim.control.dokuKey().fingerprint;
      const signedWith = (fingerprint: string, refs: Set<string>) =>
        deliveries(sim).filter((d) => refs.has(d.partnerReferenceNo) && d.status === 'delivered' && d.attempts[0]?.dokuKey === fingerprint);
      const load = purchaseLoad(fleet, user);
      const refs = () => new Set(load.purchases.map((p) => p.ref));
      // DOKU switches once notifications signed with the old key have been accepted, with more to come.
      await until(
        async () => signedWith(oldFingerprint, refs()),
        (list) => list.length >= 2,
        10_000,
      );
      load.step('DOKU switched');
      const newFingerprint = sim.control.setDokuKey(NEW.privatePem).fingerprint;
      expect(newFingerprint).not.toBe(oldFingerprint);
      await until(
        async () => signedWith(newFingerprint, refs()),
        (list) => list.length >= 2,
        10_000,
      );
      await load.stop();

      expect(load.failures).toEqual([]);
      const sent = await expectAllSettled(fleet, load.purchases);
      expect(new Set(sent.map((d) => d.attempts[0].dokuKey))).toEqual(new Set([oldFingerprint, newFingerprint]));
      // Verified as DOKU's RSA signature (the asymmetric form), stored once per delivery.
      const stored = await fleet
        .db()
        .query<Array<{ signature_kind: string }>>(`SELECT signature_kind FROM doku_notifications WHERE partner_reference_no = ANY($1)`, [
          [...refs()],
        ]);
      expect(stored.length).toBe(sent.length);
      expect(new Set(stored.map((s) => s.signature_kind))).toEqual(new Set(['asymmetric']));

      // Retired. A backend still on the old key alone refuses DOKU (its token request is signed
      // with the new key); one on the new key alone takes the same notification when DOKU sends it again.
      const oldOnly = await fleet.start({ DOKU_PUBLIC_KEY: OLD.publicPem });
      const newOnly = await fleet.start({ DOKU_PUBLIC_KEY: NEW.publicPem });
      fleet.notifyTo(oldOnly, { signature: 'asymmetric', retryDelaysMs: [0, 1_000, 1_000], timeScale: 1 });
      const last = purchaseLoad(fleet, user, 1);
      await until(
        async () => last.purchases.length,
        (n) => n >= 1,
        10_000,
      );
      await last.stop();
      expect(last.failures).toEqual([]);
      const [purchase] = last.purchases;
      const refused = await until(
        async () => deliveries(sim).filter((d) => d.partnerReferenceNo === purchase.ref),
        (list) => list.length > 0 && list.every((d) => d.attempts.length >= 1 && d.attempts[0].error !== undefined),
        5_000,
      );
      expect(refused.map((d) => d.attempts[0])).toEqual(
        refused.map(() => expect.objectContaining({ dokuKey: newFingerprint, error: 'partner token request failed with HTTP 401' })),
      );
      fleet.notifyTo(newOnly, { signature: 'asymmetric', retryDelaysMs: [0, 1_000, 1_000], timeScale: 1 });
      fleet.live.splice(0, fleet.live.length, { app: newOnly, inFlight: 0 });
      await until(
        () => fleet.db().query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = $1`, [purchase.id]),
        (rows) => rows[0]?.status === 'SUCCESS',
        10_000,
      );
      const redelivered = deliveries(sim).filter((d) => d.partnerReferenceNo === purchase.ref);
      for (const d of redelivered) {
        expect(d.status).toBe('delivered');
        expect(d.attempts.slice(1)).toEqual([
          expect.objectContaining({ dokuKey: newFingerprint, httpStatus: 200, responseCode: '2005600' }),
        ]);
      }
    });
  });
});

/** The simulator's development DOKU key pair (the backend's development DOKU public key is its public half). */
function dokuDevPrivateKey(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'simulator', 'dev-partner.json'), 'utf8')) as { dokuPrivateKeyPem: string })
    .dokuPrivateKeyPem;
}
