import { writeFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { isAllowed } from '../../src/common/auth/access.guard';
import type { Principal } from '../../src/common/auth/principal';
import { SERVICE_SCOPES } from '../../src/clients/entities/service-client.entity';
import type { SignedInUser } from '../support/actors';
import { registerUser, serviceToken } from '../support/actors';
import type { RouteInfo } from '../support/routes';
import { listRoutes } from '../support/routes';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { OpenApiDoc } from './support/bad-input';
import { exampleBody, openApiPath, resolveSchema } from './support/bad-input';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { isStableErrorBody } from './support/http-client';
import { invariantViolations } from './support/reconcile';

/**
 * R7 (docs/reliability.md, OWASP API1/API3/API5): two wallet users with objects of every kind (paid and
 * pending purchases, a refund, a bank transfer, a top-up, inquiries), two users with a wallet
 * registration, a service client with every scope, and the back office. Every route x every
 * foreign object id x every actor it admits; mass assignment of status, amount, balance, userId,
 * refundedAmount. Pass: every cross-user attempt 404 (never 403, never 2xx), no foreign data in
 * any body, unknown fields 400, admin routes 403 for everyone else, and nothing changed.
 */
const TEST = 'R7';
// Full size also walks the registration-only users as path subjects.
const ALL_SUBJECTS = sized(false, true);

jest.setTimeout(sized(180_000, 900_000));

interface Actor {
  name: string;
  principal: Principal;
  token: string;
}

interface Owned {
  owner: string;
  kind: 'purchasePaid' | 'purchasePending' | 'refund' | 'transfer' | 'topUp' | 'registration' | 'bankInquiry' | 'topUpInquiry';
  id: string;
}

describe('R7: object-level access across users, services and the back office', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  let doc: OpenApiDoc;
  let routes: RouteInfo[];
  const users: SignedInUser[] = [];
  const actors: Actor[] = [];
  const objects: Owned[] = [];
  /** Strings that identify each user's data: ids, references, email, phone, DOKU account. */
  const markers = new Map<string, Set<string>>();
  let service: Actor;

  const mark = (userId: string, ...values: Array<string | null | undefined>) => {
    const set = markers.get(userId) ?? new Set<string>();
    for (const v of values) if (v) set.add(v);
    markers.set(userId, set);
  };

  async function walletOwner(label: string): Promise<SignedInUser> {
    const u = await registerUser(env.t);
    const wallet = await createBoundWallet(env, u, { balance: 2_000_000 });
    const phone = (await db.query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [u.id]))[0].phone;
    mark(u.id, u.id, u.email, phone, wallet.accountId, wallet.linkId);
    const as = (path: string, body: unknown, key?: string) => env.http.post(path, body, u.accessToken, key);
    const ref = async (id: string) =>
      (await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id]))[0]
        .partner_reference_no;
    const must = (r: RawResponse, status: number, what: string) => {
      if (r.status !== status) throw new Error(`${label} ${what}: ${r.status} ${r.text}`);
      return r.json;
    };

    const paid = must(
      await as('/v1/purchases', { amount: rng.int(20_000, 90_000), description: `R7 ${label}` }, `r7-${rng.hex(20)}`),
      201,
      'purchase',
    );
    env.sim.control.pay({ partnerReferenceNo: await ref(paid.id) });
    must(await env.http.get(`/v1/purchases/${paid.id}`, u.accessToken), 200, 'purchase status');
    const refund = must(
      await env.http.post(
        `/v1/users/${u.id}/purchases/${paid.id}/refunds`,
        { amount: 1_000, reason: 'R7 refund' },
        service.token,
        `r7-${rng.hex(20)}`,
      ),
      201,
      'refund',
    );
    const pending = must(await as('/v1/purchases', { amount: rng.int(1_000, 9_000) }, `r7-${rng.hex(20)}`), 201, 'pending purchase');
    const bankInquiry = must(
      await as('/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: '8377388292', amount: 15_000 }),
      201,
      'bank inquiry',
    );
    const transfer = must(await as('/v1/bank-transfers', { inquiryId: bankInquiry.inquiryId }, `r7-${rng.hex(20)}`), 201, 'transfer');
    const spareBankInquiry = must(
      await as('/v1/bank-transfers/inquiries', { bankCode: '014', accountNumber: '8377388292', amount: 12_000 }),
      201,
      'bank inquiry',
    );
    const topUpInquiry = must(
      await env.http.post(`/v1/users/${u.id}/top-ups/inquiries`, { amount: 25_000 }, service.token),
      201,
      'top-up inquiry',
    );
    const topUp = must(
      await env.http.post(`/v1/users/${u.id}/top-ups`, { inquiryId: topUpInquiry.inquiryId }, service.token, `r7-${rng.hex(20)}`),
      201,
      'top-up',
    );
    const spareTopUpInquiry = must(
      await env.http.post(`/v1/users/${u.id}/top-ups/inquiries`, { amount: 26_000 }, service.token),
      201,
      'top-up inquiry',
    );

    const own: Owned[] = [
      { owner: u.id, kind: 'purchasePaid', id: paid.id },
      { owner: u.id, kind: 'purchasePending', id: pending.id },
      { owner: u.id, kind: 'refund', id: refund.id },
      { owner: u.id, kind: 'transfer', id: transfer.id },
      { owner: u.id, kind: 'topUp', id: topUp.id },
      { owner: u.id, kind: 'bankInquiry', id: spareBankInquiry.inquiryId },
      { owner: u.id, kind: 'topUpInquiry', id: spareTopUpInquiry.inquiryId },
    ];
    objects.push(...own);
    for (const o of own) mark(u.id, o.id);
    for (const id of [paid.id, pending.id, refund.id, transfer.id, topUp.id]) mark(u.id, await ref(id));
    return u;
  }

  async function registrationOwner(): Promise<SignedInUser> {
    const u = await registerUser(env.t);
    const phone = (await db.query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [u.id]))[0].phone;
    const reg = await env.http.post('/v1/wallet/registrations', {}, u.accessToken);
    if (reg.status !== 201) throw new Error(`registration: ${reg.status} ${reg.text}`);
    objects.push({ owner: u.id, kind: 'registration', id: reg.json.id });
    mark(u.id, u.id, u.email, phone, reg.json.id);
    return u;
  }

  beforeAll(async () => {
    env = await startReliabilityEnv({ sim: { seed: `${RELIABILITY_SEED}:${TEST}` } });
    db = env.t.app.get(DataSource);
    routes = listRoutes(env.t.app);
    doc = (await env.http.get('/docs/openapi.json')).json as OpenApiDoc;
    const wide = await serviceToken(env.t, [...SERVICE_SCOPES]);
    service = {
      name: 'service:all',
      principal: { kind: 'service', clientId: wide.clientId, scopes: [...SERVICE_SCOPES] },
      token: wide.token,
    };
    users.push(await walletOwner('A'), await walletOwner('B'), await registrationOwner(), await registrationOwner());
    users.forEach((u, i) =>
      actors.push({
        name: `user${'ABCD'[i]}`,
        principal: { kind: 'user', userId: u.id, role: 'user', sessionId: '' },
        token: u.accessToken,
      }),
    );
    actors.push(service);
    for (const role of ['admin', 'finance', 'support'] as const) {
      const u = await registerUser(env.t, role);
      actors.push({ name: role, principal: { kind: 'user', userId: u.id, role, sessionId: '' }, token: u.accessToken });
    }
  });
  afterAll(async () => {
    await env?.close();
  });

  /**
   * A route over everyone's things by design: back office or service only (no end user admitted)
   * and not scoped to one user by its path (the admin lists, webhooks, the event feed).
   */
  const global = (route: RouteInfo) => !route.path.includes(':userId') && !(route.rule?.roles ?? []).includes('user');
  const bodyOf = (route: RouteInfo) => {
    const schema = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
    return schema ? exampleBody(doc, resolveSchema(doc, schema)) : undefined;
  };
  const idempotent = (route: RouteInfo) =>
    (doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()]?.parameters ?? []).some(
      (p) => p.name.toLowerCase() === 'idempotency-key',
    );

  async function call(route: RouteInfo, actor: Actor, params: Record<string, string>, body?: unknown): Promise<RawResponse> {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => params[name] ?? '00000000-0000-4000-8000-000000000000');
    return env.http.send(route.method, path, {
      token: actor.token,
      idempotencyKey: idempotent(route) ? `r7-${rng.hex(24)}` : undefined,
      ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: body ?? bodyOf(route) ?? {} }),
    });
  }

  /** Every marker of users other than `subject` found in the response. */
  function foreignData(res: RawResponse, subject: string | undefined): string[] {
    const found: string[] = [];
    for (const [userId, values] of markers) {
      if (userId === subject) continue;
      for (const v of values) if (res.text.includes(v)) found.push(v);
    }
    return found;
  }

  it('every route x every foreign object id x every actor: 404, no foreign data; mass assignment 400; admin routes 403 for others', async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const byStatus = new Tally();
    const byLabelStatus = new Tally();
    const problems: string[] = [];
    const requestsBefore = env.http.requests;
    const ledgerBefore = env.sim.control.ledger({ clientId: env.t.config.doku.clientId });
    const stateBefore = await db.query(
      `SELECT id, status, amount::text, refunded_amount::text, refund_reserved_amount::text FROM transactions ORDER BY id`,
    );
    const walletsBefore = await db.query(`SELECT user_id, status, doku_account_id FROM wallets ORDER BY user_id`);
    const registrationsBefore = await db.query(`SELECT id, status, otp_failed_attempts FROM wallet_registrations ORDER BY id`);
    const wallUsers = users.map((u) => u.id);
    const subjects = ALL_SUBJECTS ? wallUsers : wallUsers.slice(0, 2);
    const record = (label: string, res: RawResponse) => {
      tally.add(label);
      byStatus.add(String(res.status));
      byLabelStatus.add(`${label} ${res.status}`);
      if (res.status >= 500) problems.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`);
    };

    for (const route of routes.filter((r) => !r.isPublic)) {
      const where = `${route.method} ${route.path}`;
      const hasId = route.path.includes(':id');
      const hasUser = route.path.includes(':userId');
      for (const actor of actors) {
        if (!isAllowed(route.rule, actor.principal)) {
          // Admin routes: 403 for everyone else, with real ids in the path.
          if (route.path.startsWith('/v1/admin')) {
            const target = rng.pick(objects);
            const res = await call(route, actor, { userId: target.owner, id: target.id });
            record('admin route, other actor', res);
            if (res.status !== 403 || !isStableErrorBody(res.json)) problems.push(`${where} as ${actor.name}: ${res.status}, not 403`);
            const leaked = foreignData(res, undefined);
            if (leaked.length) problems.push(`${where} as ${actor.name}: foreign data ${leaked.join(',')}`);
          }
          continue;
        }
        if (global(route)) continue;
        if (actor.principal.kind === 'service' && !hasUser) continue; // not user data (e.g. the event feed)
        const ownSubjects = hasUser ? subjects : actor.principal.kind === 'user' ? [actor.principal.userId] : [];
        for (const subject of ownSubjects) {
          if (hasId) {
            // Cross-user: every object that is not the subject's.
            for (const o of objects.filter((x) => x.owner !== subject)) {
              const res = await call(route, actor, { userId: subject, id: o.id });
              record('cross-user object id', res);
              if (res.status !== 404)
                problems.push(
                  `${where} as ${actor.name}, subject ${subject.slice(0, 8)}, ${o.kind} of another user: ${res.status} ${res.text.slice(0, 200)}`,
                );
              else if (!isStableErrorBody(res.json)) problems.push(`${where}: unstable 404 body ${res.text.slice(0, 200)}`);
              const leaked = foreignData(res, subject);
              if (leaked.length) problems.push(`${where} as ${actor.name}: foreign data ${leaked.join(',')}`);
            }
            // Control: the subject's own objects are reachable on the read routes, so the 404s above are about ownership.
            if (route.method === 'GET') {
              const mine = objects.filter((x) => x.owner === subject);
              let reached = 0;
              for (const o of mine) {
                const res = await call(route, actor, { userId: subject, id: o.id });
                record('own object id (control)', res);
                if (res.status === 200) reached++;
                const leaked = foreignData(res, subject);
                if (leaked.length) problems.push(`${where} as ${actor.name} on its own ${o.kind}: foreign data ${leaked.join(',')}`);
              }
              if (mine.some((o) => o.kind !== 'registration' && !o.kind.endsWith('Inquiry')) && reached === 0) {
                problems.push(`${where} as ${actor.name}: not one own object reachable (the walk proves nothing here)`);
              }
            }
          } else {
            const body = bodyOf(route);
            if (body && 'inquiryId' in body) {
              // Foreign ids in the body: another user's inquiries, of both kinds.
              for (const o of objects.filter((x) => x.owner !== subject && x.kind.endsWith('Inquiry'))) {
                const res = await call(route, actor, { userId: subject }, { ...body, inquiryId: o.id });
                record('cross-user id in body', res);
                if (res.status !== 404)
                  problems.push(
                    `${where} as ${actor.name}, subject ${subject.slice(0, 8)}, ${o.kind} of another user: ${res.status} ${res.text.slice(0, 200)}`,
                  );
                const leaked = foreignData(res, subject);
                if (leaked.length) problems.push(`${where} as ${actor.name}: foreign data ${leaked.join(',')}`);
              }
            } else if (route.method === 'GET') {
              // Lists and views of the subject's own data: nothing of anyone else's.
              const res = await call(route, actor, { userId: subject });
              record('own list or view', res);
              const leaked = foreignData(res, subject);
              if (leaked.length)
                problems.push(`${where} as ${actor.name}, subject ${subject.slice(0, 8)}: foreign data ${leaked.join(',')}`);
            }
          }
        }
      }
      // Mass assignment: fields the route does not take are refused (400), whoever sends them.
      const body = bodyOf(route);
      const caller = actors.find((a) => isAllowed(route.rule, a.principal));
      if (body && caller && route.method !== 'GET') {
        const subject = caller.principal.kind === 'user' ? caller.principal.userId : wallUsers[0];
        const own = objects.find((o) => o.owner === subject) ?? objects[0];
        const assignments: Array<[string, unknown]> = [
          ['status', 'SUCCESS'],
          ['amount', 1],
          ['balance', 999_999_999],
          ['userId', wallUsers[1]],
          ['refundedAmount', 0],
          ['role', 'admin'],
          ['id', own.id],
        ];
        for (const [field, value] of assignments) {
          if (field in body) continue; // a field the route takes is not mass assignment
          const res = await call(route, caller, { userId: subject, id: own.id }, { ...body, [field]: value });
          record('mass assignment', res);
          if (res.status !== 400 || res.json?.error?.code !== 'REQUEST.VALIDATION_FAILED') {
            problems.push(`${where} with ${field}: ${res.status} ${res.text.slice(0, 200)}`);
          }
        }
      }
    }

    const ledgerAfter = env.sim.control.ledger({ clientId: env.t.config.doku.clientId });
    const stateAfter = await db.query(
      `SELECT id, status, amount::text, refunded_amount::text, refund_reserved_amount::text FROM transactions ORDER BY id`,
    );
    const walletsAfter = await db.query(`SELECT user_id, status, doku_account_id FROM wallets ORDER BY user_id`);
    const registrationsAfter = await db.query(`SELECT id, status, otp_failed_attempts FROM wallet_registrations ORDER BY id`);
    const invariants = await invariantViolations(db);
    const minimum = {
      'cross-user object id': 100,
      'own object id (control)': 10,
      'cross-user id in body': 4,
      'own list or view': 5,
      'mass assignment': 20,
      'admin route, other actor': 10,
    };
    printFigures(TEST, {
      routes: routes.length,
      actors: actors.length,
      objects: objects.length,
      requests: env.http.requests - requestsBefore,
      faultsFired: tally.counts,
      byStatus: byStatus.counts,
      byKindAndStatus: byLabelStatus.counts,
      ledgerChanged: ledgerAfter.entries.length !== ledgerBefore.entries.length,
      transactionsChanged: JSON.stringify(stateAfter) !== JSON.stringify(stateBefore),
      invariantViolations: invariants.length,
      serverErrors: Object.entries(byStatus.counts)
        .filter(([s]) => Number(s) >= 500)
        .reduce((n, [, c]) => n + c, 0),
      problems: problems.length,
      ms: Date.now() - t0,
    });
    if (problems.length && process.env.RELIABILITY_PROBLEMS_FILE) writeFileSync(process.env.RELIABILITY_PROBLEMS_FILE, problems.join('\n'));

    expect(problems.slice(0, 25)).toEqual([]);
    expect(belowMinimum(tally.counts, minimum)).toEqual([]);
    expect({
      ledger: ledgerAfter.entries.length,
      transactions: stateAfter,
      wallets: walletsAfter,
      registrations: registrationsAfter,
    }).toEqual({
      ledger: ledgerBefore.entries.length,
      transactions: stateBefore,
      wallets: walletsBefore,
      registrations: registrationsBefore,
    });
    expect(invariants).toEqual([]);
  });
});
