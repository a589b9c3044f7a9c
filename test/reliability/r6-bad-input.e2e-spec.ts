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
import type { BadCase, OpenApiDoc } from './support/bad-input';
import {
  basicAuthCases,
  bodyCases,
  idempotencyKeyCases,
  openApiPath,
  pathIdCases,
  queryCases,
  rawCases,
  resolveSchema,
  exampleBody,
} from './support/bad-input';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { isOAuthErrorBody, isStableErrorBody, OAUTH_ROUTES } from './support/http-client';

/**
 * R6 (docs/reliability.md): generated bad input on every endpoint (walked from the app's own route
 * table, with a caller each route admits): wrong types, missing fields, invalid JSON, wrong content
 * types, amounts 0 / -1 / 1e20 / "10.001" / 10.5, huge strings, control characters, `__proto__`
 * keys, bad or missing Idempotency-Keys, bad path ids, query garbage.
 * Pass: 0 responses >= 500; every rejection a 4xx with the stable error body; 0 DOKU calls for
 * rejected requests (the simulator's request log before and after each one); oversize 413; and
 * nothing written by a rejected request (row counts of every table before and after).
 */
const TEST = 'R6';
const FUZZ_ROUNDS = sized(1, 20);

// DOKU-facing routes answer in SNAP's error shape (docs/doku-integration.md#notifications) once their handler runs;
// what fastify refuses before that (JSON, content type, size) has ours. Both are stable.
const SNAP_ROUTES = new Set(['POST /v1.0/debit/notify', 'POST /authorization/v1/access-token/b2b']);
/** The customer's browser lands on these: their refusals are HTML pages without codes (docs/customer-pages.md), never JSON. */
const CUSTOMER_PAGE_ROUTES = new Set([
  'GET /v1/callbacks/doku/registration',
  'GET /v1/callbacks/doku/binding',
  'GET /v1/callbacks/doku/purchase',
]);
const isCustomerPage = (res: RawResponse) =>
  (res.headers['content-type'] ?? '').startsWith('text/html') &&
  res.text.startsWith('<!doctype html>') &&
  !/\b[A-Z]{2,}\.[A-Z_]{3,}\b/.test(res.text);
// The notify route reads its body only once DOKU's signature over the raw bytes checks out,
// so an unsigned body is refused 401 whatever it holds, malformed or poisoned JSON included.
const SIGNED_BODY_ROUTES = new Set(['POST /v1.0/debit/notify']);
const READ_AFTER_SIGNATURE = new Set(['invalid JSON', '__proto__ key']);
const isSnapBody = (json: { responseCode?: unknown; responseMessage?: unknown } | undefined) =>
  typeof json?.responseCode === 'string' && /^\d{7}$/.test(json.responseCode) && typeof json.responseMessage === 'string';
