/**
 * What the purchase and notification benches share: a fresh database, the DOKU simulator and the
 * backend each in a process of their own, users with bound wallets, HTTP load loops and figures.
 *
 * Database: a fresh database created for the run on DATABASE_URL's server when it is set (e.g. the
 * CI machine's postgres://postgres@127.0.0.1:5432/test), dropped afterwards; otherwise an embedded
 * PostgreSQL in a temporary directory, removed afterwards.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { Pool } from 'undici';
import { DEV_DOKU_CREDENTIALS } from '../../src/config/dev-credentials';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { DokuClient } from '../../src/integrations/doku/snap/doku.client';
import { jakartaTimestamp } from '../../src/integrations/doku/snap/doku-signature';
import { asyncContextFrameFlags } from '../../src/runtime/async-context-frame';
import { InMemoryExternalIdGenerator } from '../../src/integrations/doku/testing/in-memory-external-id-generator';
import type { AppStats } from './sql-tally';
import { EXPOSE_GC, statsPath } from './process-memory';
import { TEST_ONLY_SIGNING_KEY_PEM } from '../../src/config/signing-keys';

/** The benchmark app's access-token key, the published test-only one, passed explicitly (it runs with NODE_ENV=production). */
export const BENCH_JWT_SIGNING_KEY = TEST_ONLY_SIGNING_KEY_PEM;
export const BENCH_JWT_ISSUER = 'doku-wallet-partner';
/** The partner the benches' own direct DOKU calls use (same keys as the development partner). */
export const BENCH_PARTNER_ID = 'BRN-0001-1700000000999';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${raw}")`);
  return n;
}

// ---- Database ----

export interface BenchDatabase {
  url: string;
  /** Where it lives, for the header line. */
  where: string;
  /** A further fresh database on the same server, dropped with this one. */
  another(label: string): Promise<string>;
  drop(): Promise<void>;
}

