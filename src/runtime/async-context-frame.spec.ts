import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ASYNC_CONTEXT_FRAME_FLAG, asyncContextFrameFlags } from './async-context-frame';

describe('asyncContextFrameFlags', () => {
  const on = (version: string, execArgv: string[] = [], nodeOptions = ''): string[] =>
    asyncContextFrameFlags({ version, execArgv, nodeOptions });

  it('asks for the flag on Node 22 only', () => {
    expect(on('22.13.0')).toEqual([ASYNC_CONTEXT_FRAME_FLAG]);
    expect(on('22.23.5', ['--max-semi-space-size=32'], '--enable-source-maps')).toEqual([ASYNC_CONTEXT_FRAME_FLAG]);
    expect(on('24.11.0')).toEqual([]);
    expect(on('26.0.0')).toEqual([]);
    expect(on('20.20.2')).toEqual([]);
  });

  it('leaves a choice already made on the command line or in NODE_OPTIONS', () => {
    expect(on('22.23.5', [ASYNC_CONTEXT_FRAME_FLAG])).toEqual([]);
    expect(on('22.23.5', [], `--max-semi-space-size=32 ${ASYNC_CONTEXT_FRAME_FLAG}`)).toEqual([]);
    expect(on('22.23.5', [], '--no-experimental-async-context-frame')).toEqual([]);
  });
});

describe('the server restarting itself under the flag (runtime/restart.ts)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'acf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the same process with the same arguments, and request context still follows awaits', () => {
    const entry = join(dir, 'entry.js');
    const register = join(__dirname, '..', '..', 'test', 'support', 'register-ts.js');
    const restart = join(__dirname, 'restart.ts');
    // Like main.ts: the restart is the first thing the entry loads.
    writeFileSync(
      entry,
      `process.stdout.write('start ' + process.pid + '\\n');
       require(${JSON.stringify(register)});
       require(${JSON.stringify(restart)});
       const { AsyncLocalStorage } = require('node:async_hooks');
       const als = new AsyncLocalStorage();
       als.run({ id: 'r1' }, async () => {
         await new Promise((resolve) => setTimeout(resolve, 5));
         await Promise.resolve();
         process.stdout.write(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, args: process.argv.slice(2), store: als.getStore() }) + '\\n');
       });`,
    );
    const env = { ...process.env, NODE_OPTIONS: '' };
    const run = spawnSync(process.execPath, ['--max-semi-space-size=32', entry, 'one', '--two'], { env, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const report = JSON.parse(lines.at(-1)!) as { pid: number; execArgv: string[]; args: string[]; store: unknown };
    const starts = lines.filter((l) => l.startsWith('start ')).map((l) => Number(l.slice(6)));

    const restarts = typeof (process as unknown as { execve?: unknown }).execve === 'function';
    const expected = restarts ? asyncContextFrameFlags({ version: process.versions.node, execArgv: [], nodeOptions: '' }) : [];
    expect(report.execArgv).toEqual(['--max-semi-space-size=32', ...expected]);
    // Restarted: the entry began twice, in one process; otherwise once.
    expect(starts).toEqual(expected.length > 0 ? [report.pid, report.pid] : [report.pid]);
    expect(report.args).toEqual(['one', '--two']);
    expect(report.store).toEqual({ id: 'r1' });
  });
});
