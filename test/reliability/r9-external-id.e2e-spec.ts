import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/load-config';
import { DokuClock } from '../../src/integrations/doku/snap/doku-clock';
import { ExchangeRecorderService } from '../../src/integrations/doku/snap/exchange-recorder.service';
import type { SignedInUser } from '../support/actors';
import { registerUser, serviceToken } from '../support/actors';
import { buildHarness, contractConfig, QueuedExternalIds, RecorderRegistry } from '../support/doku-contract-helpers';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv, UNCAPPED_EMONEY_LIMITS } from './support/env';
import type { Rng } from './support/harness';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { BatteryHttp } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R9 (docs/reliability.md): X-EXTERNAL-ID across two instances and across midnight in Jakarta time
 * (UTC+7) on a fake clock. Pass: 0 collisions, and a retry after midnight does not create a new debit.
 *
 * Two apps on one database, each with its own DI container (its own X-EXTERNAL-ID blocks, token
 * caches and DokuClock). The fake clock is DokuClock on both apps plus the simulator's clock,
 * always moved together by the same amount (X-TIMESTAMP must stay within DOKU's skew). Each
 * crossing first jumps to a minute before the next Jakarta midnight, sends money operations whose
 * answer is lost (`drop`: applied, socket destroyed; `error_after`: applied, then 5xx), then
 * crosses midnight in one of two ways:
 * - straddle: jump to a moment before midnight and let real time carry concurrent traffic from both
 *   instances through it;
 * - refusal: DOKU refuses a money call's first attempt with `401xx01` (`revoke_token`) and the clocks
 *   jump past midnight the instant the refusal is logged, so the client's resend (same body and
 *   business reference, new X-EXTERNAL-ID) is sent on the next Jakarta day.
 * Later that day (minutes to hours after midnight) every lost operation is retried by its caller with
 * the same Idempotency-Key on the other instance and read, which resolves it with a status query (new
 * X-EXTERNAL-ID, same reference).
 *
 * Ground truth: the simulator's request log names every X-EXTERNAL-ID it received and the Jakarta
 * day it judged it on; its ledger counts the debits and credits per business reference.
 */
const TEST = 'R9';
const CROSSINGS = sized(2, 6);
const LOST_PER_CROSSING = sized(2, 4);
const USERS = sized(4, 8);
const LANES = sized(6, 12);
const INSTANCES = 2;
const DAY_MS = 86_400_000;
const JAKARTA_OFFSET_MS = 7 * 3_600_000;
const BANK = { bankCode: '014', accountNumber: '8377388292' };
/** Longest a request may take from its X-EXTERNAL-ID being made to DOKU answering it. */
const IN_FLIGHT_MS = 5_000;

jest.setTimeout(sized(120_000, 420_000));

type LostKind = 'transfer-drop' | 'transfer-error_after' | 'topup-drop' | 'topup-error_after';
type CrossingKind = 'straddle' | 'refusal';

interface Instance {
  name: string;
  app: NestFastifyApplication;
  http: BatteryHttp;
}

interface SimCall {
  endpoint: string;
  externalId: string;
  /** The Jakarta day the simulator judged the id on, and its clock when it answered. */
  day: string;
  at: number;
  status: number;
  responseCode?: string;
}

interface MoneyOp {
  kind: string;
  crossing: number;
  reference: string;
  transactionId: string;
  user: SignedInUser;
  path: string;
  body: Record<string, unknown>;
  key: string;
  first: RawResponse;
  firstInstance: Instance;
}

/** Moves the clocks by `jumpMs` the instant DOKU refuses `endpoint` with `responseCode`. */
interface ClockJump {
  endpoint: string;
  responseCode: string;
  jumpMs: number;
  /** The X-EXTERNAL-ID of the refused attempt, once it happened. */
  refusedId?: string;
}

interface TrafficRecord {
  instance: string;
  startFake: number;
  endFake: number;
}

/** `YYYY-MM-DD` of the Jakarta day of an instant. */
const jakartaDay = (epochMs: number): string => new Date(epochMs + JAKARTA_OFFSET_MS).toISOString().slice(0, 10);
/** The first Jakarta midnight after an instant. */
const nextJakartaMidnight = (epochMs: number): number => Date.parse(`${jakartaDay(epochMs)}T00:00:00+07:00`) + DAY_MS;

