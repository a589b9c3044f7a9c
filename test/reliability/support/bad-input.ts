import type { Rng } from './harness';

/** The OpenAPI document the app serves (`/docs/openapi.json`), the part the generator reads. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface OpenApiOperation {
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

export interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  format?: string;
}

/** One generated request. `invalid`: no correct server may accept it (a 2xx is a finding). */
export interface BadCase {
  category: string;
  label: string;
  invalid: boolean;
  /** Replaces the path's parameters (already URL-safe as given). */
  pathParams?: Record<string, string>;
  query?: string;
  /** Raw body and content type; or `json` to send as JSON. */
  raw?: { body: string | Buffer; contentType?: string };
  json?: unknown;
  /** Idempotency-Key to send; undefined = a fresh valid one on idempotent routes, null = none. */
  idempotencyKey?: string | null;
  headers?: Record<string, string>;
  /** The status the case must get, when docs/reliability.md (R6) or the contract names one. */
  expectStatus?: number[];
}

export function resolveSchema(doc: OpenApiDoc, schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++) s = doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')];
  return s;
}

/** The OpenAPI path (`/v1/x/{id}`) of a Nest route path (`/v1/x/:id`). */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** A body every field of which is its documented example: valid by the contract. */
export function exampleBody(doc: OpenApiDoc, schema: Schema | undefined): Record<string, unknown> | undefined {
  const s = resolveSchema(doc, schema);
  if (!s || s.type !== 'object' || !s.properties) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(s.properties)) {
    const p = resolveSchema(doc, prop);
    if (p?.example !== undefined) out[name] = p.example;
    else if (p?.type === 'object') out[name] = exampleBody(doc, p) ?? {};
  }
  return out;
}

const CONTROL = '\u0000\u0007\u001b';

/** Values no number field of this API accepts (amounts are JSON integers >= 1, within a limit). */
function badNumbers(): Array<[string, unknown]> {
  return [
    ['amount 0', 0],
    ['amount -1', -1],
    ['amount 1e20', 1e20],
    ['amount "10.001"', '10.001'],
    ['amount 10.5', 10.5],
    ['numeric string', '10'],
    // 2^53: the first integer past the safe range.
    ['unsafe integer', Number.MAX_SAFE_INTEGER + 1],
    ['null', null],
    ['boolean', true],
    ['array', [1]],
    ['object', { value: '10000.00', currency: 'IDR' }],
  ];
}

function badStrings(prop: Schema, required: boolean): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [
    ['number', 12345],
    ['boolean', false],
    ['array', ['x']],
    ['object', { x: 'y' }],
    ['control characters', CONTROL],
    ['__proto__ object', JSON.parse('{"__proto__":{"polluted":true}}')],
  ];
  if (prop.maxLength !== undefined) out.push(['over maxLength', 'x'.repeat(prop.maxLength + 1)]);
  if (required) {
    out.push(['null', null]);
    out.push(['empty', '']);
  }
  if (prop.enum) out.push(['not in enum', 'NOT_A_VALUE']);
  return out;
}

/** Random JSON junk of random shape, for the full-size fuzz rounds. */
export function junk(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 5 : 7)) {
    case 0:
      return rng.pick([0, -1, -0.5, 1e308, -1e308, 2 ** 53 + 1, 3.14159]);
    case 1:
      return rng.pick([true, false, null]);
    case 2:
      return Array.from({ length: rng.int(0, 40) }, () => String.fromCharCode(rng.int(0, 0x2fff))).join('');
    case 3:
      return rng.pick(['0', '-1', '1e20', '10.001', 'NaN', 'Infinity', '0x10', ' 1 ', '١٢٣']);
    case 4:
      return rng.pick(["' OR 1=1 --", '${jndi:ldap://127.0.0.1/a}', '<script>alert(1)</script>', '../../etc/passwd', '\u202e\u0000']);
    case 5:
      return 'z'.repeat(rng.int(200, 5000));
    case 6:
      return Array.from({ length: rng.int(0, 4) }, () => junk(rng, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, (_, i) => [`k${i}${rng.hex(3)}`, junk(rng, depth + 1)]));
  }
}

/**
 * Field-level cases for a JSON body schema: wrong types, bad amounts, missing required fields,
 * control characters, over-long strings, unknown fields; one field wrong at a time, the rest valid.
 */
