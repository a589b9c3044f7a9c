import { DataSource } from 'typeorm';
import type { SignedInUser } from '../support/actors';
import { registerUser } from '../support/actors';
import type { BackendProcess } from '../support/backend-process';
import { startBackendProcess } from '../support/backend-process';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv, UNCAPPED_EMONEY_LIMITS } from './support/env';
import type { Rng } from './support/harness';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { BatteryHttp } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R5 (docs/reliability.md): two backend instances under steady load while the simulator's token
 * lifetime is a few seconds and a new token invalidates the old one (latest wins), with forced
 * revocations mid-run. Pass: 0 caller-visible failures (every request of the load succeeds), and
 * fleet-wide B2B token requests about one per refresh interval, not one per instance.
 *
 * The instances are two real backend processes (test/support/backend-process.ts) on one database:
 * they share nothing but PostgreSQL and DOKU. The simulator's tokens do not slide here
 * (`slidingTokenExpiry: false`): each one lapses TOKEN_TTL_S after it was issued however busy the
 * fleet is, so only proactive refresh keeps calls working. Customer (B2B2C) tokens have the same
 * lifetime and are renewed per user. Right after each revocation of every token, every user's wallet
 * is read several times on both instances, so one user's customer token is renewed by concurrent
 * callers in one process while others of that user are still arriving: no caller may end up with
 * the wallet flagged for rebinding.
 *
 * Expected B2B token requests: the run is cut into segments at each revocation. A segment of length
 * L holds about L / interval scheduled refreshes (its phase is unknown for the first segment, and
 * starts at the revocation for the others), and each revocation adds exactly one request.
 */
const TEST = 'R5';
const TOKEN_TTL_S = 4;
/** The backend refreshes a token a quarter of a short lifetime before it ends (src/auth-token/b2b-token.service.ts). */
const REFRESH_INTERVAL_MS = TOKEN_TTL_S * 1000 - Math.min(60_000, (TOKEN_TTL_S * 1000) / 4);
/** How much later than its due time one refresh may happen: the next call after it is due, one database round trip. */
const REFRESH_SLACK_MS = 250;
const LOAD_MS = sized(21_000, 90_000);
const USERS = sized(4, 16);
const LANES = sized(12, 16);
const REVOCATIONS = sized(4, 9);
const INSTANCES = 2;
/** Concurrent wallet reads per user and instance right after every token was revoked. */
const BURST_PER_USER = 4;
/** Over this many milliseconds: callers keep arriving while the first ones renew. */
const BURST_SPREAD_MS = 150;
/** Endpoints a `revoke_token` fault is armed on: the ones the load calls most. */
const FAULT_ENDPOINTS = ['balanceInquiry', 'purchaseWeb'] as const;

jest.setTimeout(sized(150_000, 420_000));

type RevocationKind = 'control-b2b' | 'control-all' | 'fault';
interface Revocation {
  kind: RevocationKind;
  /** When it took effect (ms since epoch); undefined when it never did. */
  at?: number;
  detail: string;
}

interface Instance {
  name: string;
  process: BackendProcess;
  http: BatteryHttp;
}

interface UserState {
  user: SignedInUser;
  purchases: Array<{ id: string; paid: boolean }>;
}

/** Bounds of the fleet's B2B token requests in [start, end] with the given revocation times (see the file comment). */
function expectedTokenRequests(
  start: number,
  end: number,
  revokedAt: number[],
  intervalMs: number,
  slackMs: number,
): { low: number; high: number; perInstanceWouldBe: number } {
  const cuts = [start, ...[...revokedAt].sort((a, b) => a - b), end];
  let low = revokedAt.length;
  let high = revokedAt.length;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const length = cuts[i + 1] - cuts[i];
    low += Math.max(0, Math.floor((length - slackMs) / (intervalMs + slackMs)));
    high += i === 0 ? Math.ceil(length / intervalMs) : Math.floor(length / intervalMs);
  }
  return { low, high, perInstanceWouldBe: INSTANCES * low };
}

/** STATUS_QUERY_MIN_INTERVAL_MS of the two instances. */
const STATUS_INTERVAL_MS = 200;

