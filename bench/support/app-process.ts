/**
 * The backend as a process of its own for the benches, as it runs in production: `createApp` from
 * src/bootstrap.ts, configured through environment variables by the parent (bench-env.ts
 * `startAppProcess`), answering `{ url }` over IPC once it listens.
 *
 * Two things are added here, inside this process only (never to the product):
 *
 * 1. Raw Fastify routes on the app's own Fastify instance, registered right after Nest creates it
 *    (Fastify refuses new routes once the app is ready, so `NestFactory.create` is wrapped for that):
 *    - `POST /_bench/echo`: answers the JSON body it was sent. The same app, the same Fastify hooks
 *      and body parsing, but no Nest pipeline, no signature, no database: the floor P5 compares the
 *      signed DOKU notification route against.
 *    - `GET /_bench/stats`: the SQL tally below and this process's CPU time.
 *    - `POST /_bench/counting`: `{ "on": true | false }` switches the SQL tally on or off, so the
 *      timed phases run without it.
 *    - `POST /_bench/forget-principals`: `{ "names": ["user:<id>", ...] }` makes the principal cache
 *      forget them, as a change announced by PostgreSQL would (PrincipalCache.forget).
 *
 * 2. A SQL tally (docs/reliability.md, P4). `pg.Client.prototype.query` is wrapped, so every statement
 *    this process sends to PostgreSQL through node-postgres (TypeORM's driver; nothing else talks
 *    to the database) is seen. Each incoming HTTP request runs in an AsyncLocalStorage context
 *    named by its method and path, so a statement is charged to the route whose request caused it,
 *    including work that request left behind for later (a batch flush its timer scheduled, a
 *    notification processed after the acknowledgement), which is tallied apart as the route's
 *    "after the response" part. Statements with no request behind them
 *    (workers, startup) are tallied as `background`. Transaction state is followed per connection,
 *    so each statement is known to be transaction control, inside a transaction, or a standalone
 *    statement (which PostgreSQL commits as a transaction of its own); a COMMIT is known to close
 *    a transaction that wrote or one that only read. A standalone statement that contains a write
 *    counts as one, except a money operation's one-statement commit 1 that claimed nothing (a
 *    replay), whose writes are all conditional on the claim (see `wroteNothing`).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import cluster from 'node:cluster';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createApp } from '../../src/bootstrap';
import { PrincipalCache } from '../../src/common/auth/principal-cache';
import { loadConfig } from '../../src/config/load-config';
import type { AppStats, SqlTally } from './sql-tally';
import { AFTER_RESPONSE, emptyTally } from './sql-tally';
import { processMemory } from './process-memory';
import { gcClock } from './gc-time';
import { ioSyscalls, mainThreadRunQueueMicros } from './proc-io';

/** The database functions the app calls that write (a SELECT of one is a write). */
const WRITING_FUNCTION = /\bdoku_notifications_store\(/;
const WRITE = new RegExp(
  /^\s*(INSERT|UPDATE|DELETE|MERGE)\b|^\s*WITH\b[\s\S]*\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\b|\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|\bFOR\s+SHARE\b/
    .source + `|${WRITING_FUNCTION.source}`,
  'i',
);
const BEGIN = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
const COMMIT = /^\s*(COMMIT|END)\b/i;
const ROLLBACK = /^\s*ROLLBACK\b/i;

/** The tallies of the request whose work is running, and whether its response has been sent. */
interface RequestContext {
  during: SqlTally;
  after: SqlTally;
  answered: boolean;
}

const context = new AsyncLocalStorage<RequestContext>();
const routes = new Map<string, SqlTally>();
const background = emptyTally();
const connections = new WeakMap<object, { open: boolean; wrote: boolean }>();
let counting = false;

/** A standalone statement counted as a write, as the tally can correct it once its result is in. */
type Counted = { tally: SqlTally; shared: number } | undefined;

/**
 * Operations a standalone write over a batch writes: the length of its first array parameter, or of
 * the JSON array a writing function is given (the notification intake).
 */
function sharedBy(text: string, values: unknown): number {
  if (!Array.isArray(values)) return 1;
  if (/\bunnest\(\$1\b/.test(text) && Array.isArray(values[0])) return Math.max(1, values[0].length);
  if (WRITING_FUNCTION.test(text) && typeof values[0] === 'string') {
    const batch: unknown = JSON.parse(values[0]);
    return Array.isArray(batch) ? Math.max(1, batch.length) : 1;
  }
  return 1;
}

function tallyStatement(connection: object, text: string, values: unknown): Counted {
  const request = context.getStore();
  const tally = request ? (request.answered ? request.after : request.during) : background;
  let state = connections.get(connection);
  if (!state) connections.set(connection, (state = { open: false, wrote: false }));
  tally.statements += 1;
  const key = text.replace(/\s+/g, ' ').trim().slice(0, 110);
  tally.byText[key] = (tally.byText[key] ?? 0) + 1;
  if (BEGIN.test(text)) {
    tally.begins += 1;
    state.open = true;
    state.wrote = false;
  } else if (COMMIT.test(text)) {
    if (state.wrote) tally.writeCommits += 1;
    else tally.readCommits += 1;
    state.open = false;
  } else if (ROLLBACK.test(text)) {
    tally.rollbacks += 1;
    state.open = false;
  } else if (state.open) {
    tally.inTransaction += 1;
    if (WRITE.test(text)) state.wrote = true;
  } else if (WRITE.test(text)) {
    tally.standaloneWrites += 1;
    const shared = sharedBy(text, values);
    if (shared > 1) {
      tally.sharedExtra += shared - 1;
      tally.sharedStatements += 1;
    }
    return { tally, shared };
  } else {
    tally.standaloneReads += 1;
  }
  return undefined;
}

/**
 * A money operation's one-statement commit 1 (transactions/idempotency/one-statement.ts) contains
 * INSERTs, all conditional on claiming the key: a row answering `claimed_key_id` null (a replay)
 * wrote nothing for its operation. How many of the statement's operations wrote nothing (a shared
 * commit 1 answers a row per purchase); when all of them, PostgreSQL committed a transaction without
 * a write, counted as a read.
 */
function wroteNothing(result: unknown): number {
  const rows = (result as { rows?: Record<string, unknown>[] } | null)?.rows ?? [];
  return rows.filter((row) => 'claimed_key_id' in row && row.claimed_key_id === null).length;
}

function wrapPg(): void {
  type Query = (this: object, config: unknown, ...rest: unknown[]) => unknown;
  const proto = Client.prototype as unknown as { query: Query };
  const original = proto.query;
  proto.query = function query(this: object, config: unknown, ...rest: unknown[]): unknown {
    let counted: Counted;
    if (counting) {
      const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
      const values = typeof config === 'string' ? rest[0] : (config as { values?: unknown } | null)?.values;
      if (typeof text === 'string') counted = tallyStatement(this, text, values);
    }
    // A key claim that claimed nothing (a replay) wrote nothing: counted as a read once its rows are
    // seen. node-postgres answers by promise, by callback when the pool sends the statement, or
    // through the callback of a query object it was given (prepared statements: common/database/sql.ts).
    const readOnly = (r: unknown): void => {
      const nothing = counted ? wroteNothing(r) : 0;
      if (!counted || nothing === 0) return;
      if (nothing < counted.shared) {
        counted.tally.sharedReads += nothing;
        return;
      }
      counted.tally.standaloneWrites -= 1;
      counted.tally.standaloneReads += 1;
      counted.tally.sharedReads += nothing - 1;
    };
    type Callback = (error: unknown, r: unknown) => unknown;
    const seeing =
      (callback: Callback): Callback =>
      (error, r) => {
        if (!error) readOnly(r);
        return callback(error, r);
      };
    const submittable = config as { submit?: unknown; callback?: unknown } | null;
    if (counted && typeof submittable?.submit === 'function' && typeof submittable.callback === 'function') {
      submittable.callback = seeing(submittable.callback as Callback);
    }
    const last = rest.length > 0 ? rest[rest.length - 1] : undefined;
    if (counted && typeof last === 'function') rest[rest.length - 1] = seeing(last as Callback);
    const result = original.call(this, config, ...rest);
    if (counted && result instanceof Promise) result.then(readOnly, () => undefined);
    return result;
  };
}

const gcMicros = gcClock();

/** Registers the bench-only routes on the app's Fastify instance before Nest makes it ready. */
function addBenchRoutes(): void {
  const create = NestFactory.create.bind(NestFactory);
  (NestFactory as { create: unknown }).create = async (...args: Parameters<typeof NestFactory.create>) => {
    const app = await create<NestFastifyApplication>(...args);
    const fastify = app.getHttpAdapter().getInstance();
    fastify.post('/_bench/echo', async (request) => request.body ?? {});
    fastify.get('/_bench/stats', async (request): Promise<AppStats> => {
      const cpu = process.cpuUsage();
      const collect = (request.query as { collect?: string } | undefined)?.collect === '1';
      return {
        routes: Object.fromEntries(routes),
        background,
        cpuMicros: { user: cpu.user, system: cpu.system },
        gcMicros: gcMicros(),
        syscalls: ioSyscalls(),
        runQueueMicros: mainThreadRunQueueMicros(),
        memory: processMemory(collect),
        counting,
      };
    });
    fastify.post('/_bench/counting', async (request) => {
      counting = (request.body as { on?: unknown } | undefined)?.on === true;
      return { counting };
    });
    fastify.post('/_bench/forget-principals', async (request) => {
      const names = (request.body as { names?: unknown } | undefined)?.names;
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new Error('names: a list of strings');
      const cache = app.get(PrincipalCache);
      for (const name of names) cache.forget(name);
      return { forgotten: names.length };
    });
    return app;
  };
}

function route(name: string): SqlTally {
  let tally = routes.get(name);
  if (!tally) routes.set(name, (tally = emptyTally()));
  return tally;
}

/**
 * Every request runs in a tally context named by its method and path; statements its work sends
 * after its response was sent (batched writes, processing it started) go to the route's
 * `AFTER_RESPONSE` tally. Answered requests are counted, by status, in both.
 */
function tallyRequests(server: Server): void {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    // Outside the counted phases requests run exactly as they would without this wrapper.
    if (!counting || path.startsWith('/_bench/')) {
      for (const h of handlers) h.call(server, req, res);
      return;
    }
    const request: RequestContext = {
      during: route(`${req.method} ${path}`),
      after: route(`${req.method} ${path}${AFTER_RESPONSE}`),
      answered: false,
    };
    res.once('finish', () => {
      request.answered = true;
      for (const t of [request.during, request.after]) {
        t.requests += 1;
        t.statuses[res.statusCode] = (t.statuses[res.statusCode] ?? 0) + 1;
      }
    });
    context.run(request, () => {
      for (const h of handlers) h.call(server, req, res);
    });
  });
}

