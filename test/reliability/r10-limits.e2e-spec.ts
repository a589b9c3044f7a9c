import { DataSource } from 'typeorm';
import { WebhooksService } from '../../src/webhooks/webhooks.service';
import type { SignedInUser } from '../support/actors';
import { registerUser, serviceToken } from '../support/actors';
import type { RouteInfo } from '../support/routes';
import { listRoutes } from '../support/routes';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { OpenApiDoc } from './support/bad-input';
import { openApiPath } from './support/bad-input';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import { announce, Barrier, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { isStableErrorBody } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R10 (docs/reliability.md): limits.
 * - Bursts past the per-address rate limits (ordinary and sensitive routes): 429 with Retry-After
 *   and the stable error body; a refused request never reaches DOKU.
 * - OTP floods (registration starts, resends, many accounts naming one phone, binding, unbinding):
 *   the OTPs DOKU is asked to send are capped per user and per phone in a window, counted at the
 *   simulator; the rest are 429 OTP.TOO_MANY_REQUESTS with Retry-After.
 * - Page size 10,000 on every list route that takes a page size: clamped (proven on a list longer
 *   than the clamp) or rejected with 400, and a rejected request makes no DOKU call.
 * - DOKU latency past our timeout on every money operation: 202 with status UNKNOWN (never 5xx),
 *   the row UNKNOWN until a status query resolves it, no second DOKU call; then reconciled.
 */
const TEST = 'R10';

const RATE_LIMIT = sized(20, 100); // RATE_LIMIT_PER_MINUTE of the rate-limit app
const SENSITIVE_LIMIT = sized(5, 10); // RATE_LIMIT_SENSITIVE_PER_MINUTE of the rate-limit app
const OTP_LIMIT = 3; // OTP_SEND_LIMIT of the limits app
const OTP_WINDOW_SECONDS = 600; // OTP_SEND_WINDOW_SECONDS of the limits app
const FLOOD = sized(20, 100); // concurrent requests of one OTP flood
const PHONE_FLOODERS = sized(8, 30); // accounts naming the same phone
const DOKU_TIMEOUT_MS = 1_500;
const LATENCY_MS = 3_500; // DOKU's answer comes this late: past our timeout
const MONEY_OPS = sized(2, 8); // per kind: purchase, bank transfer, top-up, refund

jest.setTimeout(sized(150_000, 900_000));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryAfterOf = (r: RawResponse) => (/^\d+$/.test(r.headers['retry-after'] ?? '') ? Number(r.headers['retry-after']) : NaN);

describe('R10: limits', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  const started = Date.now();

  describe('rate limits', () => {
    let env: ReliabilityEnv;
    let user: SignedInUser;

    beforeAll(async () => {
      env = await startReliabilityEnv({
        sim: { seed: `${RELIABILITY_SEED}:${TEST}:rate` },
        env: { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), RATE_LIMIT_SENSITIVE_PER_MINUTE: String(SENSITIVE_LIMIT) },
        connections: 256,
      });
      user = await registerUser(env.t);
      await createBoundWallet(env, user);
      // The setup signed in once; the sensitive routes count in PostgreSQL, so forget that sign-in
      // and every burst below starts from zero.
      await env.t.app.get(DataSource).query('DELETE FROM rate_limit_counters');
    });
    afterAll(async () => {
      await env?.close();
    });

    it(`bursts past ${RATE_LIMIT}/min (ordinary) and ${SENSITIVE_LIMIT}/min (sensitive) get 429 with Retry-After; refused requests never reach DOKU`, async () => {
      const t0 = Date.now();
      const tally = new Tally();
      const problems: string[] = [];
      const http5xxBefore = env.http.serverErrors;
      // Routes the setup did not call, so each one's counter starts at zero in this minute.
      const targets: Array<{ name: string; limit: number; send: () => Promise<RawResponse>; admitted: number; dokuEndpoint?: string }> = [
        { name: 'GET /v1/me', limit: RATE_LIMIT, admitted: 200, send: () => env.http.get('/v1/me', user.accessToken) },
        {
          name: 'GET /v1/wallet/balance',
          limit: RATE_LIMIT,
          admitted: 200,
          dokuEndpoint: 'balanceInquiry',
          send: () => env.http.get('/v1/wallet/balance', user.accessToken),
        },
        {
          name: 'POST /v1/auth/login',
          limit: SENSITIVE_LIMIT,
          admitted: 401,
          // A credential-stuffing burst: one address, many accounts (one account would meet its
          // own lockout, tested elsewhere).
          send: () => env.http.post('/v1/auth/login', { email: `nobody-${rng.hex(8)}@example.com`, password: `wrong-${rng.hex(8)}` }),
        },
        {
          name: 'POST /v1/oauth/token',
          limit: SENSITIVE_LIMIT,
          admitted: 401,
          send: () =>
            env.http.send('POST', '/v1/oauth/token', {
              body: `grant_type=client_credentials&client_id=nobody-${rng.hex(6)}&client_secret=${rng.hex(24)}`,
              contentType: 'application/x-www-form-urlencoded',
            }),
        },
      ];
      const perRoute: Record<string, Record<string, number>> = {};
      for (const target of rng.shuffle(targets)) {
        const burst = target.limit + rng.int(Math.ceil(target.limit / 2), target.limit * 2);
        const dokuBefore = target.dokuEndpoint ? env.simCalls.get(target.dokuEndpoint) : 0;
        const barrier = new Barrier(burst);
        const answers = await Promise.all(
          Array.from({ length: burst }, async () => {
            await barrier.arrive();
            return target.send();
          }),
        );
        const admitted = answers.filter((r) => r.status === target.admitted).length;
        const refused = answers.filter((r) => r.status === 429);
        tally.add('burstRequests', burst);
        tally.add('rateLimited429', refused.length);
        for (const r of answers) {
          if (r.status !== target.admitted && r.status !== 429)
            problems.push(`${target.name}: answered ${r.status} ${r.text.slice(0, 200)}`);
        }
        for (const r of refused) {
          const after = retryAfterOf(r);
          if (!(after >= 1 && after <= 60)) problems.push(`${target.name}: 429 with Retry-After ${r.headers['retry-after']}`);
          // The OAuth2 token endpoint answers in RFC 6749's error format; every other route in the API's.
          const limitedBody =
            target.name === 'POST /v1/oauth/token'
              ? (r.json as { error?: unknown } | undefined)?.error === 'temporarily_unavailable'
              : isStableErrorBody(r.json) && r.json.error.code === 'REQUEST.RATE_LIMITED';
          if (!limitedBody) problems.push(`${target.name}: 429 body ${r.text.slice(0, 200)}`);
        }
        if (admitted !== target.limit) problems.push(`${target.name}: ${admitted} of ${burst} admitted, limit ${target.limit}`);
        const dokuCalls = target.dokuEndpoint ? env.simCalls.get(target.dokuEndpoint) - dokuBefore : 0;
        if (target.dokuEndpoint && dokuCalls !== admitted)
          problems.push(`${target.name}: ${dokuCalls} DOKU calls for ${admitted} admitted requests`);
        perRoute[target.name] = { burst, admitted, refused: refused.length, ...(target.dokuEndpoint ? { dokuCalls } : {}) };
      }
      // The limit is per route: a route outside the bursts still answers.
      const other = await env.http.get('/v1/wallet', user.accessToken);
      if (other.status !== 200) problems.push(`GET /v1/wallet after the bursts: ${other.status}`);

      const serverErrors = env.http.serverErrors - http5xxBefore;
      const fired = tally.counts;
      const minimum = { burstRequests: targets.length * 2, rateLimited429: targets.length };
      printFigures(TEST, {
        scenario: 'rateLimits',
        rateLimitPerMinute: RATE_LIMIT,
        sensitivePerMinute: SENSITIVE_LIMIT,
        faultsFired: fired,
        perRoute,
        serverErrors,
        problems: problems.length,
        ms: Date.now() - t0,
      });
      expect(problems.slice(0, 10)).toEqual([]);
      expect(belowMinimum(fired, minimum)).toEqual([]);
      expect(serverErrors).toBe(0);
    });
  });

  describe('OTP floods, page sizes and DOKU latency', () => {
    let env: ReliabilityEnv;
    let db: DataSource;
    let admin: SignedInUser;
    let service: { token: string };
    const dnsLookups: string[] = [];

    beforeAll(async () => {
      env = await startReliabilityEnv({
        sim: { seed: `${RELIABILITY_SEED}:${TEST}:limits` },
        env: {
          OTP_SEND_LIMIT: String(OTP_LIMIT),
          OTP_SEND_WINDOW_SECONDS: String(OTP_WINDOW_SECONDS),
          DOKU_TIMEOUT_MS: String(DOKU_TIMEOUT_MS),
          // A customer's reads ask DOKU at most once per interval; short here so reading settles quickly.
          STATUS_QUERY_MIN_INTERVAL_MS: '200',
        },
        connections: Math.max(FLOOD, PHONE_FLOODERS) + 64,
      });
      db = env.t.app.get(DataSource);
      // No DNS query may leave the machine: the webhook URL used below is an IP literal, and the resolver answers nothing.
      env.t.app.get(WebhooksService).resolver = async (host) => {
        dnsLookups.push(host);
        throw new Error('no DNS in R10');
      };
      admin = await registerUser(env.t, 'admin');
      service = await serviceToken(env.t, ['topups:write', 'refunds:write', 'wallets:read', 'events:read']);
    });
    afterAll(async () => {
      await env?.close();
    });

    /** Sends `n` requests released together. */
    async function together(n: number, send: (i: number) => Promise<RawResponse>): Promise<RawResponse[]> {
      const barrier = new Barrier(n);
      return Promise.all(
        Array.from({ length: n }, async (_, i) => {
          await barrier.arrive();
          return send(i);
        }),
      );
    }

    const simRegistrationsTo = (phone: string) => [...env.sim.state.registrations.values()].filter((r) => r.phoneNo === phone).length;
    const simUnbindingsOf = (accountId: string) => [...env.sim.state.unbindings.values()].filter((u) => u.accountId === accountId).length;
    const phoneOf = async (userId: string) =>
      (await db.query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [userId]))[0].phone;

    it(`OTP floods: at most ${OTP_LIMIT} OTPs per user and per phone reach DOKU in ${OTP_WINDOW_SECONDS} s; the rest 429 with Retry-After`, async () => {
      const t0 = Date.now();
      const tally = new Tally();
      const problems: string[] = [];
      const http5xxBefore = env.http.serverErrors;
      const scenarios: Record<string, Record<string, number>> = {};

      /** Every answer is `ok` or 429 OTP.TOO_MANY_REQUESTS (or another listed 429) with a sane Retry-After. */
      const judge = (name: string, answers: RawResponse[], ok: number, other429: string[] = []) => {
        let admitted = 0;
        let capped = 0;
        for (const r of answers) {
          if (r.status === ok) admitted++;
          else if (
            r.status === 429 &&
            isStableErrorBody(r.json) &&
            (r.json.error.code === 'OTP.TOO_MANY_REQUESTS' || other429.includes(r.json.error.code))
          ) {
            const after = retryAfterOf(r);
            if (!(after >= 1 && after <= OTP_WINDOW_SECONDS)) problems.push(`${name}: 429 with Retry-After ${r.headers['retry-after']}`);
            if (r.json.error.code === 'OTP.TOO_MANY_REQUESTS') {
              capped++;
              if (r.json.error.details?.retryAfterSeconds !== after)
                problems.push(`${name}: details ${JSON.stringify(r.json.error.details)} vs Retry-After ${after}`);
            }
          } else problems.push(`${name}: answered ${r.status} ${r.text.slice(0, 200)}`);
        }
        tally.add(`${name}Requests`, answers.length);
        tally.add(`${name}Capped429`, capped);
        return { admitted, capped };
      };

      // 1. One user starts registration after registration, all at once.
      const flooder = await registerUser(env.t);
      const flooderPhone = await phoneOf(flooder.id);
      const starts = await together(FLOOD, () => env.http.post('/v1/wallet/registrations', {}, flooder.accessToken));
      const s1 = judge('registrationFlood', starts, 201);
      const sent1 = simRegistrationsTo(flooderPhone);
      scenarios.registrationFlood = { requests: FLOOD, admitted: s1.admitted, capped: s1.capped, otpsAtDoku: sent1 };
      if (sent1 !== OTP_LIMIT || s1.admitted !== OTP_LIMIT)
        problems.push(`registration flood: ${sent1} OTPs at DOKU, ${s1.admitted} admitted, cap ${OTP_LIMIT}`);
      const rows1 = (
        await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM wallet_registrations WHERE user_id = $1`, [flooder.id])
      )[0].n;
      if (rows1 !== OTP_LIMIT) problems.push(`registration flood: ${rows1} registrations stored for ${OTP_LIMIT} admitted`);
      // It is a window, not a ban: once the sends are older than the window, the user may try again.
      await db.query(`UPDATE otp_sends SET sent_at = sent_at - make_interval(secs => $2) WHERE user_id = $1`, [
        flooder.id,
        OTP_WINDOW_SECONDS + 1,
      ]);
      const later = await env.http.post('/v1/wallet/registrations', {}, flooder.accessToken);
      if (later.status !== 201 || simRegistrationsTo(flooderPhone) !== OTP_LIMIT + 1)
        problems.push(`after the window: ${later.status} ${later.text.slice(0, 200)}`);

      // 2. Many accounts name one victim's phone (SMS bombing without one account hitting its own cap).
      const victimPhone = `628${rng.digits(9)}`;
      const bombers = await mapLimit(Array.from({ length: PHONE_FLOODERS }), 4, () => registerUser(env.t));
      const aimed = await together(PHONE_FLOODERS, (i) =>
        env.http.post('/v1/wallet/registrations', { phone: victimPhone }, bombers[i].accessToken),
      );
      const s2 = judge('phoneFlood', aimed, 201);
      const sent2 = simRegistrationsTo(victimPhone);
      scenarios.phoneFlood = { requests: PHONE_FLOODERS, admitted: s2.admitted, capped: s2.capped, otpsAtDoku: sent2 };
      if (sent2 !== OTP_LIMIT || s2.admitted !== OTP_LIMIT)
        problems.push(`phone flood: ${sent2} OTPs at DOKU to one phone, ${s2.admitted} admitted, cap ${OTP_LIMIT}`);

      // 3. Resends: the per-registration rule allows one a minute (moved back here), the window caps them all.
      const resender = await registerUser(env.t);
      const resenderPhone = await phoneOf(resender.id);
      const reg = await env.http.post('/v1/wallet/registrations', {}, resender.accessToken);
      if (reg.status !== 201) throw new Error(`registration: ${reg.status} ${reg.text}`);
      const waves = OTP_LIMIT + 1;
      let resendAdmitted = 0;
      let resendCapped = 0;
      for (let w = 0; w < waves; w++) {
        await db.query(`UPDATE wallet_registrations SET last_otp_sent_at = now() - interval '61 seconds' WHERE id = $1`, [reg.json.id]);
        const wave = await together(Math.ceil(FLOOD / 2), () =>
          env.http.post(`/v1/wallet/registrations/${reg.json.id}/otp/resend`, undefined, resender.accessToken),
        );
        const s3 = judge('resendFlood', wave, 200, ['OTP.RESEND_TOO_SOON', 'OTP.RESEND_LIMIT']);
        resendAdmitted += s3.admitted;
        resendCapped += s3.capped;
      }
      const sent3 = simRegistrationsTo(resenderPhone);
      scenarios.resendFlood = {
        waves,
        requests: waves * Math.ceil(FLOOD / 2),
        admitted: resendAdmitted,
        capped: resendCapped,
        otpsAtDoku: sent3,
      };
      if (sent3 !== OTP_LIMIT || resendAdmitted !== OTP_LIMIT - 1)
        problems.push(`resend flood: ${sent3} OTPs at DOKU, ${resendAdmitted} resends admitted, cap ${OTP_LIMIT}`);

      // 4. Binding an existing DOKU Wallet, again and again.
      const binder = await registerUser(env.t);
      const account = env.sim.control.createAccount({ phoneNo: await phoneOf(binder.id), pin: '123456', balance: 10_000 });
      const bindBefore = env.simCalls.get('accountBinding');
      const binds = await together(FLOOD, () => env.http.post('/v1/wallet/binding', { accountId: account.accountId }, binder.accessToken));
      const s4 = judge('bindingFlood', binds, 201);
      const sent4 = env.simCalls.get('accountBinding') - bindBefore;
      scenarios.bindingFlood = { requests: FLOOD, admitted: s4.admitted, capped: s4.capped, callsAtDoku: sent4 };
      if (sent4 !== OTP_LIMIT || s4.admitted !== OTP_LIMIT)
        problems.push(`binding flood: ${sent4} Account Binding calls at DOKU, ${s4.admitted} admitted, cap ${OTP_LIMIT}`);

      // 5. Unbinding: every Account Unbinding makes DOKU send an OTP.
      const unbinder = await registerUser(env.t);
      const wallet = await createBoundWallet(env, unbinder);
      const unbinds = await together(FLOOD, () => env.http.post('/v1/wallet/unbinding', undefined, unbinder.accessToken));
      const s5 = judge('unbindingFlood', unbinds, 200);
      const sent5 = simUnbindingsOf(wallet.accountId);
      scenarios.unbindingFlood = { requests: FLOOD, admitted: s5.admitted, capped: s5.capped, otpsAtDoku: sent5 };
      if (sent5 !== OTP_LIMIT || s5.admitted !== OTP_LIMIT)
        problems.push(`unbinding flood: ${sent5} OTPs at DOKU, ${s5.admitted} admitted, cap ${OTP_LIMIT}`);

      // Ground truth at the simulator: no phone got more OTPs of one purpose than the cap in this window.
      const perPhone = new Tally();
      for (const r of env.sim.state.registrations.values()) perPhone.add(`registration|${r.phoneNo}`);
      for (const u of env.sim.state.unbindings.values()) perPhone.add(`unbinding|${u.phoneNo}`);
      const flooderExtra = `registration|${flooderPhone}`; // one more, after the window moved on
      const worst = Math.max(...Object.entries(perPhone.counts).map(([k, n]) => (k === flooderExtra ? n - 1 : n)));
      if (worst > OTP_LIMIT) problems.push(`a phone got ${worst} OTPs of one purpose in one window`);

      const serverErrors = env.http.serverErrors - http5xxBefore;
      const fired = tally.counts;
      const minimum = {
        registrationFloodCapped429: FLOOD - OTP_LIMIT,
        phoneFloodCapped429: PHONE_FLOODERS - OTP_LIMIT,
        resendFloodCapped429: 1,
        bindingFloodCapped429: FLOOD - OTP_LIMIT,
        unbindingFloodCapped429: FLOOD - OTP_LIMIT,
      };
      printFigures(TEST, {
        scenario: 'otpFloods',
        otpLimit: OTP_LIMIT,
        windowSeconds: OTP_WINDOW_SECONDS,
        faultsFired: fired,
        scenarios,
        mostOtpsToOnePhone: worst,
        serverErrors,
        problems: problems.length,
        ms: Date.now() - t0,
      });
      expect(problems.slice(0, 10)).toEqual([]);
      expect(belowMinimum(fired, minimum)).toEqual([]);
      expect(serverErrors).toBe(0);
    });

    it('page size 10,000 on every list route: clamped (on a longer list) or 400, and no DOKU call when refused', async () => {
      const t0 = Date.now();
      const tally = new Tally();
      const problems: string[] = [];
      const http5xxBefore = env.http.serverErrors;
      const doc = (await env.http.get('/docs/openapi.json')).json as OpenApiDoc;
      const owner = await registerUser(env.t);
      await createBoundWallet(env, owner);
      const hook = await env.http.post(
        '/v1/admin/webhooks',
        { url: 'https://93.184.216.34/r10-hook', description: 'R10 page sizes' },
        admin.accessToken,
      );
      if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${hook.text}`);
      // A list that clamps must be proven on more rows than its clamp: the event feed gets 600 more.
      await db.query(
        `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, user_id, payload)
         SELECT 'transaction.status_changed', 'transaction', gen_random_uuid()::text, NULL, '{}'::jsonb FROM generate_series(1, 600)`,
      );
      // The owner's own feed (GET /v1/me/events) likewise, with 600 events of the owner.
      await db.query(
        `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, user_id, payload)
         SELECT 'transaction.status_changed', 'transaction', gen_random_uuid()::text, $1, '{}'::jsonb FROM generate_series(1, 600)`,
        [owner.id],
      );
      // The feeds list sequenced events only; the sequencer numbers the 1,200 new ones in batches
      // as readers ask. Wait until every one has its position, or the clamp is tested on fewer rows.
      for (const until = Date.now() + 30_000; ;) {
        await env.http.send('GET', '/v1/events?limit=500', { token: service.token });
        const [{ n }] = await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM outbox_events WHERE position IS NULL`);
        if (n === 0) break;
        if (Date.now() > until) throw new Error(`${n} events still without a position after 30 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const rowsBehind: Record<string, () => Promise<number>> = {
        '/v1/events': async () => (await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM outbox_events`))[0].n,
        '/v1/me/events': async () =>
          (await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM outbox_events WHERE user_id = $1`, [owner.id]))[0].n,
      };
      const params: Record<string, string> = { userId: owner.id, id: hook.json.id };
      const tokenFor = (route: RouteInfo): string => {
        const rule = route.rule;
        if (rule?.roles.includes('admin')) return admin.accessToken;
        if (rule?.roles.includes('user')) return owner.accessToken;
        return service.token;
      };

      const PAGE_SIZE_PARAM = /^(page_?size|limit|per_?page|size|count|take|max_?results|max)$/i;
      const FORMS = ['10000', '1e4', '10000.0', '010000', '+10000', '10000.5', '0x2710'];
      const lists = listRoutes(env.t.app)
        .filter((r) => r.method === 'GET')
        .map((route) => {
          const op = doc.paths[openApiPath(route.path)]?.get;
          const sizeParam = (op?.parameters ?? []).find((p) => p.in === 'query' && PAGE_SIZE_PARAM.test(p.name));
          return { route, sizeParam };
        })
        .filter((x) => x.sizeParam !== undefined);
      const perRoute: Record<string, Record<string, number>> = {};
      for (const { route, sizeParam } of rng.shuffle(lists)) {
        const p = sizeParam as NonNullable<typeof sizeParam> & { description?: string; schema?: { maximum?: number } };
        const documented = p.schema?.maximum ?? Number(/clamped to \d+\.\.(\d+)/.exec(p.description ?? '')?.[1] ?? NaN);
        const counts = { rejected: 0, clamped: 0 };
        for (const form of FORMS) {
          const path = route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => params[name] ?? '00000000-0000-4000-8000-000000000000');
          const dokuBefore = env.simCallCount();
          const r = await env.http.send('GET', `${path}?${p.name}=${encodeURIComponent(form)}`, { token: tokenFor(route) });
          const dokuCalls = env.simCallCount() - dokuBefore;
          tally.add('pageSize10000');
          const label = `${route.path} ${p.name}=${form}`;
          if (r.status === 400) {
            counts.rejected++;
            tally.add('rejected400');
            if (!isStableErrorBody(r.json)) problems.push(`${label}: 400 body ${r.text.slice(0, 200)}`);
            if (dokuCalls !== 0) problems.push(`${label}: refused, yet ${dokuCalls} DOKU calls`);
          } else if (r.status === 200) {
            counts.clamped++;
            tally.add('clamped200');
            const items = Object.values(r.json ?? {}).find((v) => Array.isArray(v)) as unknown[] | undefined;
            const behind = rowsBehind[route.path];
            if (!items) problems.push(`${label}: 200 without a list`);
            else if (!Number.isFinite(documented)) problems.push(`${label}: clamped, but no maximum is documented`);
            else if (!behind) problems.push(`${label}: clamped, but the test has no list longer than the clamp to prove it`);
            else {
              const available = await behind();
              if (available <= documented) problems.push(`${label}: only ${available} rows behind a clamp of ${documented}`);
              if (items.length !== documented)
                problems.push(`${label}: ${items.length} items, clamp ${documented}, ${available} available`);
            }
          } else problems.push(`${label}: answered ${r.status} ${r.text.slice(0, 200)}`);
        }
        perRoute[route.path] = { ...counts, documentedMax: documented };
      }

      const serverErrors = env.http.serverErrors - http5xxBefore;
      const fired = { ...tally.counts, listRoutes: lists.length };
      // Today: 3 back-office lists, the event feed, a webhook's deliveries and 3 history lists.
      const minimum = { listRoutes: 8, pageSize10000: 8 * FORMS.length, rejected400: 1, clamped200: 1 };
      printFigures(TEST, {
        scenario: 'pageSize',
        faultsFired: fired,
        perRoute,
        dnsLookups: dnsLookups.length,
        serverErrors,
        problems: problems.length,
        ms: Date.now() - t0,
      });
      expect(problems.slice(0, 10)).toEqual([]);
      expect(belowMinimum(fired, minimum)).toEqual([]);
      expect(dnsLookups).toEqual([]);
      expect(serverErrors).toBe(0);
    });

    it(`DOKU ${LATENCY_MS} ms late past a ${DOKU_TIMEOUT_MS} ms timeout: every money operation answers 202 UNKNOWN, stays UNKNOWN until resolved, never resent`, async () => {
      const t0 = Date.now();
      const tally = new Tally();
      const problems: string[] = [];
      const http5xxBefore = env.http.serverErrors;
      const clientId = env.t.config.doku.clientId;
      const users: SignedInUser[] = [];
      for (let i = 0; i < 2; i++) {
        const u = await registerUser(env.t);
        await createBoundWallet(env, u, { balance: 9_000_000 });
        users.push(u);
      }
      const key = () => `r10-${rng.hex(24)}`;
      const must = (r: RawResponse, status: number, what: string) => {
        if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
        return r.json;
      };
      const ref = async (id: string) =>
        (await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id]))[0]
          .partner_reference_no;

      // Before DOKU slows down: paid purchases to refund, bank and top-up inquiries to confirm.
      type Op = {
        kind: 'purchase' | 'transfer' | 'topUp' | 'refund';
        user: SignedInUser;
        path: string;
        body: Record<string, unknown>;
        token: string;
        key: string;
        purchaseId?: string;
      };
      const ops: Op[] = [];
      for (let i = 0; i < MONEY_OPS; i++) {
        const u = rng.pick(users);
        const paid = must(
          await env.http.post('/v1/purchases', { amount: rng.int(20_000, 90_000), description: `R10 paid ${i}` }, u.accessToken, key()),
          201,
          'purchase',
        );
        env.sim.control.pay({ partnerReferenceNo: await ref(paid.id) });
        must(await env.http.get(`/v1/purchases/${paid.id}`, u.accessToken), 200, 'paid purchase');
        ops.push({
          kind: 'refund',
          user: u,
          token: service.token,
          key: key(),
          path: `/v1/users/${u.id}/purchases/${paid.id}/refunds`,
          body: { amount: rng.int(1_000, 10_000), reason: 'R10 late refund' },
          purchaseId: paid.id,
        });
        ops.push({
          kind: 'purchase',
          user: u,
          token: u.accessToken,
          key: key(),
          path: '/v1/purchases',
          body: { amount: rng.int(1_000, 50_000), description: `R10 late ${i}` },
        });
        const bank = must(
          await env.http.post(
            '/v1/bank-transfers/inquiries',
            { bankCode: '014', accountNumber: '8377388292', amount: rng.int(10_000, 50_000) },
            u.accessToken,
          ),
          201,
          'bank inquiry',
        );
        ops.push({
          kind: 'transfer',
          user: u,
          token: u.accessToken,
          key: key(),
          path: '/v1/bank-transfers',
          body: { inquiryId: bank.inquiryId },
        });
        const top = must(
          await env.http.post(`/v1/users/${u.id}/top-ups/inquiries`, { amount: rng.int(10_000, 50_000) }, service.token),
          201,
          'top-up inquiry',
        );
        ops.push({
          kind: 'topUp',
          user: u,
          token: service.token,
          key: key(),
          path: `/v1/users/${u.id}/top-ups`,
          body: { inquiryId: top.inquiryId },
        });
      }
      const ENDPOINT = { purchase: 'purchaseWeb', transfer: 'transferBankPayment', topUp: 'topUp', refund: 'refundPurchase' } as const;
      env.sim.control.setFaults(
        Object.entries(ENDPOINT).map(([kind, endpoint]) => ({ id: `${kind}-late`, endpoint, type: 'latency', latencyMs: LATENCY_MS })),
        `${RELIABILITY_SEED}:${TEST}:latency`,
      );
      const callsBefore = Object.fromEntries(Object.values(ENDPOINT).map((e) => [e, env.simCalls.get(e)]));

      const answers = await mapLimit(rng.shuffle(ops), ops.length, async (op) => {
        const t = Date.now();
        const r = await env.http.post(op.path, op.body, op.token, op.key);
        return { op, r, ms: Date.now() - t };
      });
      const slowest = Math.max(...answers.map((a) => a.ms));
      const ids = new Map<Op, string>();
      for (const { op, r } of answers) {
        tally.add(`${op.kind}Late`);
        if (r.status !== 202 || r.json?.status !== 'UNKNOWN' || typeof r.json?.id !== 'string') {
          problems.push(`${op.kind}: answered ${r.status} ${r.text.slice(0, 200)}`);
          continue;
        }
        tally.add('answered202Unknown');
        ids.set(op, r.json.id as string);
      }
      // The rows say UNKNOWN: nothing has resolved them yet (the reconciler is off in tests).
      const rowStatus = async (id: string) =>
        (await db.query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = $1`, [id]))[0]?.status;
      for (const [op, id] of ids) {
        const status = await rowStatus(id);
        if (status !== 'UNKNOWN') problems.push(`${op.kind} ${id}: row ${status}`);
        else tally.add('rowUnknown');
      }
      // A retry with the same key replays the 202; it sends nothing to DOKU.
      for (const { op, r } of answers) {
        const again = await env.http.post(op.path, op.body, op.token, op.key);
        if (again.status !== r.status || again.headers['idempotent-replayed'] !== 'true' || again.json?.id !== r.json?.id) {
          problems.push(
            `${op.kind}: retry answered ${again.status} replayed=${again.headers['idempotent-replayed']} ${again.text.slice(0, 200)}`,
          );
        } else tally.add('replayed');
      }
      // Let DOKU finish what it received late (the simulator logs a call once answered), then resolve by reading only.
      const callsSoFar = () => Object.values(ENDPOINT).map((e) => env.simCalls.get(e) - (callsBefore[e] ?? 0));
      const deadline = Date.now() + LATENCY_MS * 4 + 10_000;
      while (callsSoFar().some((n) => n < MONEY_OPS) && Date.now() < deadline) await sleep(100);
      await sleep(300);
      const faults = Object.fromEntries(env.sim.control.listFaults().rules.map((rule) => [rule.id, rule.fired]));
      env.sim.control.clearFaults();
      const callsPerEndpoint = Object.fromEntries(Object.values(ENDPOINT).map((e) => [e, env.simCalls.get(e) - (callsBefore[e] ?? 0)]));
      for (const e of Object.values(ENDPOINT)) {
        if (callsPerEndpoint[e] !== MONEY_OPS) problems.push(`${e}: ${callsPerEndpoint[e]} DOKU calls for ${MONEY_OPS} operations`);
      }

      const read = async (op: Op, id: string) => {
        switch (op.kind) {
          case 'purchase':
            return env.http.get(`/v1/purchases/${id}`, op.user.accessToken);
          case 'transfer':
            return env.http.get(`/v1/bank-transfers/${id}`, op.user.accessToken);
          case 'topUp':
            return env.http.get(`/v1/users/${op.user.id}/top-ups/${id}`, service.token);
          case 'refund':
            return env.http.get(`/v1/purchases/${op.purchaseId}`, op.user.accessToken);
        }
      };
      for (const [op, id] of ids) {
        const r = await read(op, id);
        if (r.status !== 200) problems.push(`${op.kind} ${id}: read ${r.status} ${r.text.slice(0, 200)}`);
        if (op.kind === 'purchase' && (await rowStatus(id)) === 'PENDING') {
          // DOKU has the purchase waiting for the PIN: the user pays, and a read settles it once the
          // interval since the last status query has passed (reads within it show our record).
          env.sim.control.pay({ partnerReferenceNo: await ref(id) });
          const until = Date.now() + 5_000;
          do {
            await read(op, id);
            if ((await rowStatus(id)) === 'SUCCESS') break;
            await sleep(100);
          } while (Date.now() < until);
        }
        const status = await rowStatus(id);
        if (status === 'SUCCESS') tally.add('resolved');
        else problems.push(`${op.kind} ${id}: ${status} after resolution`);
      }

      const recon = await reconcile(db, env.sim, clientId);
      const invariants = await invariantViolations(db);
      const serverErrors = env.http.serverErrors - http5xxBefore;
      const fired = {
        ...tally.counts,
        ...Object.fromEntries(Object.entries(faults).map(([id, n]) => [id.replace(/-late$/, 'Latency'), n])),
      };
      const minimum = {
        purchaseLatency: MONEY_OPS,
        transferLatency: MONEY_OPS,
        topUpLatency: MONEY_OPS,
        refundLatency: MONEY_OPS,
        answered202Unknown: ops.length,
        rowUnknown: ops.length,
        replayed: ops.length,
        resolved: ops.length,
      };
      printFigures(TEST, {
        scenario: 'dokuLatency',
        dokuTimeoutMs: DOKU_TIMEOUT_MS,
        latencyMs: LATENCY_MS,
        operations: ops.length,
        slowestAnswerMs: slowest,
        faultsFired: fired,
        dokuCalls: callsPerEndpoint,
        ...reconciliationFigures(recon),
        invariantViolations: invariants.length,
        serverErrors,
        problems: problems.length,
        ms: Date.now() - t0,
        totalMs: Date.now() - started,
      });
      expect(problems.slice(0, 10)).toEqual([]);
      expect(belowMinimum(fired, minimum)).toEqual([]);
      // Our answer comes at our timeout, not when DOKU finally answers.
      expect(slowest).toBeLessThan(LATENCY_MS);
      expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
      expect(recon.unresolved).toBe(0);
      expect(invariants).toEqual([]);
      expect(serverErrors).toBe(0);
    });
  });
});