// Internals that must never leave in a response body.
const LEAK =
  /QueryFailedError|syntax error at|duplicate key|violates|node_modules|\.ts:\d+|at [A-Za-z.]+ \(|ECONNREFUSED|TypeError|ReferenceError/;

jest.setTimeout(sized(180_000, 900_000));

interface Actor {
  name: string;
  principal: Principal;
  token: string;
}

describe('R6: generated bad input on every endpoint', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  let doc: OpenApiDoc;
  let routes: RouteInfo[];
  let actors: Actor[];
  let logoutUser: SignedInUser;
  let walletUser: SignedInUser;

  beforeAll(async () => {
    env = await startReliabilityEnv({ sim: { seed: `${RELIABILITY_SEED}:${TEST}` } });
    db = env.t.app.get(DataSource);
    routes = listRoutes(env.t.app);
    doc = (await env.http.get('/docs/openapi.json')).json as OpenApiDoc;
    walletUser = await registerUser(env.t);
    await createBoundWallet(env, walletUser, { balance: 1_000_000 });
    actors = [
      { name: 'user', principal: { kind: 'user', userId: walletUser.id, role: 'user', sessionId: '' }, token: walletUser.accessToken },
    ];
    const wide = await serviceToken(env.t, [...SERVICE_SCOPES]);
    actors.push({
      name: 'service:all',
      principal: { kind: 'service', clientId: wide.clientId, scopes: [...SERVICE_SCOPES] },
      token: wide.token,
    });
    for (const role of ['admin', 'finance', 'support'] as const) {
      const u = await registerUser(env.t, role);
      actors.push({ name: role, principal: { kind: 'user', userId: u.id, role, sessionId: '' }, token: u.accessToken });
    }
    // Logging out is a success that ends a session: give it a caller of its own.
    logoutUser = await registerUser(env.t);
  });
  afterAll(async () => {
    await env?.close();
  });

  async function rowCounts(): Promise<Record<string, number>> {
    // Left out: the exchange log, and the two tables whose purpose is to count refused requests:
    // the sensitive routes' rate-limit counters and the failed sign-ins of the account lockout.
    const tables = await db.query<Array<{ table_name: string }>>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
        AND table_name NOT IN ('migrations', 'doku_exchanges', 'rate_limit_counters', 'login_attempts') ORDER BY 1`,
    );
    const out: Record<string, number> = {};
    for (const { table_name } of tables)
      out[table_name] = Number((await db.query<Array<{ n: number }>>(`SELECT COUNT(*)::int AS n FROM "${table_name}"`))[0].n);
    return out;
  }

  const diffCounts = (a: Record<string, number>, b: Record<string, number>) =>
    Object.keys({ ...a, ...b })
      .filter((k) => a[k] !== b[k])
      .map((k) => `${k}: ${a[k]} -> ${b[k]}`);

  function casesFor(route: RouteInfo): BadCase[] {
    const op = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
    const params = (route.path.match(/:([A-Za-z0-9_]+)/g) ?? []).map((p) => p.slice(1));
    const schema = op?.requestBody?.content?.['application/json']?.schema;
    const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : (exampleBody(doc, resolveSchema(doc, schema)) ?? {});
    const cases: BadCase[] = [];
    if (params.length) cases.push(...pathIdCases(params, body, route.method === 'GET' && !/\/:[A-Za-z]+$/.test(route.path)));
    if (route.method === 'GET' || route.method === 'DELETE') {
      cases.push(...queryCases((op?.parameters ?? []).filter((p) => p.in === 'query')));
      return cases;
    }
    const content = op?.requestBody?.content ?? {};
    if ((op?.parameters ?? []).some((p) => p.in === 'header' && p.name.toLowerCase() === 'authorization')) cases.push(...basicAuthCases());
    cases.push(...rawCases(env.t.config.app.bodyLimitBytes, 'application/x-www-form-urlencoded' in content));
    cases.push(...bodyCases(doc, schema, rng.fork(`${route.method} ${route.path}`), FUZZ_ROUNDS));
    const idempotent = (op?.parameters ?? []).some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
    if (idempotent) cases.push(...idempotencyKeyCases(exampleBody(doc, resolveSchema(doc, schema))));
    return cases;
  }

  function callerFor(route: RouteInfo): Actor | undefined {
    if (route.isPublic) return undefined;
    if (route.method === 'POST' && route.path === '/v1/auth/logout') {
      return {
        name: 'user (logout)',
        principal: { kind: 'user', userId: logoutUser.id, role: 'user', sessionId: '' },
        token: logoutUser.accessToken,
      };
    }
    return actors.find((a) => isAllowed(route.rule, a.principal));
  }

  function pathFor(route: RouteInfo, c: BadCase): string {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
      if (c.pathParams?.[name] !== undefined) return c.pathParams[name];
      // A valid id that names nothing: the route's own checks run, not the id's.
      return name === 'userId' ? walletUser.id : rng.hex(8) + '-' + rng.hex(4) + '-4' + rng.hex(3) + '-8' + rng.hex(3) + '-' + rng.hex(12);
    });
    return c.query ? `${path}?${c.query}` : path;
  }

  it('every endpoint refuses generated bad input with a 4xx and the stable error body, without calling DOKU or writing anything', async () => {
    const t0 = Date.now();
    const categories = new Tally();
    const byStatus = new Tally();
    const problems: string[] = [];
    let rejected = 0;
    let accepted = 0;
    let dokuCallsOnRejected = 0;
    let covered = 0;
    const before = await rowCounts();
    const requestsBefore = env.http.requests;

    // Invalid-by-construction input first, with the row counts of every table around it; then the
    // rest (fuzz, query garbage), which a server may legitimately accept.
    const planned: Array<{ route: RouteInfo; caller?: Actor; c: BadCase }> = [];
    for (const route of routes) {
      const caller = callerFor(route);
      if (!route.isPublic && !caller) {
        problems.push(`${route.method} ${route.path}: no caller admitted`);
        continue;
      }
      const cases = casesFor(route);
      if (cases.length > 0) covered++;
      for (const c of cases) planned.push({ route, caller, c });
    }
    const ordered = [...planned.filter((p) => p.c.invalid), ...planned.filter((p) => !p.c.invalid)];
    let written: string[] = [];
    for (const [i, { route, caller, c }] of ordered.entries()) {
      if (i > 0 && ordered[i - 1].c.invalid && !c.invalid) written = diffCounts(before, await rowCounts());
      {
        const path = pathFor(route, c);
        const headers: Record<string, string> = { ...(c.headers ?? {}) };
        const idempotent = (doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()]?.parameters ?? []).some(
          (p) => p.name.toLowerCase() === 'idempotency-key',
        );
        let idempotencyKey: string | undefined;
        if (c.idempotencyKey === null) idempotencyKey = undefined;
        else if (c.idempotencyKey !== undefined) idempotencyKey = c.idempotencyKey;
        else if (idempotent) idempotencyKey = `r6-${rng.hex(24)}`;
        const callsBefore = env.simCallCount();
        let res: RawResponse;
        try {
          res = await env.http.send(route.method, path, {
            token: caller?.token,
            headers,
            idempotencyKey,
            ...(c.raw
              ? { body: c.raw.body, contentType: c.raw.contentType }
              : c.json !== undefined
                ? { body: JSON.stringify(c.json), contentType: 'application/json' }
                : {}),
          });
        } catch (e) {
          // undici refuses some header values itself (control characters): nothing reached the app.
          if (c.category === 'bad idempotency key' && /header/i.test((e as Error).message)) {
            categories.add('refused by the client');
            continue;
          }
          throw e;
        }
        const dokuCalls = env.simCallCount() - callsBefore;
        categories.add(c.category);
        byStatus.add(String(res.status));
        const where = `${route.method} ${route.path} [${c.category}: ${c.label}] -> ${res.status}`;
        if (res.status >= 500) problems.push(`${where} ${res.text.slice(0, 300)}`);
        if (LEAK.test(res.text)) problems.push(`${where} leaks internals: ${res.text.slice(0, 300)}`);
        if (res.status >= 400) {
          rejected++;
          dokuCallsOnRejected += dokuCalls;
          if (dokuCalls > 0) problems.push(`${where}: ${dokuCalls} DOKU call(s) for a rejected request`);
          const key = `${route.method} ${route.path}`;
          const stable = OAUTH_ROUTES.has(key)
            ? isOAuthErrorBody(res.json)
            : CUSTOMER_PAGE_ROUTES.has(key)
              ? isCustomerPage(res)
              : isStableErrorBody(res.json) || (SNAP_ROUTES.has(key) && isSnapBody(res.json));
          if (!stable) problems.push(`${where}: unstable error body ${res.text.slice(0, 300)}`);
          if (res.status >= 500) continue;
        } else {
          accepted++;
          if (c.invalid) problems.push(`${where}: accepted ${res.text.slice(0, 300)}`);
        }
        const expected =
          SIGNED_BODY_ROUTES.has(`${route.method} ${route.path}`) && READ_AFTER_SIGNATURE.has(c.category) ? [401] : c.expectStatus;
        if (expected && !expected.includes(res.status)) problems.push(`${where}: expected ${expected.join('/')}`);
      }
    }
    const minimum = {
      'wrong type': 20,
      'missing field': 10,
      'invalid JSON': 20,
      'wrong content type': 20,
      'bad amount': 10,
      'huge string': 10,
      'control characters': 10,
      '__proto__ key': 10,
      'bad idempotency key': 10,
      'bad path id': 20,
      'oversize body': 10,
      'unknown field': 10,
      'not an object': 10,
      'bad query': 10,
      'bad credentials': 1,
    };

    printFigures(TEST, {
      routes: routes.length,
      routesCovered: covered,
      requests: env.http.requests - requestsBefore,
      faultsFired: categories.counts,
      rejected,
      accepted,
      byStatus: byStatus.counts,
      dokuCallsOnRejected,
      dokuCallsTotal: env.simCallCount(),
      rowsWritten: written,
      serverErrors: Object.entries(byStatus.counts)
        .filter(([s]) => Number(s) >= 500)
        .reduce((n, [, c]) => n + c, 0),
      problems: problems.length,
      ms: Date.now() - t0,
    });

    if (problems.length && process.env.RELIABILITY_PROBLEMS_FILE) writeFileSync(process.env.RELIABILITY_PROBLEMS_FILE, problems.join('\n'));
    expect(problems.slice(0, 25)).toEqual([]);
    expect(belowMinimum(categories.counts, minimum)).toEqual([]);
    expect(covered).toBe(routes.length);
    expect(written).toEqual([]);
    expect(dokuCallsOnRejected).toBe(0);
    expect(Object.keys(byStatus.counts).filter((s) => Number(s) >= 500)).toEqual([]);
  });
});