describe('R9: X-EXTERNAL-ID across two instances and across Jakarta midnight', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  const instances: Instance[] = [];
  const users: SignedInUser[] = [];
  let service: string;
  /** Every API call the simulator logged (token calls carry no X-EXTERNAL-ID). */
  const simCalls: SimCall[] = [];
  let offsetMs = 0;
  let armed: ClockJump | undefined;
  const started = Date.now();

  const fakeNow = (): number => Date.now() + offsetMs;

  /** Moves DOKU's clock and both instances' DokuClock by the same amount. */
  function moveClocks(ms: number): void {
    offsetMs += ms;
    env.sim.control.advanceClock(ms);
  }

  beforeAll(async () => {
    env = await startReliabilityEnv({
      sim: { seed: `${RELIABILITY_SEED}:${TEST}` },
      onSimLog: (entry) => {
        if (typeof entry.externalId !== 'string') return;
        const call: SimCall = {
          endpoint: entry.endpoint as string,
          externalId: entry.externalId,
          day: entry.externalIdDay as string,
          at: Date.parse(entry.time as string),
          status: entry.status as number,
          responseCode: entry.responseCode as string | undefined,
        };
        simCalls.push(call);
        if (armed && call.endpoint === armed.endpoint && call.responseCode === armed.responseCode) {
          // Logged before the answer is written: the caller's resend is computed on the new clock.
          armed.refusedId = call.externalId;
          moveClocks(armed.jumpMs);
          armed = undefined;
        }
      },
    });
    db = env.t.app.get(DataSource);
    const second = await startSecondInstance(env);
    instances.push({ name: 'instance-1', app: env.t.app, http: env.http }, { name: 'instance-2', app: second.app, http: second.http });
    for (const i of instances) jest.spyOn(i.app.get(DokuClock), 'now').mockImplementation(() => new Date(Date.now() + offsetMs));
    for (let i = 0; i < USERS; i++) {
      const user = await registerUser(env.t);
      await createBoundWallet(env, user, { balance: 5_000_000 });
      users.push(user);
    }
    service = (await serviceToken(env.t, ['topups:write'])).token;
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    const second = instances[1];
    if (second) {
      await second.http.close();
      await second.app.close();
    }
    await env?.close();
  });

  it(`${CROSSINGS} Jakarta midnights, ${INSTANCES} instances, ${LOST_PER_CROSSING} lost answers resolved after each midnight`, async () => {
    const clientId = env.t.config.doku.clientId;
    const failures: string[] = [];
    const fired = new Tally();
    const traffic: TrafficRecord[] = [];
    const lost: MoneyOp[] = [];
    const refusals: Array<MoneyOp & { refusedId: string }> = [];
    const midnights: number[] = [];
    const crossingKinds = rng.shuffle(Array.from({ length: CROSSINGS }, (_, i): CrossingKind => (i % 2 === 0 ? 'straddle' : 'refusal')));
    const lostKinds = rng.shuffle(
      Array.from(
        { length: CROSSINGS * LOST_PER_CROSSING },
        (_, i): LostKind => (['transfer-drop', 'topup-error_after', 'topup-drop', 'transfer-error_after'] as const)[i % 4],
      ),
    );
    expect(Math.abs(env.sim.control.clock().epochMs - fakeNow())).toBeLessThan(1_000);

    for (const [c, kind] of crossingKinds.entries()) {
      const r = rng.fork(`crossing-${c}`);
      const midnight = nextJakartaMidnight(fakeNow());
      midnights.push(midnight);
      // A minute before midnight: traffic on both instances, then the operations whose answer is lost.
      moveClocks(midnight - 60_000 - fakeNow());
      await runTraffic(r.fork('before'), () => true, 1_000, traffic, failures);
      for (let j = 0; j < LOST_PER_CROSSING; j++) {
        const op = await lostAnswer(lostKinds[c * LOST_PER_CROSSING + j], c, r.fork(`lost-${j}`), fired, failures);
        if (op) lost.push(op);
      }
      if (fakeNow() >= midnight) failures.push(`crossing ${c}: the lost answers took until after midnight`);

      if (kind === 'straddle') {
        // Real time carries the traffic of both instances through midnight.
        moveClocks(midnight - r.int(1_500, 3_000) - fakeNow());
        await runTraffic(r.fork('straddle'), () => fakeNow() >= midnight + 1_500, 0, traffic, failures);
        fired.add('straddleCrossing');
      } else {
        const refusal = await refusedAcrossMidnight(c, midnight, r.fork('refusal'), failures);
        if (refusal) {
          refusals.push(refusal);
          fired.add('refusalCrossing');
        }
      }
      if (fakeNow() < midnight) failures.push(`crossing ${c}: still before midnight`);
      // Later that day: more traffic on both instances, far from midnight (no id in flight across it).
      moveClocks(r.int(10 * 60_000, 6 * 3_600_000));
      await runTraffic(r.fork('after'), () => true, 1_000, traffic, failures);

      // After midnight: each lost operation is retried by its caller on the other instance, then read.
      for (const op of lost.filter((o) => o.crossing === c)) await retryAfterMidnight(op, r, fired, failures);
    }

    for (const i of instances) await i.app.get(ExchangeRecorderService).flush();
    const exchanges = await db.query<Array<{ endpoint: string; external_id: string; partner_reference: string | null; attempt: number }>>(
      `SELECT endpoint, external_id, partner_reference, attempt FROM doku_exchanges WHERE external_id IS NOT NULL`,
    );

    // --- X-EXTERNAL-ID: 0 collisions per Jakarta day, and none at all (the sequence never resets).
    const perDay = new Tally();
    const anyDay = new Tally();
    for (const call of simCalls) {
      perDay.add(`${call.day}|${call.externalId}`);
      anyDay.add(call.externalId);
    }
    const apiCalls = simCalls.length;
    const collisions = Object.values(perDay.counts).filter((n) => n > 1).length;
    const repeats = Object.values(anyDay.counts).filter((n) => n > 1).length;
    // The simulator rejects a repeated id of the same day: 409 replay (same body) or 409xx00 (another body).
    const simRejections = simCalls.filter((call) => call.status === 409 || /^409\d\d00$/.test(call.responseCode ?? '')).length;
    const days = [...new Set(simCalls.map((call) => call.day))].sort();
    // Our date prefix is the Jakarta day the id was made on: DOKU's day, or the day before for an id
    // made just before midnight and received just after it (in flight for at most a few seconds).
    const dayOfPrefix = (id: string) => `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}`;
    const midnightOf = (day: string) => Date.parse(`${day}T00:00:00+07:00`);
    const prefixBehind = simCalls.filter((call) => dayOfPrefix(call.externalId) < call.day);
    const prefixWrong = simCalls.filter(
      (call) =>
        dayOfPrefix(call.externalId) !== call.day &&
        !(dayOfPrefix(call.externalId) === jakartaDay(midnightOf(call.day) - 1) && call.at - midnightOf(call.day) < IN_FLIGHT_MS),
    );
    const simIds = new Map(simCalls.map((call) => [call.externalId, call]));
    const recordedNotAtSim = exchanges.filter((e) => !simIds.has(e.external_id)).length;
    const recordedTwice = exchanges.length - new Set(exchanges.map((e) => e.external_id)).size;

    // --- Instances on both sides of each midnight, and (straddle) within seconds of it.
    const bothSides = (m: number, withinMs: number) => {
      const before = new Set(traffic.filter((t) => t.endFake < m && t.endFake >= m - withinMs).map((t) => t.instance));
      const after = new Set(traffic.filter((t) => t.startFake >= m && t.startFake < m + withinMs).map((t) => t.instance));
      return instances.filter((i) => before.has(i.name) && after.has(i.name)).length;
    };
    const sides = midnights.map((m) => bothSides(m, DAY_MS / 2));
    const straddled = midnights.filter((_, c) => crossingKinds[c] === 'straddle').map((m) => bothSides(m, IN_FLIGHT_MS));
    const idsNearMidnight = simCalls.filter((call) => midnights.some((m) => Math.abs(call.at - m) < 2_000)).length;

    // --- The money: one debit (or credit) per business reference; the attempt before midnight and
    // the resolution after it name the same reference with different X-EXTERNAL-IDs on different days.
    const ledger = env.sim.control.ledger({ clientId });
    const applied = new Tally();
    for (const e of ledger.entries) applied.add(`${e.kind}|${e.partnerReferenceNo}`);
    const dayOf = (id: string) => simIds.get(id)?.day;
    for (const op of lost) {
      const kind = op.kind.startsWith('transfer') ? 'TRANSFER_DEBIT' : 'TOPUP_CREDIT';
      const moneyEndpoint = op.kind.startsWith('transfer') ? 'transferBankPayment' : 'topUp';
      const queryEndpoint = op.kind.startsWith('transfer') ? 'transactionHistoryDetail' : 'queryTopUp';
      const mine = exchanges.filter((e) => e.partner_reference === op.reference);
      const sends = mine.filter((e) => e.endpoint === moneyEndpoint);
      const queries = mine.filter((e) => e.endpoint === queryEndpoint);
      const before = jakartaDay(midnights[op.crossing] - 1);
      const after = jakartaDay(midnights[op.crossing]);
      if (applied.get(`${kind}|${op.reference}`) !== 1)
        failures.push(`${op.kind} ${op.reference}: applied ${applied.get(`${kind}|${op.reference}`)} times at DOKU`);
      if (sends.length !== 1 || dayOf(sends[0].external_id) !== before)
        failures.push(`${op.kind} ${op.reference}: sent ${sends.length}x, on ${sends.map((s) => dayOf(s.external_id)).join(', ')}`);
      if (queries.length === 0 || queries.some((q) => dayOf(q.external_id) !== after))
        failures.push(`${op.kind} ${op.reference}: status queries on ${queries.map((q) => dayOf(q.external_id)).join(', ')}`);
      if (queries.some((q) => sends.some((s) => s.external_id === q.external_id)))
        failures.push(`${op.kind} ${op.reference}: a status query reused the send's X-EXTERNAL-ID`);
      else if (queries.length > 0 && sends.length === 1) fired.add('resolvedAfterMidnight');
    }
    for (const op of refusals) {
      const kind = op.kind.startsWith('transfer') ? 'TRANSFER_DEBIT' : 'TOPUP_CREDIT';
      const moneyEndpoint = op.kind.startsWith('transfer') ? 'transferBankPayment' : 'topUp';
      const sends = exchanges.filter((e) => e.partner_reference === op.reference && e.endpoint === moneyEndpoint);
      const refusedDay = dayOf(op.refusedId);
      const resentDays = sends.filter((s) => s.external_id !== op.refusedId).map((s) => dayOf(s.external_id));
      const before = jakartaDay(midnights[op.crossing] - 1);
      const after = jakartaDay(midnights[op.crossing]);
      if (applied.get(`${kind}|${op.reference}`) !== 1)
        failures.push(`refusal ${op.reference}: applied ${applied.get(`${kind}|${op.reference}`)} times at DOKU`);
      if (refusedDay !== before || resentDays.length === 0 || resentDays.some((d) => d !== after)) {
        failures.push(`refusal ${op.reference}: refused on ${refusedDay}, resent on ${resentDays.join(', ')}`);
      } else fired.add('resentAfterMidnight');
    }

    // The simulator's check is live, so "0 rejections" means something: an id already used today is
    // refused with 409, and the same id is accepted on the next Jakarta day (a probe client of our
    // own, with a forced X-EXTERNAL-ID; its calls come after the figures above).
    const reused = simCalls.filter((call) => call.day === jakartaDay(fakeNow())).at(-1)?.externalId ?? '0';
    const probe = buildHarness(new RecorderRegistry(), contractConfig(env.sim.url), {
      externalIds: new QueuedExternalIds([reused, reused]),
      options: { now: () => new Date(fakeNow()) },
    });
    const codeOf = (call: Promise<{ responseCode: string }>) =>
      call.then(
        (res) => res.responseCode,
        (e: { responseCode?: string }) => e.responseCode ?? 'none',
      );
    const probeQuery = () => probe.client.queryTopUp({ serviceCode: '38', originalPartnerReferenceNo: `R9-PROBE-${rng.hex(12)}` });
    const sameDayProbe = await codeOf(probeQuery());
    moveClocks(nextJakartaMidnight(fakeNow()) + 60_000 - fakeNow());
    const nextDayProbe = await codeOf(probeQuery());
    await probe.client.close();
    if (/^409\d\d00$/.test(sameDayProbe)) fired.add('duplicateRefusedSameDay');
    if (!/^409/.test(nextDayProbe) && nextDayProbe !== 'none') fired.add('sameIdAcceptedNextDay');

    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);
    const serverErrors = instances.reduce((sum, i) => sum + i.http.serverErrors, 0);
    const figures = {
      crossings: crossingKinds.length,
      instancesOnBothSides: Math.min(...sides),
      instancesThroughMidnight: Math.min(...straddled),
      ...fired.counts,
    };
    const minimum = {
      crossings: CROSSINGS,
      straddleCrossing: Math.ceil(CROSSINGS / 2),
      refusalCrossing: Math.floor(CROSSINGS / 2),
      instancesOnBothSides: INSTANCES,
      instancesThroughMidnight: INSTANCES,
      'lost:transfer-drop': 1,
      'lost:transfer-error_after': 1,
      'lost:topup-drop': 1,
      'lost:topup-error_after': 1,
      replayedAfterMidnight: CROSSINGS * LOST_PER_CROSSING,
      resolvedAfterMidnight: CROSSINGS * LOST_PER_CROSSING,
      resentAfterMidnight: Math.floor(CROSSINGS / 2),
      duplicateRefusedSameDay: 1,
      sameIdAcceptedNextDay: 1,
    };

    printFigures(TEST, {
      instances: INSTANCES,
      users: USERS,
      crossingKinds,
      days,
      apiCalls,
      distinctExternalIds: Object.keys(anyDay.counts).length,
      collisionsPerDay: collisions,
      repeatsAcrossDays: repeats,
      simRejections,
      idsWithin2sOfMidnight: idsNearMidnight,
      probe: { sameDay: sameDayProbe, nextDay: nextDayProbe },
      prefixBehindDay: prefixBehind.length,
      prefixWrong: prefixWrong.length,
      exchangesRecorded: exchanges.length,
      recordedNotAtSim,
      recordedTwice,
      trafficOps: traffic.length,
      faultsFired: figures,
      lostOperations: lost.length,
      refusals: refusals.length,
      debitsAndCredits: ledger.entries.filter((e) => e.kind !== 'ADMIN_SET').length,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      failures: failures.length,
      serverErrors,
      ms: Date.now() - started,
    });

    expect(failures.slice(0, 10)).toEqual([]);
    expect(belowMinimum(figures, minimum)).toEqual([]);
    expect({ collisions, repeats, simRejections, prefixWrong: prefixWrong.length, recordedNotAtSim, recordedTwice }).toEqual({
      collisions: 0,
      repeats: 0,
      simRejections: 0,
      prefixWrong: 0,
      recordedNotAtSim: 0,
      recordedTwice: 0,
    });
    expect(days.length).toBeGreaterThanOrEqual(CROSSINGS + 1);
    // The two clocks were only ever moved together.
    expect(env.sim.control.clock().offsetMs).toBe(offsetMs);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(recon.unresolved).toBe(0);
    expect(invariants).toEqual([]);
    expect(serverErrors).toBe(0);
  });

  /**
   * Concurrent traffic (balance reads, transfer and top-up inquiries, transfers that debit at once)
   * for at least `minMs` of real time and until `done()`. The first lanes are pinned one per
   * instance, so both instances are busy throughout.
   */
  async function runTraffic(r: Rng, done: () => boolean, minMs: number, out: TrafficRecord[], failures: string[]): Promise<void> {
    const startedAt = Date.now();
    const hardStop = startedAt + Math.max(minMs, 30_000);
    const more = () => (Date.now() - startedAt < minMs || !done()) && Date.now() < hardStop;
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const lr = r.fork(`lane-${lane}`);
        while (more()) {
          const instance = lane < INSTANCES ? instances[lane] : lr.pick(instances);
          const user = lr.pick(users);
          const startFake = fakeNow();
          const problem = await trafficOp(lr, instance, user).catch((e: Error) => e.message);
          out.push({ instance: instance.name, startFake, endFake: fakeNow() });
          if (problem) failures.push(`${instance.name} ${problem}`);
        }
      }),
    );
  }

  async function trafficOp(r: Rng, instance: Instance, user: SignedInUser): Promise<string | undefined> {
    const roll = r.next();
    if (roll < 0.35) {
      const res = await instance.http.get('/v1/wallet/balance', user.accessToken);
      return res.status === 200 ? undefined : refusal('balance', res);
    }
    if (roll < 0.55) {
      const res = await instance.http.post(`/v1/users/${user.id}/top-ups/inquiries`, { amount: r.int(10_000, 50_000) }, service);
      return res.status === 201 ? undefined : refusal('top-up inquiry', res);
    }
    const inquiry = await instance.http.post('/v1/bank-transfers/inquiries', { ...BANK, amount: r.int(10_000, 30_000) }, user.accessToken);
    if (inquiry.status !== 201) return refusal('transfer inquiry', inquiry);
    if (roll < 0.75) return undefined;
    const res = await instance.http.post(
      '/v1/bank-transfers',
      { inquiryId: inquiry.json.inquiryId },
      user.accessToken,
      `r9-t-${r.hex(16)}`,
    );
    return res.status === 201 && res.json?.status === 'SUCCESS' ? undefined : refusal('transfer', res);
  }

  /** An inquiry, then the money call on a seeded instance; returns the POST's path, body and key. */
  async function prepareMoney(
    kind: string,
    r: Rng,
    instance: Instance,
    user: SignedInUser,
  ): Promise<{ path: string; body: Record<string, unknown>; token: string } | string> {
    if (kind.startsWith('transfer')) {
      const inquiry = await instance.http.post(
        '/v1/bank-transfers/inquiries',
        { ...BANK, amount: r.int(10_000, 90_000) },
        user.accessToken,
      );
      if (inquiry.status !== 201) return refusal('transfer inquiry', inquiry);
      return { path: '/v1/bank-transfers', body: { inquiryId: inquiry.json.inquiryId }, token: user.accessToken };
    }
    const inquiry = await instance.http.post(`/v1/users/${user.id}/top-ups/inquiries`, { amount: r.int(10_000, 90_000) }, service);
    if (inquiry.status !== 201) return refusal('top-up inquiry', inquiry);
    return { path: `/v1/users/${user.id}/top-ups`, body: { inquiryId: inquiry.json.inquiryId }, token: service };
  }

  /** A money operation whose answer DOKU loses after applying it; the caller sees 202 UNKNOWN. */
  async function lostAnswer(kind: LostKind, crossing: number, r: Rng, fired: Tally, failures: string[]): Promise<MoneyOp | undefined> {
    const instance = r.pick(instances);
    const user = r.pick(users);
    const prepared = await prepareMoney(kind, r, instance, user);
    if (typeof prepared === 'string') {
      failures.push(prepared);
      return undefined;
    }
    const endpoint = kind.startsWith('transfer') ? 'transferBankPayment' : 'topUp';
    const type = kind.endsWith('drop') ? 'drop' : 'error_after';
    const id = `lost-${crossing}-${kind}`;
    env.sim.control.setFaults([{ id, endpoint, type, times: 1 }], `${RELIABILITY_SEED}:${TEST}:${id}`);
    const key = `r9-lost-${crossing}-${r.hex(16)}`;
    const first = await instance.http.post(prepared.path, prepared.body, prepared.token, key);
    const firedNow = env.sim.control.listFaults().rules.find((rule) => rule.id === id)?.fired ?? 0;
    env.sim.control.clearFaults();
    if (firedNow > 0) fired.add(`lost:${kind}`);
    if (first.status !== 202 || first.json?.status !== 'UNKNOWN') {
      failures.push(`${kind}: first answer ${first.status} ${first.text.slice(0, 200)}`);
      return undefined;
    }
    return {
      kind,
      crossing,
      reference: first.json.partnerReferenceNo,
      transactionId: first.json.id,
      user,
      path: prepared.path,
      body: prepared.body,
      key,
      first,
      firstInstance: instance,
    };
  }

  /** The caller retries with the same key on the other instance (the stored answer, no DOKU call), then reads it. */
  async function retryAfterMidnight(op: MoneyOp, r: Rng, fired: Tally, failures: string[]): Promise<void> {
    const other = instances.find((i) => i !== op.firstInstance) as Instance;
    const token = op.kind.startsWith('transfer') ? op.user.accessToken : service;
    const sendsBefore = env.simCalls.get('transferBankPayment') + env.simCalls.get('topUp');
    const again = await other.http.post(op.path, op.body, token, op.key);
    const sendsAfter = env.simCalls.get('transferBankPayment') + env.simCalls.get('topUp');
    if (
      again.status !== op.first.status ||
      again.headers['idempotent-replayed'] !== 'true' ||
      again.json?.id !== op.transactionId ||
      sendsAfter !== sendsBefore
    ) {
      failures.push(
        `${op.kind} ${op.reference}: retry answered ${again.status} ${again.text.slice(0, 200)} (replayed=${again.headers['idempotent-replayed']}, money calls ${sendsAfter - sendsBefore})`,
      );
    } else fired.add('replayedAfterMidnight');
    const readPath = op.kind.startsWith('transfer') ? `/v1/bank-transfers/${op.transactionId}` : `${op.path}/${op.transactionId}`;
    const read = await r.pick(instances).http.get(readPath, token);
    if (read.status !== 200 || read.json?.status !== 'SUCCESS' || read.json?.partnerReferenceNo !== op.reference) {
      failures.push(`${op.kind} ${op.reference}: read after midnight ${read.status} ${read.text.slice(0, 200)}`);
    }
  }

  /** A money call refused with 401xx01 before midnight; the clocks cross midnight before the client resends it. */
  async function refusedAcrossMidnight(
    crossing: number,
    midnight: number,
    r: Rng,
    failures: string[],
  ): Promise<(MoneyOp & { refusedId: string }) | undefined> {
    const kind = r.pick(['transfer', 'topup']);
    const instance = r.pick(instances);
    const user = r.pick(users);
    const prepared = await prepareMoney(kind, r, instance, user);
    if (typeof prepared === 'string') {
      failures.push(prepared);
      return undefined;
    }
    const endpoint = kind === 'transfer' ? 'transferBankPayment' : 'topUp';
    const svc = kind === 'transfer' ? '43' : '38';
    const arm: ClockJump = { endpoint, responseCode: `401${svc}01`, jumpMs: midnight + r.int(1_000, 30_000) - fakeNow() };
    armed = arm;
    env.sim.control.setFaults(
      [{ id: `refuse-${crossing}`, endpoint, type: 'revoke_token', times: 1 }],
      `${RELIABILITY_SEED}:${TEST}:refuse-${crossing}`,
    );
    const key = `r9-refused-${crossing}-${r.hex(16)}`;
    const res = await instance.http.post(prepared.path, prepared.body, prepared.token, key);
    env.sim.control.clearFaults();
    armed = undefined;
    if (res.status !== 201 || res.json?.status !== 'SUCCESS' || !arm.refusedId) {
      failures.push(`refusal ${kind}: ${res.status} ${res.text.slice(0, 200)} (refused: ${arm.refusedId ?? 'never'})`);
      return undefined;
    }
    return {
      kind,
      crossing,
      reference: res.json.partnerReferenceNo,
      transactionId: res.json.id,
      user,
      path: prepared.path,
      body: prepared.body,
      key,
      first: res,
      firstInstance: instance,
      refusedId: arm.refusedId,
    };
  }
});

/** The second instance: its own Nest application (own DI container and caches) on the same database. */
async function startSecondInstance(env: ReliabilityEnv): Promise<{ app: NestFastifyApplication; http: BatteryHttp }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_SENSITIVE_PER_MINUTE: '1000000',
    ...UNCAPPED_EMONEY_LIMITS,
    SIMULATOR_AUTOSTART: 'false',
    DOKU_BASE_URL: env.sim.url,
    PUBLIC_BASE_URL: env.t.url,
  });
  const app = await createApp(config, env.t.databaseUrl, { runMigrations: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, http: new BatteryHttp(`http://127.0.0.1:${port}`) };
}

function refusal(what: string, res: RawResponse): string {
  return `${what}: ${res.status} ${res.text.slice(0, 200)}`;
}