export async function benchDatabase(label: string): Promise<BenchDatabase> {
  const name = `bench_${label}_${randomBytes(4).toString('hex')}`;
  const external = process.env.DATABASE_URL;
  const others: string[] = [];
  const another = async (server: string, label: string): Promise<string> => {
    const other = `bench_${label}_${randomBytes(4).toString('hex')}`;
    await adminQuery(server, `CREATE DATABASE "${other}"`);
    others.push(other);
    return withDatabase(server, other);
  };
  if (external) {
    await adminQuery(external, `CREATE DATABASE "${name}"`);
    return {
      url: withDatabase(external, name),
      where: `fresh database ${name} on ${new URL(external).host}`,
      another: (label) => another(external, label),
      drop: async () => {
        for (const db of [name, ...others]) await adminQuery(external, `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  const port = envNumber('BENCH_EMBEDDED_PG_PORT', 54_339);
  const embedded = await startEmbeddedPostgres({ dataDir, port, log: () => undefined }).catch((e: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    // It fails without a reason of its own when the port is taken, most often by another bench still running.
    const why = e instanceof Error ? e.message : 'no reason given';
    throw new Error(
      `the embedded PostgreSQL did not start on port ${port} (${why}): is another bench running? BENCH_EMBEDDED_PG_PORT picks another port`,
    );
  });
  try {
    await adminQuery(embedded.url, `CREATE DATABASE "${name}"`);
  } catch (e) {
    await embedded.stop();
    throw e;
  }
  return {
    url: withDatabase(embedded.url, name),
    where: `embedded PostgreSQL (${dataDir})`,
    another: (label) => another(embedded.url, label),
    drop: async () => {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Moves a migrated database's X-EXTERNAL-ID sequence to `first`, for a bench that runs two
 * backends on databases of their own against one DOKU (which refuses an id it has seen that day).
 * Call it before the backend's first DOKU call: a block reserved earlier keeps its ids.
 */
export async function startExternalIdsAt(url: string, first: bigint): Promise<void> {
  await adminQuery(url, `SELECT setval('doku_external_id_seq', ${first.toString()}, false)`);
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// ---- Child processes ----

interface Started {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** node options for every server the benches start, e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them. */
export function childNodeArgs(): string[] {
  return (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** Forks a compiled bench module; resolves with the URL it reports over IPC once it listens. */
export async function forkReady(
  module: string,
  args: string[],
  env: Record<string, string>,
  init?: unknown,
  execArgv: string[] = childNodeArgs(),
): Promise<Started> {
  const child = fork(module, args, {
    env: { ...process.env, ...env },
    execArgv,
    // stdout (the app's JSON logs at the configured level) is written, then discarded by the OS.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.on('message', (m: { type?: string; url?: string }) => m?.type === 'ready' && resolve(m.url as string));
    child.once('exit', (code) => reject(new Error(`${module} exited with ${code} before it was ready`)));
    if (init !== undefined) child.send(init as object);
  });
  return {
    child,
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- HTTP ----

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** A keep-alive undici pool to one base URL. */
export class Http {
  readonly pool: Pool;

  constructor(
    readonly base: string,
    connections: number,
  ) {
    this.pool = new Pool(base, { connections, pipelining: 1 });
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await this.pool.request({
      method: method,
      path,
      body: payload,
      headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
    });
    const text = await res.body.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, json };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

// ---- The simulator and the app ----

export interface SimulatorProcess {
  url: string;
  http: Http;
  /** The simulator's control API (`/_sim/...`); throws on anything but 200. */
  control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Record<string, unknown>>;
  /** The simulator process's CPU time so far (user + system, µs), from /proc; undefined where there is none. */
  cpuMicros(): number | undefined;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(): Promise<SimulatorProcess> {
  const started = await forkReady(join(__dirname, 'simulator-process.js'), [], { BENCH_PARTNER_ID });
  const http = new Http(started.url, 8);
  return {
    url: started.url,
    http,
    control: async (method, path, body) => {
      const res = await http.request(method, `/_sim${path}`, body);
      if (res.status !== 200) throw new Error(`simulator control ${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
      return res.json ?? {};
    },
    cpuMicros: () => (started.child.pid === undefined ? undefined : processCpuMicros(started.child.pid)),
    stop: async () => {
      await http.close();
      await started.stop();
    },
  };
}

export interface AppProcess {
  url: string;
  /** With `collect`, the memory includes the live heap after a full collection (the end of a bench only). */
  stats(collect?: boolean): Promise<AppStats>;
  counting(on: boolean): Promise<void>;
  /** Makes the backend forget what it cached of these principals (PrincipalCache names: `user:<id>`). */
  forgetPrincipals(names: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The backend in its own process (bench/support/app-process.ts), production mode with the
 * development secrets given explicitly, on the bench database, DOKU = the simulator.
 *
 * Set apart from production defaults, and why:
 * - the reconciler and webhook workers are off: every bench purchase stays PENDING (nobody enters a
 *   PIN), so the reconciler would spend the run polling thousands of them, which is not the
 *   request path being measured;
 * - rate limits are raised out of reach (the throttler still runs and counts): one load generator
 *   on 127.0.0.1 is one client address.
 */
/**
 * The V8 options the backend runs with in production, on node's command line (the Dockerfile's CMD,
 * `npm start`, `npm run start:prod`; scripts/server-flags.spec.js keeps them the same; V8 refuses
 * `--no-memory-reducer` in NODE_OPTIONS). A larger young generation, so the short-lived objects of
 * each request die in it instead of being collected several times or promoted; and no memory
 * reducer, whose full, compacting collection after a burst stopped the backend for about 45 ms
 * (docs/performance.md). The bench's backend runs with them too.
 */
export const SERVER_NODE_FLAGS = '--max-semi-space-size=32 --no-memory-reducer';

/**
 * node's command-line options for a backend process: the production V8 options, the caller's
 * BENCH_CHILD_NODE_ARGS, and on Node 22 the async context frame flag the server's own entry would
 * restart itself with (src/runtime).
 */
function serverExecArgv(): string[] {
  const execArgv = [...SERVER_NODE_FLAGS.split(' '), EXPOSE_GC, ...childNodeArgs()];
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  return [...execArgv, ...asyncContextFrameFlags({ version: process.versions.node, execArgv, nodeOptions })];
}

/** `processes` > 1: that many backend processes behind one port (app-process.ts, node's cluster). */
export async function startAppProcess(databaseUrl: string, dokuBaseUrl: string, processes = 1): Promise<AppProcess> {
  const creds = DEV_DOKU_CREDENTIALS;
  const started = await forkReady(
    join(__dirname, 'app-process.js'),
    [],
    {
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      BENCH_DATABASE_URL: databaseUrl,
      DATABASE_URL: databaseUrl,
      DOKU_BASE_URL: dokuBaseUrl,
      JWT_SIGNING_KEYS: BENCH_JWT_SIGNING_KEY,
      JWT_ISSUER: BENCH_JWT_ISSUER,
      DOKU_CLIENT_ID: creds.clientId,
      DOKU_CLIENT_SECRET: creds.clientSecret,
      DOKU_PRIVATE_KEY: creds.partnerPrivateKeyPem,
      DOKU_PUBLIC_KEY: creds.dokuPublicKeyPem,
      DOKU_AUTH_CODE_KEY: creds.authCodeKey,
      DOKU_TOKEN_ENCRYPTION_KEY: creds.tokenEncryptionKey,
      RECONCILER_ENABLED: 'false',
      WEBHOOKS_ENABLED: 'false',
      // The bench reads the backend's own timings from its metrics (app-timings.ts), outside the timed rounds.
      METRICS_ACCESS: 'public',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_SENSITIVE_PER_MINUTE: '1000000',
      MIGRATIONS_RUN_ON_START: 'true',
      BENCH_PROCESSES: String(processes),
    },
    undefined,
    serverExecArgv(),
  );
  const http = new Http(started.url, 4);
  return {
    url: started.url,
    stats: async (collect = false) => (await http.request('GET', statsPath(collect))).json as unknown as AppStats,
    counting: async (on) => {
      const res = await http.request('POST', '/_bench/counting', { on });
      if (res.json?.counting !== on) throw new Error(`could not switch SQL counting ${on ? 'on' : 'off'}: ${res.status} ${res.text}`);
    },
    forgetPrincipals: async (names) => {
      const res = await http.request('POST', '/_bench/forget-principals', { names });
      if (res.json?.forgotten !== names.length) throw new Error(`could not forget principals: ${res.status} ${res.text}`);
    },
    stop: async () => {
      await http.close();
      await started.stop();
    },
  };
}

// ---- Users with bound wallets ----

export interface BenchUser {
  id: string;
  phone: string;
  accessToken: string;
  /** The user's DOKU account bound to the backend's partner. */
  accountId: string;
}

let phoneCounter = 0;
function uniquePhone(): string {
  return `628${String(Date.now() % 1e5).padStart(5, '0')}${String(process.pid % 100).padStart(2, '0')}${String(phoneCounter++).padStart(3, '0')}`;
}

/**
 * Users registered through the app's API, each with a wallet bound the way a customer binds one:
 * a DOKU account with the user's phone, `POST /v1/wallet/binding`, the simulator's consent page
 * approved with the PIN like a browser, and its redirect followed to the app's binding callback.
 */
export async function createBoundUsers(app: Http, sim: SimulatorProcess, count: number): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i++) {
    const phone = uniquePhone();
    const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
    const password = 'correct horse battery staple';
    const reg = await app.request('POST', '/v1/auth/register', { name: `Bench User ${i}`, email, phone, password });
    if (reg.status !== 202) throw new Error(`register: ${reg.status} ${reg.text.slice(0, 300)}`);
    const signIn = await app.request('POST', '/v1/auth/login', { email, password });
    if (signIn.status !== 200) throw new Error(`login: ${signIn.status} ${signIn.text.slice(0, 300)}`);
    const tokens = signIn.json as { accessToken: string };
    const user = (await app.request('GET', '/v1/me', undefined, { authorization: `Bearer ${tokens.accessToken}` })).json as { id: string };
    const account = await sim.control('POST', '/accounts', { phoneNo: phone, pin: '123456', balance: '20000000.00' });
    const auth = { authorization: `Bearer ${tokens.accessToken}` };
    const bind = await app.request('POST', '/v1/wallet/binding', { accountId: account.accountId }, auth);
    if (bind.status !== 201) throw new Error(`binding: ${bind.status} ${bind.text.slice(0, 300)}`);
    const callback = await submitPinPage(String(bind.json?.nextAction), { pin: '123456', action: 'approve' });
    const done = await fetch(callback, { redirect: 'manual' });
    if (done.status !== 200) throw new Error(`binding callback: ${done.status} ${(await done.text()).slice(0, 300)}`);
    const wallet = await app.request('GET', '/v1/wallet', undefined, auth);
    if (wallet.json?.status !== 'BOUND') throw new Error(`wallet not bound: ${wallet.text.slice(0, 300)}`);
    users.push({ id: user.id, phone, accessToken: tokens.accessToken, accountId: String(account.accountId) });
  }
  return users;
}

/** A browser on one of the simulator's PIN pages: GET the form, POST it, return the redirect's Location. */
async function submitPinPage(pageUrl: string, fields: Record<string, string>): Promise<string> {
  const page = await fetch(pageUrl, { redirect: 'manual' });
  const html = await page.text();
  const unescape = (s: string) =>
    s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string);
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || !action || !token) throw new Error(`no PIN form at ${pageUrl} (${page.status})`);
  const post = await fetch(new URL(unescape(action), pageUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: unescape(token), ...fields }).toString(),
  });
  const location = post.headers.get('location');
  if (post.status !== 302 || !location) throw new Error(`PIN form answered ${post.status}`);
  return location;
}

