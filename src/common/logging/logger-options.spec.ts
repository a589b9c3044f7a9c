import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loggedRequestHeaders, loggedResponse } from './logger-options';

describe('access log line', () => {
  it('keeps the headers that say who called and how much, shows credentials only as present, and drops the rest', () => {
    expect(
      loggedRequestHeaders({
        host: 'api.example',
        'user-agent': 'app/1.0',
        'content-type': 'application/json',
        'content-length': '42',
        'idempotency-key': 'k-123',
        authorization: 'Bearer secret-token',
        cookie: 'session=abc',
        'authorization-customer': 'Bearer b2b2c',
        'x-signature': 'sig',
        'accept-language': 'id-ID',
        'sec-ch-ua': '"Chromium"',
      }),
    ).toEqual({
      host: 'api.example',
      'user-agent': 'app/1.0',
      'content-type': 'application/json',
      'content-length': '42',
      'idempotency-key': 'k-123',
      authorization: '[redacted]',
      cookie: '[redacted]',
      'authorization-customer': '[redacted]',
      'x-signature': '[redacted]',
    });
  });

  it('writes no credential header that was not sent', () => {
    expect(loggedRequestHeaders({ host: 'h' })).toEqual({ host: 'h' });
  });

  it('describes a response by its status and size', () => {
    const headers: Record<string, unknown> = { 'content-length': '120', 'set-cookie': 'session=abc' };
    expect(loggedResponse({ statusCode: 201, getHeader: (name) => headers[name] })).toEqual({ statusCode: 201, contentLength: 120 });
    expect(loggedResponse({ statusCode: 204, getHeader: () => undefined })).toEqual({ statusCode: 204 });
  });
});

describe('the root logger writing to stdout (a process of its own)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'log-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An entry script that loads the real logger on stdout, counts its writes, then runs `body`. */
  const entry = (name: string, body: string): string => {
    const file = join(dir, `${name}.js`);
    const register = join(__dirname, '..', '..', '..', 'test', 'support', 'register-ts.js');
    writeFileSync(
      file,
      `const fs = require('node:fs');
       let writes = 0;
       const write = fs.write;
       // Counts the writes that carry lines (an idle periodic flush writes nothing).
       fs.write = function (fd, data, ...rest) { if (fd === 1 && data.length > 0) writes++; return write.call(this, fd, data, ...rest); };
       require(${JSON.stringify(register)});
       const { createRootLogger } = require(${JSON.stringify(join(__dirname, 'logger-options.ts'))});
       const log = createRootLogger({ app: { logLevel: 'info' } });
       const writesSoFar = () => writes;
       ${body}`,
    );
    return file;
  };

  it('writes the lines of a busy stream in blocks, not one write per line', () => {
    const file = entry(
      'busy',
      `(async () => {
         // One line per turn of the event loop, as requests finishing one after another log them.
         for (let i = 0; i < 300; i++) {
           log.info({ n: i, pad: 'x'.repeat(150) }, 'line');
           await new Promise((resolve) => setImmediate(resolve));
         }
         process.stderr.write('writes ' + writesSoFar() + '\\n');
       })();`,
    );
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { n: number });
    // Every line arrives, in order, once.
    expect(lines.map((l) => l.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // About 60 KB of lines: at least 4 KiB per write but the last (and any the 100 ms timer makes),
    // so well under 60 writes; one per turn of the event loop gave 120.
    const writes = Number(/writes (\d+)/.exec(run.stderr)?.[1]);
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(60);
  });

  it('writes what it holds when the process exits', () => {
    const file = entry('exit', `for (let i = 0; i < 5; i++) log.info({ n: i }, 'before exit'); process.exit(0);`);
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.status).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { n: number }).n),
    ).toEqual([0, 1, 2, 3, 4]);
  });

  it('does not hold a lone line of an idle process until more come', async () => {
    // One line, then nothing for 20 s: the line must come out long before the process ends.
    const file = entry('idle', `log.info({ n: 1 }, 'alone'); setTimeout(() => {}, 20000);`);
    const child = spawn(process.execPath, [file], { env: { ...process.env, NODE_OPTIONS: '' } });
    try {
      const [line, arrived] = await new Promise<[string, number]>((resolve, reject) => {
        child.stdout.setEncoding('utf8').once('data', (data: string) => resolve([data, Date.now()]));
        child.once('exit', () => reject(new Error('exited before writing the line')));
      });
      const written = JSON.parse(line) as { msg: string; time: number };
      expect(written.msg).toBe('alone');
      // From the line's own timestamp (start-up not included): it waits at most 100 ms for a block to fill.
      expect(arrived - written.time).toBeLessThan(2000);
    } finally {
      child.kill();
    }
  });
});