export function bodyCases(doc: OpenApiDoc, schema: Schema | undefined, rng: Rng, fuzzRounds: number): BadCase[] {
  const s = resolveSchema(doc, schema);
  const base = exampleBody(doc, s);
  if (!s || !base || !s.properties) return [];
  const cases: BadCase[] = [];
  const required = new Set(s.required ?? []);
  const withField = (name: string, value: unknown) => ({ ...base, [name]: value });
  for (const [name, raw] of Object.entries(s.properties)) {
    const prop = resolveSchema(doc, raw) ?? {};
    if (required.has(name)) {
      const rest = { ...base };
      delete rest[name];
      cases.push({ category: 'missing field', label: `no ${name}`, invalid: true, json: rest });
    }
    let values: Array<[string, unknown]> = [];
    if (prop.type === 'number' || prop.type === 'integer') values = badNumbers();
    else if (prop.type === 'string') values = badStrings(prop, required.has(name));
    else if (prop.type === 'array') {
      values = [
        ['string', 'x'],
        ['object', { a: 1 }],
        ['number', 7],
        ['bad element', [12345]],
      ];
      if (prop.maxItems !== undefined)
        values.push([
          'over maxItems',
          Array.from({ length: prop.maxItems + 1 }, () => (base[name] && Array.isArray(base[name]) ? (base[name] as unknown[])[0] : 'x')),
        ]);
      const element = resolveSchema(doc, prop.items);
      const first = Array.isArray(base[name]) ? (base[name] as unknown[])[0] : undefined;
      if (element?.properties && first && typeof first === 'object') {
        for (const inner of bodyCases(doc, element, rng.fork(name), 0)) {
          cases.push({ ...inner, label: `${name}[0]: ${inner.label}`, json: withField(name, [inner.json]) });
        }
      }
    } else if (prop.type === 'boolean')
      values = [
        ['string', 'true'],
        ['number', 1],
        ['null', null],
      ];
    for (const [label, value] of values) {
      const category = label.startsWith('amount')
        ? 'bad amount'
        : label === 'control characters'
          ? 'control characters'
          : label.includes('__proto__')
            ? '__proto__ key'
            : 'wrong type';
      cases.push({ category, label: `${name}: ${label}`, invalid: true, json: withField(name, value) });
    }
    // A field bigger than the whole body limit: refused before anything reads it (413).
    cases.push({
      category: 'huge string',
      label: `${name}: 100k characters`,
      invalid: true,
      json: withField(name, 'x'.repeat(100_000)),
      expectStatus: [413],
    });
    for (let i = 0; i < fuzzRounds; i++) {
      const value = junk(rng);
      // Junk may happen to be valid for a free-text field; only its server-side effects are checked.
      cases.push({ category: 'fuzz', label: `${name}: junk #${i}`, invalid: false, json: withField(name, value) });
    }
  }
  cases.push({ category: 'unknown field', label: 'unknown field', invalid: true, json: { ...base, zzUnknownField: 1 } });
  cases.push({ category: 'unknown field', label: 'mass assignment: status', invalid: true, json: { ...base, status: 'SUCCESS' } });
  for (const json of [[], 'text', 42, null, true, [base]]) {
    cases.push({ category: 'not an object', label: `body ${JSON.stringify(json).slice(0, 30)}`, invalid: true, json });
  }
  return cases;
}

