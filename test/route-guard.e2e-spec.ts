import { randomUUID } from 'node:crypto';
import { isAllowed } from '../src/common/auth/access.guard';
import type { Principal } from '../src/common/auth/principal';
import { SERVICE_SCOPES } from '../src/clients/entities/service-client.entity';
import { registerUser, serviceToken } from './support/actors';
import type { RouteInfo } from './support/routes';
import { listRoutes } from './support/routes';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/**
 * Routes anyone may call without a token. Adding a route here is a deliberate decision that a
 * reviewer sees; every other route must refuse a missing token and a token of the wrong kind.
 */
const PUBLIC_ROUTES = [
  // The public keys that verify our access tokens (JWKS), for other services.
  'GET /.well-known/jwks.json',
  // The back-office console's page and scripts (no data), and its sign-in and session check
  // (docs/back-office.md#the-console); every piece of data comes from the back-office API.
  'GET /admin',
  'GET /admin/api/session',
  'POST /admin/api/session',
  'GET /admin/assets/:name',
  // DOKU's token request before it sends notifications; its RSA signature is the credential.
  'POST /authorization/v1/access-token/b2b',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  // DOKU's notifications; the token we issued and DOKU's signature over the raw body are checked.
  'POST /v1.0/debit/notify',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/register',
  // DOKU's browser redirects after PIN creation and binding approval (docs/doku-integration.md#pin-pages).
  'GET /v1/callbacks/doku/binding',
  // DOKU's e-Wallet checkout notifications; the merchant's signature over the raw body is checked.
  'POST /v1/callbacks/doku/checkout',
  // DOKU's PIN page return (PAY_RETURN); shows what Query Purchase says, changes nothing by itself.
  'GET /v1/callbacks/doku/purchase',
  // What the "payment being confirmed" page polls: whether the outcome is known, nothing else.
  'GET /v1/callbacks/doku/purchase/status',
  'GET /v1/callbacks/doku/registration',
  'POST /v1/oauth/token',
];

interface Actor {
  name: string;
  principal: Principal;
  token: string;
}

describe('Deny by default: the route-guard walk', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  let actors: Actor[];

  beforeAll(async () => {
    t = await startTestApp();
    routes = listRoutes(t.app);
    actors = [];
    for (const role of ['user', 'admin', 'support', 'finance'] as const) {
      const u = await registerUser(t, role);
      actors.push({ name: `user:${role}`, principal: { kind: 'user', userId: u.id, role, sessionId: '' }, token: u.accessToken });
    }
    const narrow = await serviceToken(t, ['wallets:read']);
    actors.push({
      name: 'service:wallets:read',
      principal: { kind: 'service', clientId: narrow.clientId, scopes: ['wallets:read'] },
      token: narrow.token,
    });
    const wide = await serviceToken(t, [...SERVICE_SCOPES]);
    actors.push({
      name: 'service:all',
      principal: { kind: 'service', clientId: wide.clientId, scopes: [...SERVICE_SCOPES] },
      token: wide.token,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (route: RouteInfo, token?: string) => {
    const path = route.path.replace(/:[A-Za-z]+/g, randomUUID());
    const req = t.http()[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path);
    if (token) req.set('authorization', `Bearer ${token}`);
    return route.method === 'GET' || route.method === 'DELETE' ? req : req.send({});
  };

  it('finds the application routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(PUBLIC_ROUTES.length + 2);
  });

  it('every idempotent route takes the reply to write the status of its answer (idempotentAnswer)', () => {
    const idempotent = routes.filter((r) => r.idempotent);
    expect(idempotent.length).toBeGreaterThanOrEqual(9);
    expect(idempotent.filter((r) => !r.replyPassthrough).map((r) => r.handler)).toEqual([]);
  });

  it('only the listed routes are public', () => {
    expect(routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`)).toEqual(PUBLIC_ROUTES);
  });

  it('every non-public route declares who may call it', () => {
    const undeclared = routes.filter((r) => !r.isPublic && !r.rule).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
  });

  it('every non-public route refuses a request without a token, or with a garbage one (401)', async () => {
    for (const route of routes.filter((r) => !r.isPublic)) {
      const none = await call(route);
      expect({ route: `${route.method} ${route.path}`, status: none.status, code: none.body.error?.code }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
        code: 'AUTH.UNAUTHENTICATED',
      });
      const garbage = await call(route, 'not.a.token');
      expect(garbage.status).toBe(401);
    }
  });

  it('every non-public route refuses each token of the wrong kind, role or scope (403)', async () => {
    let refusals = 0;
    for (const route of routes.filter((r) => !r.isPublic)) {
      const wrong = actors.filter((a) => !isAllowed(route.rule, a.principal));
      expect({ route: `${route.method} ${route.path}`, wrongKinds: wrong.length > 0 }).toEqual({
        route: `${route.method} ${route.path}`,
        wrongKinds: true,
      });
      for (const actor of wrong) {
        const res = await call(route, actor.token);
        expect({ route: `${route.method} ${route.path}`, actor: actor.name, status: res.status }).toEqual({
          route: `${route.method} ${route.path}`,
          actor: actor.name,
          status: 403,
        });
        refusals++;
      }
    }
    expect(refusals).toBeGreaterThan(0);
  });
});
