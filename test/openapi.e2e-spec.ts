import type { RouteInfo } from './support/routes';
import { listRoutes } from './support/routes';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  schema?: { example?: unknown };
}
interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  items?: Schema;
  example?: unknown;
  properties?: Record<string, Schema>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes?: Record<string, { type: string; scheme?: string; bearerFormat?: string }>;
  };
}

/**
 * Money-moving POSTs: they move the user's or the partner's money at DOKU. Each must be
 * `@Idempotent()` and document the Idempotency-Key header. A new money route belongs here.
 */
const MONEY_MOVING = [
  'POST /v1/admin/purchases/:id/refunds',
  'POST /v1/admin/users/:userId/top-ups',
  'POST /v1/bank-transfers',
  'POST /v1/purchases',
  'POST /v1/purchases/:id/cancel',
  'POST /v1/users/:userId/purchases',
  'POST /v1/users/:userId/purchases/:id/cancel',
  'POST /v1/users/:userId/purchases/:id/refunds',
  'POST /v1/users/:userId/top-ups',
];

/**
 * Operations that answer without a JSON body of a DTO: HTML pages (DOKU's browser redirects),
 * 204, and the health probes (fixed tiny bodies). Everything else documents its response schema.
 */
const NO_RESPONSE_SCHEMA = [
  'GET /health/live',
  'GET /health/ready',
  'GET /v1/callbacks/doku/binding',
  'GET /v1/callbacks/doku/purchase',
  'GET /v1/callbacks/doku/registration',
  'POST /v1/auth/logout',
  'DELETE /admin/api/session',
];

const routeKey = (r: RouteInfo) => `${r.method} ${r.path}`;
const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

describe('The OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let routes: RouteInfo[];
  /**
   * DOKU-facing routes are NOT part of the partner API and are deliberately left out of the
   * document: DOKU's notification token request and the notify endpoints (SNAP's and the checkout's, described
   * in docs/doku-integration.md#notifications, not ours to offer), and /metrics (the scraper's). DOKU's
   * browser redirects (/v1/callbacks/doku/...) ARE documented: the user's browser lands there. The
   * back-office console's files (/admin) are not API either.
   */
  let excluded: string[];

  beforeAll(async () => {
    t = await startTestApp();
    routes = listRoutes(t.app);
    excluded = [
      'POST /authorization/v1/access-token/b2b',
      `POST ${t.config.doku.notificationPath}`,
      // The e-Wallet checkout's notifications (non-SNAP, docs/channels.md#doku-e-wallet-checkout).
      `POST ${t.config.doku.checkout?.notificationPath ?? '/v1/callbacks/doku/checkout'}`,
      'GET /metrics',
      // The back-office console's page and scripts: files for the browser, not API operations.
      'GET /admin',
      'GET /admin/assets/:name',
    ];
    const res = await t.http().get('/docs/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body as OpenApiDocument;
  });
  afterAll(async () => {
    await t?.close();
  });

  const operation = (r: RouteInfo): Operation | undefined => doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
  const documented = () => routes.filter((r) => !excluded.includes(routeKey(r)));

  it('documents every route except the DOKU-facing ones and /metrics, which are deliberately absent', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(routes.length).toBeGreaterThan(40);
    // The exclusions are real routes (a renamed path would otherwise make this test vacuous) ...
    expect(excluded.filter((key) => !routes.some((r) => routeKey(r) === key))).toEqual([]);
    // ... and absent from the document.
    expect(routes.filter((r) => excluded.includes(routeKey(r)) && operation(r)).map(routeKey)).toEqual([]);

    const missing = documented()
      .filter((r) => !operation(r))
      .map(routeKey);
    expect(missing).toEqual([]);
    expect(
      documented()
        .filter((r) => r.path.startsWith('/v1/callbacks/doku/'))
        .map(routeKey),
    ).toEqual([
      'GET /v1/callbacks/doku/binding',
      'GET /v1/callbacks/doku/purchase',
      'GET /v1/callbacks/doku/purchase/status',
      'GET /v1/callbacks/doku/registration',
    ]);

    // Nothing in the document that the app does not serve.
    const served = new Set(routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
    const invented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m} ${path}`)
        .filter((key) => !served.has(key)),
    );
    expect(invented).toEqual([]);
  });

  it('gives every property of every schema an example (or a $ref / array of $ref to a schema with examples)', () => {
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas).length).toBeGreaterThan(40);
    const refTarget = (ref: string) => ref.replace('#/components/schemas/', '');
    const refsOf = (p: Schema): string[] | null => {
      if (p.$ref) return [p.$ref];
      if (p.allOf?.length && p.allOf.every((x) => x.$ref)) return p.allOf.map((x) => x.$ref as string);
      if (p.type === 'array' && p.items?.$ref) return [p.items.$ref];
      return null;
    };
    const problems: string[] = [];
    for (const [name, schema] of Object.entries(schemas)) {
      const properties = Object.entries(schema.properties ?? {});
      if (properties.length === 0) problems.push(`${name}: no properties`);
      for (const [field, property] of properties) {
        const refs = refsOf(property);
        if (refs) {
          // The target is itself checked by this loop; here it only has to exist.
          for (const ref of refs) if (!schemas[refTarget(ref)]) problems.push(`${name}.${field}: dangling ${ref}`);
        } else if (property.example === undefined) {
          problems.push(`${name}.${field}: no example`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents the request body and the JSON response of every operation by a schema, and every query parameter with an example', () => {
    const problems: string[] = [];
    for (const r of documented()) {
      const op = operation(r);
      if (!op) continue;
      const key = routeKey(r);
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (op.requestBody && !body?.$ref) problems.push(`${key}: request body without a schema`);
      const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      const withSchema = success.filter(([, response]) => Object.values(response.content ?? {}).some((c) => refOrArrayOfRef(c.schema)));
      if (NO_RESPONSE_SCHEMA.includes(key)) continue;
      if (withSchema.length === 0) problems.push(`${key}: no response schema`);
      for (const p of op.parameters ?? []) {
        if (p.in === 'query' && p.example === undefined && p.schema?.example === undefined)
          problems.push(`${key}: query ${p.name} without an example`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents the required Idempotency-Key header on every money-moving POST, and only those are @Idempotent', () => {
    expect(
      routes
        .filter((r) => r.idempotent)
        .map(routeKey)
        .sort(),
    ).toEqual([...MONEY_MOVING].sort());
    const problems: string[] = [];
    for (const r of routes.filter((x) => MONEY_MOVING.includes(routeKey(x)))) {
      const header = operation(r)?.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      if (!header) problems.push(`${routeKey(r)}: no Idempotency-Key header`);
      else if (header.required !== true || (header.example ?? header.schema?.example) === undefined)
        problems.push(`${routeKey(r)}: Idempotency-Key not required or without example`);
    }
    expect(problems).toEqual([]);
  });

  it('declares bearer auth on every non-public route, and none on the public ones', () => {
    const schemes = doc.components.securitySchemes ?? {};
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const usesBearer = (op: Operation) => (op.security ?? []).some((s) => Object.keys(s).includes('bearer'));
    const unsecured = documented()
      .filter((r) => !r.isPublic && !usesBearer(operation(r) as Operation))
      .map(routeKey);
    expect(unsecured).toEqual([]);
    const securedPublic = documented()
      .filter((r) => r.isPublic && usesBearer(operation(r) as Operation))
      .map(routeKey);
    expect(securedPublic).toEqual([]);
  });
});

function refOrArrayOfRef(schema: Schema | undefined): boolean {
  return Boolean(schema?.$ref || (schema?.type === 'array' && schema.items?.$ref));
}
