import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Ports nothing listens on now, from the system: a port picked at random can be taken by another
 * server or an outgoing connection (the random range overlaps the ephemeral one).
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
}

let port = 0;
let cliPort = 0;
beforeAll(async () => {
  port = await freePort();
  do cliPort = await freePort();
  while (cliPort === port);
});
const runner = join(__dirname, 'support', 'embedded-pg-runner.js');
const cliRunner = join(__dirname, 'support', 'cli-runner.js');

/** Starts the launcher in its own process, the way the app does; resolves once the server answers. */
function launch(dataDir: string, action: 'hold' | 'stop', on = port): Promise<{ child: ChildProcess; reused: boolean; url: string }> {
  const child = spawn(process.execPath, [runner, dataDir, String(on), action], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const line = d.toString().trim().split('\n')[0];
      resolve({ child, ...(JSON.parse(line) as { reused: boolean; url: string }) });
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`launcher exited with ${code}: ${err}`)));
  });
}

/**
 * Runs an operator command (`npm run migration:run` and the others) in its own process, on the
 * embedded PostgreSQL of `dataDir` (no DATABASE_URL), as an operator would next to `npm start`.
 */
function cli(dataDir: string, pgPort: number, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliRunner, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      EMBEDDED_PG_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

async function answers(url: string): Promise<boolean> {
  return select1(url).then(
    (one) => one === 1,
    () => false,
  );
}

const exited = (child: ChildProcess) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));

async function select1(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end();
  }
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Embedded PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('recovers from a server left running by a process killed with SIGKILL, then stops cleanly', async () => {
    const first = await launch(dataDir, 'hold');
    expect(first.reused).toBe(false);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const orphan = postmasterPid(dataDir);
    expect(alive(orphan)).toBe(true);

    // The next start finds the orphan through postmaster.pid and reuses it instead of failing.
    const second = await launch(dataDir, 'stop');
    expect(second.reused).toBe(true);
    await exited(second.child);
    for (let i = 0; i < 100 && alive(orphan); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(orphan)).toBe(false);

    // A fresh start on the same data directory after a clean stop.
    const third = await launch(dataDir, 'hold');
    expect(third.reused).toBe(false);
    expect(await select1(third.url)).toBe(1);
    third.child.kill('SIGKILL');
    await exited(third.child);
    const fourth = await launch(dataDir, 'stop');
    await exited(fourth.child);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  }, 90_000);

  it('starts afresh when postmaster.pid names a process that no longer exists', async () => {
    writeFileSync(join(dataDir, 'postmaster.pid'), `999999\n${dataDir}\n0\n${port}\n`);
    const started = await launch(dataDir, 'hold');
    try {
      expect(started.reused).toBe(false);
      expect(await select1(started.url)).toBe(1);
    } finally {
      started.child.kill('SIGKILL');
      await exited(started.child);
      const stopper = await launch(dataDir, 'stop');
      await exited(stopper.child);
    }
  }, 90_000);
});

describe('The operator CLI on the embedded PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'embedded-pg-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Stops the server a held launcher started (as Ctrl-C on `npm start` would). */
  async function stopHeld(held: { child: ChildProcess }, on = cliPort): Promise<void> {
    held.child.kill('SIGKILL');
    await exited(held.child);
    const stopper = await launch(dataDir, 'stop', on);
    await exited(stopper.child);
  }

  it('leaves running the server the app started, also when told another port, and stops only one it started itself', async () => {
    // `npm start` has started the embedded server.
    const app = await launch(dataDir, 'hold', cliPort);
    expect(app.reused).toBe(false);
    const serverPid = postmasterPid(dataDir);
    try {
      // An operator runs a management command beside it: it uses that server and leaves it running.
      const first = await cli(dataDir, cliPort, 'migration:run');
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      expect((JSON.parse(first.stdout) as { applied: string[] }).applied.length).toBeGreaterThan(0);
      expect(alive(serverPid)).toBe(true);
      expect(await answers(app.url)).toBe(true);

      // Configured with another port, it still finds the running server through postmaster.pid,
      // uses it where it listens (the migrations are already there), and does not stop it.
      const elsewhere = await cli(dataDir, cliPort + 1, 'migration:run');
      expect({ code: elsewhere.code, stderr: elsewhere.stderr, out: JSON.parse(elsewhere.stdout) }).toEqual({
        code: 0,
        stderr: '',
        out: { applied: [] },
      });
      expect(postmasterPid(dataDir)).toBe(serverPid);
      expect(await answers(app.url)).toBe(true);
    } finally {
      await stopHeld(app);
    }
    expect(alive(serverPid)).toBe(false);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);

    // With no server running, the command starts one on the same data (nothing left to apply)
    // and stops it again when it finishes.
    const alone = await cli(dataDir, cliPort, 'migration:run');
    expect({ code: alone.code, stderr: alone.stderr, out: JSON.parse(alone.stdout) }).toEqual({
      code: 0,
      stderr: '',
      out: { applied: [] },
    });
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(await answers(app.url)).toBe(false);
  }, 180_000);
});