// ---- Direct DOKU calls (the bench partner) ----

export interface DirectAccount {
  accountId: string;
  phone: string;
  customerToken: string;
}

export interface DirectCredentials {
  clientId: string;
  clientSecret: string;
  b2bToken: string;
  accounts: DirectAccount[];
}

/**
 * Accounts bound to the bench partner and the tokens to use them: one B2B token, and a customer
 * token per account from the authCode the simulator hands out. Fetched once with our DokuClient
 * (the RSA-signed token endpoints); the measured calls are then signed inline.
 */
export async function directCredentials(sim: SimulatorProcess, count: number): Promise<DirectCredentials> {
  const creds = DEV_DOKU_CREDENTIALS;
  let token = '';
  const client = new DokuClient(
    {
      baseUrl: sim.url,
      clientId: BENCH_PARTNER_ID,
      clientSecret: creds.clientSecret,
      privateKeyPem: creds.partnerPrivateKeyPem,
      timeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      maxResponseBytes: 1024 * 1024,
      poolConnections: 4,
      pathOverrides: {},
    },
    {
      tokens: { getToken: async () => token, invalidate: async () => undefined },
      externalIds: new InMemoryExternalIdGenerator(),
      recorder: { record: async () => undefined },
    },
  );
  try {
    token = (await client.b2bToken()).body.accessToken ?? '';
    const accounts: DirectAccount[] = [];
    for (let i = 0; i < count; i++) {
      const phone = uniquePhone();
      const account = await sim.control('POST', '/accounts', {
        phoneNo: phone,
        pin: '123456',
        balance: '20000000.00',
        bindTo: BENCH_PARTNER_ID,
      });
      const granted = await client.b2b2cToken({ grantType: 'authorization_code', authCode: String(account.authCode) });
      accounts.push({ accountId: String(account.accountId), phone, customerToken: String(granted.body.accessToken) });
    }
    return { clientId: BENCH_PARTNER_ID, clientSecret: creds.clientSecret, b2bToken: token, accounts };
  } finally {
    await client.close();
  }
}