/** Raw-body cases every body-taking route gets: broken JSON, wrong content types, poisoned keys, oversize. */
export function rawCases(bodyLimitBytes: number, acceptsForm: boolean): BadCase[] {
  const cases: BadCase[] = [
    {
      category: 'invalid JSON',
      label: 'truncated',
      invalid: true,
      raw: { body: '{"amount": ', contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: 'invalid JSON',
      label: 'single quotes',
      invalid: true,
      raw: { body: "{'amount': 1}", contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: 'invalid JSON',
      label: 'trailing comma',
      invalid: true,
      raw: { body: '{"amount": 1,}', contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: 'invalid JSON',
      label: 'empty with a JSON content type',
      invalid: true,
      raw: { body: '', contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: 'invalid JSON',
      label: 'NaN literal',
      invalid: true,
      raw: { body: '{"amount": NaN}', contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: 'invalid JSON',
      label: 'binary',
      invalid: true,
      raw: { body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]), contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: 'wrong content type',
      label: 'text/plain',
      invalid: true,
      raw: { body: '{"amount":1}', contentType: 'text/plain' },
      expectStatus: [415],
    },
    {
      category: 'wrong content type',
      label: 'application/xml',
      invalid: true,
      raw: { body: '<amount>1</amount>', contentType: 'application/xml' },
      expectStatus: [415],
    },
    {
      category: 'wrong content type',
      label: 'multipart',
      invalid: true,
      raw: { body: '--x\r\n\r\n1\r\n--x--', contentType: 'multipart/form-data; boundary=x' },
      expectStatus: [415],
    },
    {
      category: 'wrong content type',
      label: 'octet-stream',
      invalid: true,
      raw: { body: Buffer.from('{"amount":1}'), contentType: 'application/octet-stream' },
      expectStatus: [415],
    },
    {
      category: '__proto__ key',
      label: '__proto__ at the top',
      invalid: true,
      raw: { body: '{"__proto__":{"isAdmin":true},"amount":1}', contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: '__proto__ key',
      label: 'constructor.prototype',
      invalid: true,
      raw: { body: '{"constructor":{"prototype":{"isAdmin":true}}}', contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: '__proto__ key',
      label: 'nested __proto__',
      invalid: true,
      raw: { body: '{"items":[{"__proto__":{"x":1}}]}', contentType: 'application/json' },
      expectStatus: [400],
    },
    {
      category: 'oversize body',
      label: `${bodyLimitBytes + 1024} bytes`,
      invalid: true,
      raw: { body: JSON.stringify({ pad: 'x'.repeat(bodyLimitBytes + 1024) }), contentType: 'application/json' },
      expectStatus: [413],
    },
  ];
  if (acceptsForm) {
    cases.push({
      category: 'invalid JSON',
      label: 'form with a broken encoding',
      invalid: true,
      raw: { body: 'grant_type=%E0%A4%A&client_id=%', contentType: 'application/x-www-form-urlencoded' },
    });
  }
  return cases;
}

/** Bad Idempotency-Keys on a valid body: missing 400, malformed 400. */
export function idempotencyKeyCases(validBody: unknown): BadCase[] {
  const keys: Array<[string, string | null]> = [
    ['missing', null],
    ['empty', ''],
    ['too short', 'abc'],
    ['space inside', 'key with spaces 123'],
    ['unicode', 'ключ-идемпотентности'],
    ['129 characters', 'k'.repeat(129)],
    ['control character', 'key\u0001-12345678'],
    ['quote and semicolon', `k'";--12345678`],
  ];
  return keys.map(([label, key]) => ({
    category: 'bad idempotency key',
    label,
    invalid: true,
    json: validBody ?? {},
    idempotencyKey: key,
    expectStatus: [400],
  }));
}

/**
 * Path ids that name nothing: every one must be a 4xx (404 where it is an object id). `body` is a
 * valid body for the route, so the id is what gets judged; on a list of a user's things an id
 * that is well formed but names no one may answer an empty list.
 */
export function pathIdCases(params: string[], body: unknown, listRoute: boolean): BadCase[] {
  const values: Array<[string, string]> = [
    ['not a uuid', 'abc'],
    ['zero', '0'],
    ['negative', '-1'],
    ['sql', encodeURIComponent("1' OR '1'='1")],
    ['nul byte', '%00'],
    ['traversal', '..%2F..%2Fadmin'],
    ['uuid-ish too long', '00000000-0000-0000-0000-0000000000000'],
    ['nil uuid', '00000000-0000-0000-0000-000000000000'],
    ['long', 'a'.repeat(90)],
    ['unicode', encodeURIComponent('идентификатор')],
    ['json', encodeURIComponent('{"$ne":null}')],
  ];
  return params.flatMap((p) =>
    values.map(([label, value]) => ({
      category: 'bad path id',
      label: `${p}: ${label}`,
      invalid: !(listRoute && label === 'nil uuid'),
      pathParams: { [p]: value },
      json: body,
    })),
  );
}

/** Broken HTTP Basic credentials (the OAuth token route reads them before the body). */
export function basicAuthCases(): BadCase[] {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const values: Array<[string, string]> = [
    ['malformed percent-encoding', `Basic ${b64('%E0%A4%A:secret')}`],
    ['NUL in the id', `Basic ${b64('svc\u0000id:secret')}`],
    ['not base64', 'Basic !!!***'],
    ['no colon', `Basic ${b64('justanid')}`],
    ['empty', 'Basic '],
  ];
  return values.map(([label, value]) => ({
    category: 'bad credentials',
    label,
    invalid: true,
    raw: { body: 'grant_type=client_credentials', contentType: 'application/x-www-form-urlencoded' },
    headers: { authorization: value },
  }));
}

/** Query garbage for list routes: wrong types, huge values, repeated parameters, control characters. */
export function queryCases(params: Array<{ name: string; schema?: Schema }>): BadCase[] {
  const cases: BadCase[] = [];
  for (const p of params) {
    const numeric = p.schema?.type === 'number' || p.schema?.type === 'integer';
    const values: Array<[string, string, boolean]> = numeric
      ? [
          ['letters', 'abc', true],
          // Out of range may be clamped or refused (R10); never a 5xx.
          ['negative', '-1', false],
          ['1e20', '1e20', false],
          ['fraction', '10.5', false],
          ['10,000', '10000', false],
          ['empty', '', false],
        ]
      : [
          ['control characters', '%00%07', false],
          ['5k characters', 'q'.repeat(5000), false],
          ['sql', encodeURIComponent("' OR 1=1 --"), false],
        ];
    for (const [label, value, invalid] of values) {
      cases.push({ category: 'bad query', label: `${p.name}: ${label}`, invalid, query: `${p.name}=${value}` });
    }
    cases.push({ category: 'bad query', label: `${p.name}: repeated`, invalid: false, query: `${p.name}=1&${p.name}=2` });
  }
  cases.push({ category: 'bad query', label: 'unknown parameter', invalid: false, query: 'zzUnknown=1' });
  cases.push({
    category: 'bad query',
    label: '__proto__ parameter',
    invalid: false,
    query: '__proto__%5Bpolluted%5D=1&constructor%5Bprototype%5D%5Bx%5D=1',
  });
  return cases;
}
