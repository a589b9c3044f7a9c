// scripts/dockerfile.js: what scripts/docker-replay.sh reads out of the Dockerfile and .dockerignore.
const { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { assembleRuntime, cmdOf, copies, dockerignore, envOf, parseDockerfile, replayBuild } = require('./dockerfile');

const root = join(__dirname, '..');
const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const [build] = stages;
const runtime = stages[stages.length - 1];
const ignored = dockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));

describe('the Dockerfile, as the replay reads it', () => {
  it('builds from exactly these files of the build context, each present and not left out by .dockerignore', () => {
    const sources = copies(build).map((c) => c.source);
    expect(sources).toEqual([
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
      'src',
      'migrations',
      'simulator',
      // The back-office console: `npm run build` bundles it into dist/console.
      'console',
      'scripts/build-console.js',
    ]);
    for (const source of sources) {
      expect({ source, exists: existsSync(join(root, source)), ignored: ignored(source) }).toEqual({
        source,
        exists: true,
        ignored: false,
      });
    }
  });

  it('installs with plain npm ci from the lockfile first, then builds and drops the dev dependencies', () => {
    const runs = build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs[0]).toMatch(/^npm ci( --no-audit| --no-fund)*$/);
    expect(runs[runs.length - 1]).toBe('npm run build && npm prune --omit=dev');
  });

  it("runs from the build stage's node_modules, dist, package.json and the simulator's partner file, in production", () => {
    expect(copies(runtime).map((c) => [c.from, c.source, c.dest])).toEqual([
      ['build', '/app/node_modules', './node_modules'],
      ['build', '/app/dist', './dist'],
      ['build', '/app/package.json', './package.json'],
      ['build', '/app/simulator/dev-partner.json', './simulator/dev-partner.json'],
    ]);
    expect(cmdOf(runtime)).toEqual(['node', '--max-semi-space-size=32', '--no-memory-reducer', 'dist/src/main.js']);
    expect(envOf(runtime)).toEqual({ NODE_ENV: 'production' });
  });
});

describe('.dockerignore', () => {
  it('leaves installed and built output, local data, secrets, version control and test output out of the context', () => {
    for (const path of [
      'node_modules',
      'node_modules/pg/package.json',
      'simulator/node_modules/x',
      'dist/src/main.js',
      '.data/postgres/PG_VERSION',
      '.git/HEAD',
      'coverage/lcov.info',
      'reports/junit.xml',
      'npm-debug.log',
      '.env',
      '.env.local',
      'test/auth.e2e-spec.ts',
    ]) {
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
    }
    for (const path of ['src/main.ts', 'simulator/dev-partner.json', 'migrations', '.env.example', 'package-lock.json']) {
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: false });
    }
  });

  it('matches like Docker: root-relative, ** for any depth, the last matching rule wins', () => {
    const match = dockerignore('a\n**/*.log\nlogs\n!logs/keep.log\n');
    expect([match('a'), match('a/b'), match('x/a'), match('x/y/z.log'), match('logs/other.txt'), match('logs/keep.log')]).toEqual([
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
  });
});

describe('replaying a Dockerfile', () => {
  let dir;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dockerfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const context = (dockerfile) => {
    const ctx = join(dir, 'ctx');
    mkdirSync(join(ctx, 'src', 'node_modules'), { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    writeFileSync(join(ctx, '.dockerignore'), '**/node_modules\n*.secret\n');
    writeFileSync(join(ctx, 'a.json'), '{}');
    writeFileSync(join(ctx, 'src', 'main.txt'), 'main');
    writeFileSync(join(ctx, 'src', 'node_modules', 'junk'), 'junk');
    return ctx;
  };
  const quiet = () => undefined;

  it('copies what COPY names (without what .dockerignore leaves out), runs RUN in order, then assembles the runtime', () => {
    const ctx = context(
      'FROM node:24 AS build\nWORKDIR /app\nCOPY a.json ./\nCOPY src ./src\nRUN cat src/main.txt > out.txt && \\\n  echo built >> out.txt\n' +
        'FROM node:24 AS runtime\nENV NODE_ENV=production\nWORKDIR /app\nCOPY --from=build --chown=node:node /app/out.txt ./out.txt\nUSER node\nCMD ["node", "x.js"]\n',
    );
    replayBuild(ctx, join(dir, 'build'), quiet);
    expect(readFileSync(join(dir, 'build', 'src', 'main.txt'), 'utf8')).toBe('main');
    expect(existsSync(join(dir, 'build', 'src', 'node_modules'))).toBe(false);
    expect(readFileSync(join(dir, 'build', 'out.txt'), 'utf8')).toBe('mainbuilt\n');
    assembleRuntime(ctx, join(dir, 'build'), join(dir, 'runtime'), quiet);
    expect(readFileSync(join(dir, 'runtime', 'out.txt'), 'utf8')).toBe('mainbuilt\n');
    expect(existsSync(join(dir, 'runtime', 'a.json'))).toBe(false);
  });

  it('refuses what it cannot replay faithfully: a COPY of an ignored or missing file, a failing RUN, an unknown instruction', () => {
    expect(() => replayBuild(context('FROM n AS build\nWORKDIR /app\nCOPY x.secret ./\n'), join(dir, 'b1'), quiet)).toThrow(
      /leaves out of the build context/,
    );
    expect(() => replayBuild(context('FROM n AS build\nWORKDIR /app\nCOPY missing.json ./\n'), join(dir, 'b2'), quiet)).toThrow(
      /does not exist/,
    );
    expect(() => replayBuild(context('FROM n AS build\nWORKDIR /app\nRUN exit 4\n'), join(dir, 'b3'), quiet)).toThrow(/failed \(exit 4\)/);
    expect(() => replayBuild(context('FROM n AS build\nVOLUME /data\n'), join(dir, 'b4'), quiet)).toThrow(/VOLUME is not understood/);
  });
});

describe('docker-compose.yml', () => {
  const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  /** The lines of one service (two-space indented key under `services:`). */
  const service = (name) => {
    const start = text.indexOf(`\n  ${name}:\n`);
    const rest = text.slice(start + 1);
    const end = rest.slice(1).search(/\n {2}\S|\n\S/);
    return end < 0 ? rest : rest.slice(0, end + 1);
  };
  const publicUrl = /x-simulator-public-url: &simulator-public-url (\S+)/.exec(text)?.[1];

  it('builds the image once: the app builds and names it, the simulator only runs it', () => {
    expect(text.match(/^\s*build:/gm)).toHaveLength(1);
    expect(service('app')).toMatch(/\n {4}build: \.\n {4}image: doku-wallet-partner:local\n/);
    expect(service('simulator')).toContain('\n    image: doku-wallet-partner:local\n');
    expect(service('simulator')).not.toContain('build:');
  });

  it("gives the simulator the host's URL for its links, apart from the internal one the app calls", () => {
    expect(publicUrl).toBe('http://localhost:4010');
    expect(service('simulator')).toContain('SIMULATOR_PUBLIC_URL: *simulator-public-url');
    expect(service('simulator')).toMatch(/ports: \[["']4010:4010["']\]/);
    expect(service('app')).toContain('DOKU_BASE_URL: http://simulator:4010');
    expect(service('app')).toContain('SIMULATOR_PUBLIC_URL: *simulator-public-url');
    expect(text).not.toMatch(/https?:\/\/0\.0\.0\.0/);
  });
});