async function main(): Promise<void> {
  wrapPg();
  addBenchRoutes();
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  if (!databaseUrl) throw new Error('BENCH_DATABASE_URL is required');
  const config = loadConfig(process.env);
  const app = await createApp(config, databaseUrl, { runMigrations: true });
  tallyRequests(app.getHttpServer());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  // The binding callback and PAY_RETURN URLs sent to DOKU must lead back to this process.
  config.app.publicBaseUrl = url;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void app.close().finally(() => process.exit(0));
  };
  process.on('message', (m: unknown) => (m as { type?: string })?.type === 'stop' && stop());
  process.on('disconnect', stop);
  process.send?.({ type: 'ready', url });
}

/**
 * BENCH_PROCESSES=N (N > 1): N backend processes behind one port, as node's cluster module shares
 * it (connections dealt round-robin by this primary, which serves nothing itself). Ready once every
 * worker listens; a stop stops them all. The SQL tally and CPU figures are then per worker, and the
 * scale-out mode reads only throughput.
 */
async function primary(processes: number): Promise<void> {
  const workers = Array.from({ length: processes }, () => cluster.fork());
  const urls = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<string>((resolve, reject) => {
          worker.on('message', (m: { type?: string; url?: string }) => m?.type === 'ready' && resolve(String(m.url)));
          worker.once('exit', (code) => reject(new Error(`an app worker exited with ${code} before it was ready`)));
        }),
    ),
  );
  if (new Set(urls).size !== 1) throw new Error(`the workers listen on different addresses: ${urls.join(', ')}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const exits = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of workers) if (!w.isDead()) w.send({ type: 'stop' });
    void Promise.all(exits).finally(() => process.exit(0));
  };
  process.on('message', (m: unknown) => (m as { type?: string })?.type === 'stop' && stop());
  process.on('disconnect', stop);
  process.send?.({ type: 'ready', url: urls[0] });
}

const processes = Number(process.env.BENCH_PROCESSES ?? '1');
(cluster.isPrimary && processes > 1 ? primary(processes) : main()).catch((e: unknown) => {
  process.stderr.write(`app: ${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
