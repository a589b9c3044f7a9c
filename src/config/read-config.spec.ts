import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './load-config';
import { readConfig } from './read-config';

describe(readConfig.name, () => {
  const saved = { ...process.env };
  const dir = mkdtempSync(join(tmpdir(), 'read-config-'));
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  const envFile = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads a .env file under the process environment, which wins, and does not write it back into the process', async () => {
    process.env.ENV_FILE = envFile(
      'a.env',
      `PORT=3456\nLOG_LEVEL=warn\nEMBEDDED_PG_DATA_DIR=${join(dir, 'pg')}\n# a comment\nRATE_LIMIT_PER_MINUTE="42"\n`,
    );
    process.env.LOG_LEVEL = 'debug';
    const { config, env } = await readConfig();
    expect(config.app.port).toBe(3456);
    expect(config.app.rateLimitPerMinute).toBe(42);
    expect(config.app.logLevel).toBe('debug');
    expect(env.PORT).toBe('3456');
    expect(process.env.PORT).toBe(saved.PORT);
  });

  it('reports every invalid value of the file at once', async () => {
    process.env.ENV_FILE = envFile('b.env', `PORT=abc\nMIGRATIONS_RUN_ON_START=maybe\nEMBEDDED_PG_DATA_DIR=${join(dir, 'pg')}\n`);
    const failure = await readConfig().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems).toEqual(
      expect.arrayContaining(['PORT must be a whole number (got "abc")', 'MIGRATIONS_RUN_ON_START must be true or false (got "maybe")']),
    );
  });

  it('starts without a .env file', async () => {
    process.env.ENV_FILE = join(dir, 'missing.env');
    process.env.EMBEDDED_PG_DATA_DIR = join(dir, 'pg');
    expect((await readConfig()).config.app.port).toBe(Number(saved.PORT ?? 3000));
  });

  it('.env.example names every variable the configuration reads, and starts the app as it is', async () => {
    const root = join(__dirname, '..', '..');
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const source = readFileSync(join(__dirname, 'load-config.ts'), 'utf8');
    const read = new Set(
      [...source.matchAll(/(?:str|int|bool|pem|mode)\('([A-Z][A-Z0-9_]+)'|env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? m[2]),
    );
    expect([...read].filter((k) => !documented.has(k))).toEqual([]);
    expect(read.size).toBeGreaterThan(50);
    process.env.ENV_FILE = join(root, '.env.example');
    delete process.env.NODE_ENV; // jest sets test
    process.env.EMBEDDED_PG_DATA_DIR = join(dir, 'pg');
    expect((await readConfig()).config.app).toMatchObject({ env: 'development', port: 3000 });
  });
});