/** The SNAP headers of one B2B2C call, signed inline (HMAC-SHA512 over method, path, token, body hash, time). */
export function signedSnapHeaders(
  path: string,
  body: string,
  creds: DirectCredentials,
  customerToken: string,
  externalId: string,
): Record<string, string> {
  const timestamp = jakartaTimestamp(new Date());
  const hash = createHash('sha256').update(body).digest('hex');
  const signature = createHmac('sha512', creds.clientSecret).update(`POST:${path}:${creds.b2bToken}:${hash}:${timestamp}`).digest('base64');
  return {
    'content-type': 'application/json',
    authorization: `Bearer ${creds.b2bToken}`,
    'authorization-customer': `Bearer ${customerToken}`,
    'x-timestamp': timestamp,
    'x-signature': signature,
    'x-partner-id': creds.clientId,
    'x-external-id': externalId,
  };
}

// ---- Load ----

export interface ClosedLoopResult {
  /** Completed calls per second. */
  rate: number;
  calls: number;
  failures: number;
  firstFailure?: string;
  p50: number;
  p99: number;
}

export interface ClosedLoopOptions {
  concurrency: number;
  /** Stop starting calls after this many... */
  calls?: number;
  /** ...or after this many seconds, whichever comes first. */
  seconds?: number;
}

