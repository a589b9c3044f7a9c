import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { SignedInUser } from '../support/actors';
import { registerUser } from '../support/actors';
import type { BackendProcess } from '../support/backend-process';
import { startBackendProcess } from '../support/backend-process';
import { createBoundWallet } from '../support/wallet-fixtures';
import {
  DokuNotificationSender,
  NotificationSink,
  notificationExternalId,
  notificationsSettled,
  percentile,
} from './support/doku-notifications';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv, UNCAPPED_EMONEY_LIMITS } from './support/env';
import { announce, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import { BatteryHttp } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R12 (docs/reliability.md): notification intake at a few hundred per second with 10 % duplicates.
 * Pass: acknowledgement p99 small and stable, 0 lost, duplicates change nothing.
 *
 * The notifications are real: the test creates purchases through the app, the user pays (or is
 * declined) at the simulator, and the simulator's notifier hands each notification to a sink the
 * test holds. The test then plays them to the backend — running as its own process, like
 * production — on a fixed schedule (open loop: a send never waits for an earlier answer), signed
 * as DOKU signs them: each purchase's notification once, a share of them again as DOKU's retry
 * (same body, new X-EXTERNAL-ID: a distinct delivery), and 10 % of all sends as exact replays of an
 * earlier send (duplicates). Latency is measured from the scheduled send time, so a generator that
 * falls behind counts against the figures rather than hiding a slow server.
 */
const TEST = 'R12';
const RATE = sized(200, 300); // notifications per second
const SECONDS = sized(3, 30); // the measured run
const WINDOWS = sized(3, 6); // p50 / p99 printed, and compared, per window of the measured run
/**
 * The same rate before the measured run, outside the windows: a freshly started backend (and the
 * sender) compiles its hot paths in the first seconds. At 1.5 s the first measured window still
 * caught that (sender up to 130 ms late, window p99 200-310 ms, the later windows 40-80 ms); from
 * 3 s on it is steady (three runs: p99 43-57 ms, sender at most 19 ms late).
 */
const WARMUP_SECONDS = 3;
const DUPLICATE_SHARE = 0.1;
const RETRY_SHARE = 0.5; // of the purchases, also delivered a second time as DOKU's retry
const ASYMMETRIC_SHARE = 0.2;
const DECLINED_SHARE = 0.1;
const USERS = sized(6, 12);
const CONNECTIONS = 64; // DOKU's connections to us, kept open (a new connection per notification is not what DOKU does)

/**
 * "Small": the acknowledgement p99 of the measured run. An acknowledgement is verify + store +
 * answer (processing comes after it). The bound is what must hold on a shared 2-core machine:
 * far below the time after which DOKU gives up on a delivery and retries it (seconds; the
 * simulator's notifier waits 5 s), so a burst never turns into DOKU's retries. The tight latency
 * target on a quiet machine is the performance battery's (P5: p99 <= 20 ms at 500/s).
 */
const P99_LIMIT_MS = 250;
/**
 * "Stable": every later window's p99 at most STABLE_FACTOR x the first window's p99 + STABLE_SLACK_MS.
 * What this catches is a backlog: when intake (or processing competing with it) is slower than the
 * arrival rate, requests queue and each window waits longer than the one before: a deficit of 10 %
 * at 200/s queues 20 more requests every second, about 100 ms more wait per second, far above the
 * bound within a few windows (an overloaded intake measured here went 1.3 s, 2.1 s, 2.5 s, 3.1 s). What it
 * tolerates is noise: with a few hundred sends per window the p99 is one of the slowest few, so a
 * GC pause or a neighbour's burst on the shared machine can move one window by up to about 100 ms,
 * which the slack absorbs; the factor covers a first window whose p99 is already several times
 * the median.
 */
const STABLE_FACTOR = 3;
const STABLE_SLACK_MS = 100;

jest.setTimeout(sized(150_000, 900_000));

interface Send {
  /** Milliseconds after the start of the schedule. */
  at: number;
  body: string;
  headers: Record<string, string>;
  kind: 'first' | 'retry' | 'duplicate';
  warmup: boolean;
}

interface Answer {
  latencyMs: number;
  lateMs: number;
  startedAt: number;
  ok: boolean;
  status: number;
}

describe('R12: notification intake at a fixed rate with duplicates', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  let sink: NotificationSink;
  let backend: BackendProcess;
  let http: BatteryHttp;

  beforeAll(async () => {
    // The in-process app only sets up users and purchases. It must not also take over stored
    // notifications (its sweep would, once the backend's queue is full): that would process them in
    // the process that sends the load and measures the acknowledgements.
    env = await startReliabilityEnv({ sim: { seed: `${RELIABILITY_SEED}:${TEST}` }, env: { NOTIFICATION_SWEEP_INTERVAL_MS: '3600000' } });
    db = env.t.app.get(DataSource);
    sink = await NotificationSink.start();
    env.sim.control.setNotification(env.t.config.doku.clientId, { enabled: true, baseUrl: sink.url, timeScale: 0.001 });
    // The intake under load is a backend of its own, on the same database and simulator.
    backend = await startBackendProcess(env.t.databaseUrl, { ...UNCAPPED_EMONEY_LIMITS, DOKU_BASE_URL: env.sim.url });
    http = new BatteryHttp(backend.url, CONNECTIONS);
  });
  afterAll(async () => {
    await http?.close();
    await backend?.stop();
    await env?.close();
    await sink?.close();
  });

  it(`${RATE}/s for ${SECONDS} s, ${DUPLICATE_SHARE * 100} % duplicates: every notification stored and processed once, p99 small and stable`, async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const problems: string[] = [];
    const { clientId, clientSecret, notificationPath } = env.t.config.doku;

    // The schedule's size decides how many real purchases are needed.
    const total = Math.round(RATE * (SECONDS + WARMUP_SECONDS));
    const duplicates = Math.round(total * DUPLICATE_SHARE);
    const distinct = total - duplicates;
    const purchasesNeeded = Math.ceil(distinct / (1 + RETRY_SHARE));

    // Users, purchases through the app, then each paid or declined at DOKU.
    const setupStart = Date.now();
    const users: SignedInUser[] = [];
    for (let i = 0; i < USERS; i++) {
      const u = await registerUser(env.t);
      await createBoundWallet(env, u, { balance: 200_000_000 });
      users.push(u);
    }
    const r = rng.fork('purchases');
    const plans = Array.from({ length: purchasesNeeded }, (_, i) => ({
      i,
      user: r.pick(users),
      amount: r.int(1_000, 20_000),
      key: `r12-${i}-${r.hex(16)}`,
      declined: r.next() < DECLINED_SHARE,
    }));
    const ids = await mapLimit(plans, 16, async (p) => {
      const res = await env.http.post('/v1/purchases', { amount: p.amount, description: `R12 order ${p.i}` }, p.user.accessToken, p.key);
      if (res.status !== 201) throw new Error(`purchase ${p.i}: ${res.status} ${res.text.slice(0, 200)}`);
      return res.json.id as string;
    });
    const refRows = await db.query<
      Array<{
        id: string;
        partner_reference_no: string;
      }>
    >(`SELECT id, partner_reference_no FROM transactions WHERE id = ANY($1::uuid[])`, [ids]);
    const refOf = new Map(refRows.map((x) => [x.id, x.partner_reference_no]));
    const refs = ids.map((id) => refOf.get(id)!);
    // Paid in batches, so the simulator's notifier is not asked to open thousands of connections at once.
    // It may deliver one twice (its retry after a slow answer): one body per purchase is all that is needed.
    const bodyOf = new Map<string, string>();
    for (let from = 0; from < plans.length; from += 200) {
      const batch = plans.slice(from, from + 200);
      for (const p of batch) env.sim.control.pay({ partnerReferenceNo: refs[p.i], ...(p.declined ? { outcome: 'fail' as const } : {}) });
      const deadline = Date.now() + 30_000;
      for (;;) {
        for (const d of sink.deliveries) bodyOf.set(d.partnerReferenceNo, d.body);
        if (batch.every((p) => bodyOf.has(refs[p.i]))) break;
        if (Date.now() > deadline)
          throw new Error(
            `the simulator sent notifications for ${refs.filter((ref) => bodyOf.has(ref)).length} of ${refs.length} purchases`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const setupMs = Date.now() - setupStart;

    // The schedule: one send every 1000/RATE ms. Each purchase's notification once, some again as
    // DOKU's retry (later, new X-EXTERNAL-ID), and duplicates that replay an earlier send exactly.
    const s = rng.fork('schedule');
    const sender = new DokuNotificationSender(http, { clientId, clientSecret, notifyPath: notificationPath });
    const token = await sender.token();
    const kinds: Array<Send['kind']> = s.shuffle([
      ...Array<Send['kind']>(refs.length).fill('first'),
      ...Array<Send['kind']>(distinct - refs.length).fill('retry'),
      ...Array<Send['kind']>(duplicates).fill('duplicate'),
    ]);
    // The schedule opens with a first delivery, so every retry and duplicate has one to follow and
    // each kind is sent exactly as often as planned.
    const opening = kinds.indexOf('first');
    [kinds[0], kinds[opening]] = [kinds[opening], kinds[0]];
    const order = s.shuffle(refs);
    const firstSent: string[] = []; // refs already delivered once, for retries
    const sends: Send[] = [];
    const signStart = Date.now();
    for (let i = 0; i < total; i++) {
      let kind = kinds[i];
      // A retry or duplicate needs an earlier delivery: the first ones come first when none exists yet.
      if (kind === 'retry' && firstSent.length === 0) kind = 'first';
      if (kind === 'duplicate' && sends.length === 0) kind = 'first';
      if (kind === 'first' && order.length === 0) kind = 'retry';
      const at = (i * 1000) / RATE;
      const warmup = at < WARMUP_SECONDS * 1000;
      if (kind === 'duplicate') {
        const original = sends[s.int(Math.max(0, sends.length - 2 * RATE), sends.length - 1)];
        sends.push({ at, body: original.body, headers: original.headers, kind, warmup });
      } else {
        const ref = kind === 'first' ? order.pop()! : s.pick(firstSent);
        if (kind === 'first') firstSent.push(ref);
        const body = bodyOf.get(ref)!;
        const form = s.next() < ASYMMETRIC_SHARE ? 'asymmetric' : 'symmetric';
        sends.push({ at, body, headers: sender.sign(body, { token, form, externalId: notificationExternalId(s) }), kind, warmup });
      }
      tally.add(kind);
    }
    const signMs = Date.now() - signStart;
    if (order.length > 0) throw new Error(`${order.length} purchases left without a notification`);
    const distinctExternalIds = new Set(sends.filter((x) => x.kind !== 'duplicate').map((x) => x.headers['x-external-id']));

    // Open loop: every send leaves at its scheduled time, whatever happened to the ones before it.
    // The warm-up (a freshly started process: cold code, cold connections) is played first and
    // answered in full; the measured run then starts from an empty queue, so what it measures is
    // the steady state at RATE. A backlog that builds during the measured run still shows, in the
    // p99 and in the windows.
    const queriesBefore = env.simCalls.get('queryPurchase');
    const answers: Answer[] = new Array(sends.length);
    const inFlight: Array<Promise<void>> = [];
    const play = (from: number, to: number): Promise<void> => {
      const base = sends[from].at;
      const start = performance.now() + 20;
      let next = from;
      return new Promise<void>((resolve) => {
        const tick = () => {
          const now = performance.now();
          while (next < to && start + sends[next].at - base <= now) {
            const i = next++;
            const send = sends[i];
            const scheduled = start + send.at - base;
            const startedAt = performance.now();
            inFlight.push(
              sender.send(send.body, send.headers).then(
                (res) => {
                  const ok = res.status === 200 && res.json?.responseCode === '2005600';
                  answers[i] = {
                    latencyMs: performance.now() - scheduled,
                    lateMs: startedAt - scheduled,
                    startedAt,
                    ok,
                    status: res.status,
                  };
                },
                () => {
                  answers[i] = { latencyMs: performance.now() - scheduled, lateMs: startedAt - scheduled, startedAt, ok: false, status: 0 };
                },
              ),
            );
          }
          if (next < to) setTimeout(tick, Math.max(0, Math.min(4, start + sends[next].at - base - performance.now())));
          else resolve();
        };
        tick();
      });
    };
    const firstMeasured = sends.findIndex((x) => !x.warmup);
    await play(0, firstMeasured);
    await Promise.all(inFlight);
    await play(firstMeasured, sends.length);
    await Promise.all(inFlight);
    const runEnd = performance.now();
    // Processing (Query Purchase, then the state change) happens after the acknowledgement: let it finish.
    const stored = await notificationsSettled(db, {}, sized(60_000, 600_000));
    const drainMs = Math.round(performance.now() - runEnd);

    // Acknowledgements, overall and per window of the measured run.
    const measured = answers.filter((_, i) => !sends[i].warmup);
    const windowMs = (SECONDS * 1000) / WINDOWS;
    const windows = Array.from({ length: WINDOWS }, (_, w) => {
      const inWindow = answers
        .filter((_, i) => !sends[i].warmup && Math.floor((sends[i].at - WARMUP_SECONDS * 1000) / windowMs) === w)
        .map((a) => a.latencyMs)
        .sort((a, b) => a - b);
      const max = round(inWindow[inWindow.length - 1] ?? NaN);
      return { window: w + 1, sends: inWindow.length, p50: round(percentile(inWindow, 50)), p99: round(percentile(inWindow, 99)), max };
    });
    const all = measured.map((a) => a.latencyMs).sort((a, b) => a - b);
    const p50 = round(percentile(all, 50));
    const p99 = round(percentile(all, 99));
    const first = windows[0];
    const stableLimit = round(first.p99 * STABLE_FACTOR + STABLE_SLACK_MS);
    const unstable = windows.slice(1).filter((w) => w.p99 > stableLimit);
    const lateMax = round(Math.max(...measured.map((a) => a.lateMs)));
    const measuredStarts = measured.map((a) => a.startedAt);
    const achievedRate = round(((measured.length - 1) * 1000) / (Math.max(...measuredStarts) - Math.min(...measuredStarts)));
    const notAcked = answers.filter((a) => !a.ok);

    // 0 lost: every distinct delivery stored exactly once, processed, and settled from DOKU's truth.
    const rows = await db.query<
      Array<{
        external_id: string;
        partner_reference_no: string;
        process_result: string | null;
      }>
    >(`SELECT external_id, partner_reference_no, process_result FROM doku_notifications`);
    const perExternalId = new Tally();
    for (const row of rows) perExternalId.add(row.external_id);
    const missing = [...distinctExternalIds].filter((id) => perExternalId.get(id) === 0).length;
    const storedTwice = [...distinctExternalIds].filter((id) => perExternalId.get(id) > 1).length;
    const strangers = rows.filter((row) => !distinctExternalIds.has(row.external_id)).length;
    const declined = new Set(plans.filter((p) => p.declined).map((p) => refs[p.i]));
    // Confirmed by Query Purchase, or (a retry processed after the purchase was settled) closed as a
    // repeat of the settled status without asking DOKU again.
    const settledAs = (ref: string) => (declined.has(ref) ? 'FAILED' : 'SUCCESS');
    const confirmed = (row: { partner_reference_no: string; process_result: string | null }) =>
      row.process_result === `confirmed by Query Purchase: ${settledAs(row.partner_reference_no)}`;
    const repeated = (row: { partner_reference_no: string; process_result: string | null }) =>
      row.process_result === `already ${settledAs(row.partner_reference_no)}: DOKU not asked again`;
    const wrongResult = rows.filter((row) => !confirmed(row) && !repeated(row)).length;
    const repeats = rows.filter(repeated).length;
    // One Query Purchase per delivery confirmed with DOKU: a duplicate is answered from the stored row
    // and never processed, and a repeat of a settled status asks nothing.
    const dokuQueries = env.simCalls.get('queryPurchase') - queriesBefore;
    const confirmedDeliveries = rows.filter(confirmed).length;

    // Duplicates change nothing: each purchase moved once (PENDING -> SUCCESS or FAILED), one event and one outbox row per move.
    const moves = await db.query<Array<{ id: string; status: string; events: number; outbox: number }>>(
      `SELECT t.id, t.status,
              (SELECT COUNT(*)::int FROM transaction_events e WHERE e.transaction_id = t.id) AS events,
              (SELECT COUNT(*)::int FROM outbox_events o WHERE o.aggregate_type = 'transaction' AND o.aggregate_id = t.id::text) AS outbox
         FROM transactions t WHERE t.id = ANY($1::uuid[])`,
      [ids],
    );
    const wrongMoves = moves.filter((m) => m.events !== 2 || m.outbox !== 2);
    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);

    const fired = { ...tally.counts, declined: declined.size };
    const minimum = { first: refs.length, retry: 1, duplicate: Math.floor(total * DUPLICATE_SHARE), declined: 1 };
    printFigures(TEST, {
      rate: RATE,
      seconds: SECONDS,
      sends: total,
      distinct: distinctExternalIds.size,
      purchases: refs.length,
      fired,
      achievedRate,
      lateMaxMs: lateMax,
      ackP50Ms: p50,
      ackP99Ms: p99,
      windows,
      stableLimitMs: stableLimit,
      notAcked: notAcked.length,
      stored,
      missing,
      storedTwice,
      strangers,
      wrongResult,
      dokuQueries,
      repeats,
      wrongMoves: wrongMoves.length,
      drainMs,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      setupMs,
      signMs,
      ms: Date.now() - t0,
    });
    if (notAcked.length > 0) problems.push(`not acknowledged: ${JSON.stringify(notAcked.slice(0, 3))}`);
    if (wrongMoves.length > 0) problems.push(`moves: ${JSON.stringify(wrongMoves.slice(0, 3))}`);

    expect(problems).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
    // The load really was the rate asked for (the generator kept up with its schedule).
    expect(achievedRate).toBeGreaterThanOrEqual(RATE * 0.95);
    expect({ missing, storedTwice, strangers, wrongResult, stored }).toEqual({
      missing: 0,
      storedTwice: 0,
      strangers: 0,
      wrongResult: 0,
      stored: distinctExternalIds.size,
    });
    expect(dokuQueries).toBe(confirmedDeliveries);
    expect(confirmedDeliveries + repeats).toBe(distinctExternalIds.size);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(recon.unresolved).toBe(0);
    expect(recon.match).toBe(refs.length);
    expect(invariants).toEqual([]);
    expect(p99).toBeLessThanOrEqual(P99_LIMIT_MS);
    expect(unstable).toEqual([]);
  });
});

const round = (ms: number): number => Math.round(ms * 10) / 10;