describe('R5: one B2B token for the fleet under short token lifetimes and revocations', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  const instances: Instance[] = [];
  const users: UserState[] = [];
  /** Token calls and refusals as the simulator logged them, with the time they were logged. */
  const simEvents: Array<{ at: number; endpoint: string; responseCode?: string }> = [];
  const setup = { started: Date.now(), usersMs: 0, instancesMs: 0 };

  beforeAll(async () => {
    env = await startReliabilityEnv({
      sim: { seed: `${RELIABILITY_SEED}:${TEST}`, tokenTtlSeconds: TOKEN_TTL_S, slidingTokenExpiry: false },
      onSimLog: (entry) => {
        if (typeof entry.endpoint === 'string') {
          simEvents.push({ at: Date.now(), endpoint: entry.endpoint, responseCode: entry.responseCode as string | undefined });
        }
      },
    });
    db = env.t.app.get(DataSource);
    // Users and wallets through the in-process app, which then stays idle (its reconciler is off in
    // tests): the load goes to the two backend processes only.
    for (let i = 0; i < USERS; i++) {
      const user = await registerUser(env.t);
      await createBoundWallet(env, user, { balance: 10_000_000 });
      users.push({ user, purchases: [] });
    }
    setup.usersMs = Date.now() - setup.started;
    const started = await Promise.all(
      Array.from({ length: INSTANCES }, () =>
        startBackendProcess(
          env.t.databaseUrl,
          // A read asks DOKU at most once per interval per purchase (docs/doku-integration.md#polls-read-our-record).
          {
            ...UNCAPPED_EMONEY_LIMITS,
            DOKU_BASE_URL: env.sim.url,
            PUBLIC_BASE_URL: env.t.url,
            STATUS_QUERY_MIN_INTERVAL_MS: String(STATUS_INTERVAL_MS),
          },
          60_000,
        ),
      ),
    );
    started.forEach((process, i) => instances.push({ name: `instance-${i + 1}`, process, http: new BatteryHttp(process.url, LANES + 8) }));
    setup.instancesMs = Date.now() - setup.started - setup.usersMs;
  });

  afterAll(async () => {
    for (const i of instances) {
      await i.http.close();
      await i.process.stop();
    }
    await env?.close();
  });

  /** Revokes as `kind` says and returns when (and whether) it took effect. */
  async function revoke(kind: RevocationKind, index: number, r: Rng): Promise<Revocation> {
    const clientId = env.t.config.doku.clientId;
    if (kind !== 'fault') {
      const at = Date.now();
      const { revoked } = env.sim.control.revokeTokens({ clientId, kind: kind === 'control-all' ? 'all' : 'b2b' });
      return { kind, at: revoked > 0 ? at : undefined, detail: `${revoked} live tokens revoked` };
    }
    // The caller's B2B token is revoked just before DOKU checks it: the call in flight gets 401xx01.
    const endpoint = r.pick(FAULT_ENDPOINTS);
    const id = `revoke-${index}`;
    env.sim.control.setFaults([{ id, endpoint, type: 'revoke_token', times: 1 }], `${RELIABILITY_SEED}:${TEST}:${index}`);
    const deadline = Date.now() + 3_000;
    let at: number | undefined;
    while (at === undefined && Date.now() < deadline) {
      if ((env.sim.control.listFaults().rules.find((rule) => rule.id === id)?.fired ?? 0) > 0) at = Date.now();
      else await sleep(5);
    }
    env.sim.control.clearFaults();
    return { kind, at, detail: `revoke_token on ${endpoint}` };
  }

  it(`${INSTANCES} instances, ${USERS} users, ${LANES} callers for ${LOAD_MS / 1000} s, token lifetime ${TOKEN_TTL_S} s, ${REVOCATIONS} forced revocations`, async () => {
    const clientId = env.t.config.doku.clientId;
    const failures: string[] = [];
    const tally = new Tally();
    const perInstance = new Tally();
    const kinds = rng.shuffle(Array.from({ length: REVOCATIONS }, (_, i) => (['control-all', 'control-b2b', 'fault'] as const)[i % 3]));
    const slot = LOAD_MS / (REVOCATIONS + 1);
    const plan = kinds.map((kind, i) => ({ kind, offsetMs: Math.round(slot * (i + 1) + rng.int(-slot / 8, slot / 8)) }));
    const versionBefore = await storedVersion();

    const t0 = Date.now();
    const eventsBefore = simEvents.length;
    const deadline = t0 + LOAD_MS;

    const revocations: Revocation[] = [];
    const revoker = (async () => {
      for (const [i, planned] of plan.entries()) {
        await sleep(Math.max(0, t0 + planned.offsetMs - Date.now()));
        const revocation = await revoke(planned.kind, i, rng.fork(`revocation-${i}`));
        revocations.push(revocation);
        // Every user's wallet read several times on every instance the moment all tokens are gone:
        // callers arriving while others of the same user renew its customer token in the same process.
        if (revocation.kind === 'control-all') {
          await Promise.all(
            users.flatMap((state) =>
              instances.flatMap((instance) =>
                Array.from({ length: BURST_PER_USER }, async () => {
                  await sleep(rng.int(0, BURST_SPREAD_MS));
                  perInstance.add(instance.name);
                  tally.add('burstBalance');
                  const problem = await step('balance', state, instance, rng, 'burst').catch((e: Error) => `balance: ${e.message}`);
                  if (problem) failures.push(`${instance.name} burst ${problem}`);
                }),
              ),
            ),
          );
        }
      }
    })();

    const lane = async (index: number) => {
      const r = rng.fork(`lane-${index}`);
      let n = 0;
      while (Date.now() < deadline) {
        const state = r.pick(users);
        const instance = r.pick(instances);
        perInstance.add(instance.name);
        const roll = r.next();
        const what = roll < 0.4 || (roll >= 0.7 && state.purchases.length === 0) ? 'balance' : roll < 0.7 ? 'purchase' : 'readPurchase';
        tally.add(what);
        const problem = await step(what, state, instance, r, `${index}-${n++}`).catch((e: Error) => `${what}: ${e.message}`);
        if (problem) failures.push(`${instance.name} ${problem}`);
        await sleep(r.int(0, 15));
      }
    };
    await Promise.all([...Array.from({ length: LANES }, (_, i) => lane(i)), revoker]);
    const t1 = Date.now();

    const window = simEvents.slice(eventsBefore).filter((e) => e.at >= t0 && e.at <= t1);
    const b2bTokenRequests = window.filter((e) => e.endpoint === 'b2bToken').length;
    const b2b2cTokenRequests = window.filter((e) => e.endpoint === 'b2b2cToken').length;
    const refusedB2b = window.filter(
      (e) => e.endpoint !== 'b2bToken' && e.endpoint !== 'b2b2cToken' && /^401\d\d01$/.test(e.responseCode ?? ''),
    ).length;
    const refusedCustomer = window.filter((e) => /^401\d\d02$/.test(e.responseCode ?? '')).length;
    const effective = revocations.filter((v) => v.at !== undefined);
    const expected = expectedTokenRequests(
      t0,
      t1,
      effective.map((v) => v.at as number),
      REFRESH_INTERVAL_MS,
      REFRESH_SLACK_MS,
    );
    const versionsStored = (await storedVersion()) - versionBefore;
    // Customer tokens: one renewal per user per (shortest) refresh interval at most, plus the two
    // requests (refused refresh grant, then a fresh authCode) after each revocation of every token.
    const customerIntervalMs = 0.75 * (TOKEN_TTL_S - 1) * 1000;
    const controlAll = effective.filter((v) => v.kind === 'control-all').length;
    const customerHigh = USERS * (Math.ceil((t1 - t0) / customerIntervalMs) + 1) + 2 * USERS * controlAll;

    // Paid purchases nobody has read yet are settled by one read each (notifications are off here).
    for (const state of users) {
      for (const purchase of state.purchases.filter((p) => p.paid)) {
        const problem = await step('readPurchase', { ...state, purchases: [purchase] }, rng.pick(instances), rng, 'settle');
        if (problem) failures.push(`settling read: ${problem}`);
      }
    }
    // Token churn must never be mistaken for a wallet that has to be bound again.
    const rebinding = await db.query<Array<{ n: number }>>(
      `SELECT (SELECT COUNT(*) FROM doku_customer_tokens WHERE needs_rebinding)::int + (SELECT COUNT(*) FROM wallets WHERE status <> 'BOUND')::int AS n`,
    );
    const rebindingFlags = rebinding[0].n;
    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);
    const serverErrors = instances.reduce((sum, i) => sum + i.http.serverErrors, 0);
    const requests = instances.reduce((sum, i) => sum + i.http.requests, 0);
    const fired = {
      instancesServing: instances.filter((i) => perInstance.get(i.name) > 0).length,
      revokedByControlB2b: effective.filter((v) => v.kind === 'control-b2b').length,
      revokedByControlAll: controlAll,
      revokedByFault: effective.filter((v) => v.kind === 'fault').length,
      // Tokens that lapsed under load and were replaced on schedule (beyond the revocations' own).
      scheduledRefreshes: b2bTokenRequests - effective.length,
      // Calls DOKU refused because their token had been revoked or replaced: the app had to recover.
      refusedB2b,
    };
    const minimum = {
      instancesServing: INSTANCES,
      revokedByControlB2b: 1,
      revokedByControlAll: 1,
      revokedByFault: 1,
      scheduledRefreshes: Math.floor(LOAD_MS / REFRESH_INTERVAL_MS / 2),
      refusedB2b: REVOCATIONS,
    };

    printFigures(TEST, {
      instances: INSTANCES,
      users: USERS,
      lanes: LANES,
      loadMs: t1 - t0,
      tokenLifetimeS: TOKEN_TTL_S,
      refreshIntervalMs: REFRESH_INTERVAL_MS,
      requests,
      requestsByInstance: perInstance.counts,
      operations: tally.counts,
      failures: failures.length,
      serverErrors,
      revocations: revocations.map((v) => ({ kind: v.kind, atMs: v.at === undefined ? null : v.at - t0, detail: v.detail })),
      faultsFired: fired,
      b2bTokenRequests,
      expectedB2bTokenRequests: [expected.low, expected.high],
      ifEachInstanceFetchedItsOwn: expected.perInstanceWouldBe,
      storedTokenVersions: versionsStored,
      b2b2cTokenRequests,
      b2b2cTokenRequestsAtMost: customerHigh,
      refusedCustomer,
      rebindingFlags,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      setupMs: { users: setup.usersMs, instances: setup.instancesMs },
      totalMs: Date.now() - setup.started,
    });

    expect(failures.slice(0, 10)).toEqual([]);
    expect(serverErrors).toBe(0);
    expect(belowMinimum(fired, minimum)).toEqual([]);
    // About one per refresh interval for the whole fleet, plus exactly one per revocation.
    expect(b2bTokenRequests).toBeGreaterThanOrEqual(expected.low);
    expect(b2bTokenRequests).toBeLessThanOrEqual(expected.high);
    // Every token DOKU issued went through the shared row: no instance fetched one for itself.
    expect(versionsStored).toBe(b2bTokenRequests);
    expect(b2b2cTokenRequests).toBeLessThanOrEqual(customerHigh);
    expect(rebindingFlags).toBe(0);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(invariants).toEqual([]);
  });

  /** One operation of the load; returns what went wrong, or undefined. */
  async function step(what: string, state: UserState, instance: Instance, r: Rng, label: string): Promise<string | undefined> {
    const token = state.user.accessToken;
    if (what === 'balance') {
      const res = await instance.http.get('/v1/wallet/balance', token);
      return res.status === 200 && typeof res.json?.available === 'number' ? undefined : refusal(what, res);
    }
    if (what === 'purchase') {
      const res = await instance.http.post(
        '/v1/purchases',
        { amount: r.int(1_000, 20_000), description: `R5 ${label}` },
        token,
        `r5-${label}-${r.hex(12)}`,
      );
      if (res.status !== 201 || res.json?.status !== 'PENDING' || typeof res.json?.webRedirectUrl !== 'string') return refusal(what, res);
      const purchase = { id: res.json.id as string, paid: false };
      // Some buyers enter their PIN at once; the next read of the purchase must then say SUCCESS.
      if (r.next() < 0.3) {
        const rows = await db.query<Array<{ partner_reference_no: string }>>(
          `SELECT partner_reference_no FROM transactions WHERE id = $1`,
          [purchase.id],
        );
        env.sim.control.pay({ partnerReferenceNo: rows[0].partner_reference_no });
        purchase.paid = true;
      }
      state.purchases.push(purchase);
      return undefined;
    }
    const purchase = r.pick(state.purchases);
    let res = await instance.http.get(`/v1/purchases/${purchase.id}`, token);
    const want = purchase.paid ? 'SUCCESS' : 'PENDING';
    // Reads ask DOKU at most once per interval: one that came while the last ask was lost to a
    // revoked token reads our record; past the interval the next read asks and must see the payment.
    if (purchase.paid && res.status === 200 && res.json?.status === 'PENDING') {
      await new Promise((resolve) => setTimeout(resolve, STATUS_INTERVAL_MS + 50));
      res = await instance.http.get(`/v1/purchases/${purchase.id}`, token);
    }
    return res.status === 200 && res.json?.status === want ? undefined : `${refusal(what, res)} (wanted ${want})`;
  }

  async function storedVersion(): Promise<number> {
    const rows = await db.query<Array<{ version: number }>>(`SELECT version FROM doku_b2b_tokens WHERE client_id = $1`, [
      env.t.config.doku.clientId,
    ]);
    return rows[0]?.version ?? 0;
  }
});

function refusal(what: string, res: RawResponse): string {
  return `${what}: ${res.status} ${res.text.slice(0, 200)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