/**
 * `concurrency` workers, each starting its next call when its last one answered, until `calls`
 * calls were started or `seconds` have passed; the calls in flight then finish and count. The rate
 * is the calls completed over the time until the last one answered. `one` throws (or rejects) for
 * an answer that is not the expected one.
 */
export async function closedLoop(options: ClosedLoopOptions, one: (i: number) => Promise<void>): Promise<ClosedLoopResult> {
  const limit = options.calls ?? Number.POSITIVE_INFINITY;
  if (!Number.isFinite(limit) && options.seconds === undefined) throw new Error('closedLoop needs calls or seconds');
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = options.seconds === undefined ? Number.POSITIVE_INFINITY : started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < limit && performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        try {
          await one(i);
        } catch (e) {
          failures += 1;
          firstFailure ??= (e as Error).message;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / seconds,
    calls: latencies.length,
    failures,
    firstFailure,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

export interface OpenLoopResult {
  calls: number;
  failures: number;
  firstFailure?: string;
  /** Milliseconds from each call's scheduled start to its answer, sorted. */
  latencies: number[];
  /** The latest a call left after its scheduled time (the generator falling behind). */
  maxLateMs: number;
  /** Megabytes of dirty page cache written to disk before the loop started (flushDirtyPages). */
  flushedMb: number;
}

/**
 * A fixed arrival rate (open loop): call i leaves at i / rate seconds whatever happened to the
 * earlier ones, and its latency counts from that scheduled time, so a generator that falls behind
 * counts against the figures instead of hiding a slow server.
 */
export async function openLoop(rate: number, seconds: number, one: (i: number) => Promise<void>): Promise<OpenLoopResult> {
  const flushedMb = flushDirtyPages();
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let maxLateMs = 0;
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now() + 5;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + (next * 1000) / rate <= now) {
        const i = next++;
        const scheduled = start + (i * 1000) / rate;
        maxLateMs = Math.max(maxLateMs, now - scheduled);
        inFlight.push(
          one(i).then(
            () => void latencies.push(performance.now() - scheduled),
            (e: unknown) => {
              failures += 1;
              firstFailure ??= (e as Error).message;
              latencies.push(performance.now() - scheduled);
            },
          ),
        );
      }
      if (next < total) setTimeout(tick, Math.max(0, Math.min(4, start + (next * 1000) / rate - performance.now())));
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return { calls: total, failures, firstFailure, latencies, maxLateMs, flushedMb };
}

/** Megabytes of the page cache waiting to be written to disk (Linux; 0 elsewhere). */
function dirtyMb(): number {
  try {
    const kb = /^Dirty:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return kb ? Number(kb[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Writes the page cache's dirty pages to disk (`sync`) and answers how many megabytes there were.
 * The closed loops before an open loop leave tens of megabytes of PostgreSQL's writes in the page
 * cache, which the kernel writes back about 30 s later, during whatever is measured then: the
 * commits of that moment wait on it. Seen in bench:notifications: 69 MB written back in the middle of
 * an open-loop round took its acknowledgement p99 from about 11 ms to 50-80 ms, on whichever side
 * was running (docs/performance.md, thirteenth round). So every side of every open-loop round starts
 * on a written-back cache.
 */
function flushDirtyPages(): number {
  const before = dirtyMb();
  spawnSync('sync', { stdio: 'ignore' });
  return round(before, 0);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

/** Clock ticks per second of the CPU times in /proc (CLK_TCK), read once. */
let clockTicks: number | undefined;

/** CPU time in /proc's ticks to µs (throws where getconf is missing). */
function ticksToMicros(ticks: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (ticks * 1e6) / clockTicks;
}

/** A /proc/<pid>/stat line's process name and its CPU ticks so far (user + system). */
function parseStat(stat: string): { name: string; ticks: number } {
  const close = stat.lastIndexOf(')');
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  const fields = stat.slice(close + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Whether a process's title (what `ps` shows of a PostgreSQL backend) names `database`. */
function processTitleNames(pid: string, database: string): boolean {
  try {
    return ` ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')} `.includes(` ${database} `);
  } catch {
    return false;
  }
}

/** CPU time (user + system, µs) of one process so far, from /proc; undefined where it cannot be read. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    return ticksToMicros(parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ticks);
  } catch {
    return undefined;
  }
}

/** This process's CPU time so far (user + system, µs). */
export function ownCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The most calls a second this machine's cores allow when every call costs `micros` of CPU in all. */
export function coresAllow(micros: number): number {
  return Math.round((cpus().length * 1e6) / micros);
}

/**
 * CPU time (user + system, µs) of every PostgreSQL process on this machine, read from /proc: the
 * server the benches use is local (the CI server or the embedded one). Undefined where /proc is not
 * there or no process is named postgres (a server elsewhere). Processes that exit between two readings
 * take their time with them, so the pools are kept open while a side is measured.
 *
 * With `database`, only the processes serving that database (a connection's process title names its
 * database): its connections' statements, and an autovacuum worker only while one runs.
 */
export function postgresCpuMicros(database?: string): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    ticksToMicros(0); // throws where getconf is missing, like readdirSync without /proc
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const parsed = parseStat(stat);
    if (parsed.name !== 'postgres') continue;
    if (database !== undefined && !processTitleNames(pid, database)) continue;
    ticks += parsed.ticks;
    found = true;
  }
  return found ? ticksToMicros(ticks) : undefined;
}

/** What a database wrote to PostgreSQL's WAL between two positions: records and bytes, in all and by relation. */
export interface WalWritten {
  records: number;
  bytes: number;
  /** By the relation of each record's first block (its table or index); records that name no block by kind, e.g. `(Transaction)` for commits. */
  byRelation: Map<string, { records: number; bytes: number }>;
}

/**
 * PostgreSQL's WAL position now, and a reader of what `url`'s database wrote since, through the
 * pg_walinspect extension (PostgreSQL 15's contrib, created in that database on first use; it
 * needs a superuser or pg_read_server_files). WAL is the server's, not a database's: records
 * naming a block of another database are left out, and records naming none (commits, mostly) are
 * counted whoever wrote them, so only one side may run between the two positions.
 */
export async function walSince(url: string): Promise<() => Promise<WalWritten>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    const from = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
    return async () => {
      const reader = new Client({ connectionString: url });
      await reader.connect();
      try {
        const rows = (
          await reader.query<{ relation: string; records: number; bytes: string }>(
            `WITH w AS (
               SELECT resource_manager, record_length, substring(block_ref from 'rel \\d+/(\\d+)/\\d+')::oid AS db,
                      substring(block_ref from 'rel \\d+/\\d+/(\\d+)')::oid AS file
                 FROM pg_get_wal_records_info($1::pg_lsn, pg_current_wal_lsn()))
             SELECT COALESCE(c.relname::text, CASE WHEN w.file IS NULL THEN '(' || w.resource_manager || ')' ELSE '(relation ' || w.file || ')' END) AS relation,
                    count(*)::int AS records, sum(w.record_length)::text AS bytes
               FROM w LEFT JOIN pg_class c ON c.relfilenode = w.file AND c.relfilenode <> 0
              WHERE w.db IS NULL OR w.db = (SELECT oid FROM pg_database WHERE datname = current_database())
              GROUP BY 1`,
            [from],
          )
        ).rows;
        const byRelation = new Map(rows.map((r) => [r.relation, { records: r.records, bytes: Number(r.bytes) }]));
        return {
          records: rows.reduce((n, r) => n + r.records, 0),
          bytes: rows.reduce((n, r) => n + Number(r.bytes), 0),
          byRelation,
        };
      } finally {
        await reader.end();
      }
    };
  } finally {
    await client.end();
  }
}

/** The machine's load when the run starts, for the header: other work on a 2-core box moves the figures. */
export function machineLine(): string {
  return `${cpus().length} cores, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, node ${process.version}`;
}
