import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

const port = 55000 + Math.floor(Math.random() * 4000);
const runner = join(__dirname, 'support', 'embedded-pg-runner.js');

/** Starts the launcher in its own process, the way the app does; resolves once the server answers. */
function launch(dataDir: string, action: 'hold' | 'stop'): Promise<{ child: ChildProcess; reused: boolean; url: string }> {
  const child = spawn(process.execPath, [runner, dataDir, String(port), action], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const line = d.toString().trim().split('\n')[0];
      resolve({ child, ...(JSON.parse(line) as { reused: boolean; url: string }) });
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`launcher exited with ${code}: ${err}`)));
  });
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
