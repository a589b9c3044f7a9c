// scripts/run-built.js on a throwaway project whose "build" counts its runs, so a rebuild is seen.
const { spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const script = join(__dirname, 'run-built.js');

describe('scripts/run-built.js', () => {
  let root;
  const run = (...args) => {
    const r = spawnSync(process.execPath, [script, ...args], { env: { ...process.env, RUN_BUILT_ROOT: root }, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const builds = () => Number(readFileSync(join(root, 'builds.txt'), 'utf8'));
  // Times in the past only: the last build is moved back, and the file edited after it.
  const touch = (file, secondsAgo) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(root, file), t, t);
  };
  const ageSources = () => {
    for (const file of readdirSync(root, { recursive: true })) if (!String(file).startsWith('dist')) touch(String(file), 3600);
  };
  const editedAfterBuild = (file) => {
    ageSources();
    touch('dist/.build-stamp', 120);
    touch(file, 60);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'run-built-'));
    writeFileSync(join(root, 'builds.txt'), '0');
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fixture', private: true, scripts: { build: 'node build.js' } }));
    // The fixture's "tsc": counts builds, prints to stdout (which must not reach the entry's stdout),
    // and emits an entry that prints its arguments.
    writeFileSync(
      join(root, 'build.js'),
      `const fs = require('fs');
       fs.writeFileSync('builds.txt', String(Number(fs.readFileSync('builds.txt', 'utf8')) + 1));
       fs.mkdirSync('dist/src', { recursive: true });
       fs.writeFileSync('dist/src/main.js', 'console.log(JSON.stringify(process.argv.slice(2)))');
       console.log('compiler output');`,
    );
    for (const dir of ['src', 'simulator/test', 'migrations']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'src', 'main.ts'), 'export {};');
    writeFileSync(join(root, 'tsconfig.json'), '{}');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('says a build is needed when there is none, then builds once and runs the entry with the arguments', () => {
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: needed (dist/.build-stamp missing)\n');
    const first = run('dist/src/main.js', 'admin:create', '--email', 'a@b.c');
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('["admin:create","--email","a@b.c"]\n');
    expect(first.stderr).toContain('build: needed');
    expect(first.stderr).toContain('compiler output');
    expect(builds()).toBe(1);
  });

  it('does not build again while nothing changed', () => {
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: up to date\n');
    const again = run('dist/src/main.js', 'migration:run');
    expect(again).toEqual({ status: 0, stdout: '["migration:run"]\n', stderr: '' });
    expect(builds()).toBe(1);
  });

  it('ignores what the build leaves out (specs, simulator/test)', () => {
    writeFileSync(join(root, 'src', 'main.spec.ts'), 'export {};');
    writeFileSync(join(root, 'simulator', 'test', 'x.spec.ts'), 'export {};');
    ageSources();
    touch('dist/.build-stamp', 120);
    touch('src/main.spec.ts', 60);
    touch('simulator/test/x.spec.ts', 60);
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: up to date\n');
  });

  it('builds again when a source, a migration, a tsconfig or the console is newer than the last build', () => {
    editedAfterBuild('src/main.ts');
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: needed (src/main.ts changed since the last build)\n');
    expect(run('dist/src/main.js').stdout).toBe('[]\n');
    expect(builds()).toBe(2);
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: up to date\n');

    writeFileSync(join(root, 'migrations', '1-Init.ts'), 'export {};');
    editedAfterBuild('migrations/1-Init.ts');
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: needed (migrations/1-Init.ts changed since the last build)\n');
    run('dist/src/main.js');
    editedAfterBuild('tsconfig.json');
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: needed (tsconfig.json changed since the last build)\n');
    run('dist/src/main.js');
    // The back-office console's source: `npm run build` bundles it too.
    mkdirSync(join(root, 'console', 'src'), { recursive: true });
    writeFileSync(join(root, 'console', 'src', 'main.tsx'), 'export {};');
    editedAfterBuild('console/src/main.tsx');
    expect(run('--dry-run', 'dist/src/main.js').stdout).toBe('build: needed (console/src/main.tsx changed since the last build)\n');
  });

  it("builds when the entry itself is missing, and fails with the build's status when the build fails", () => {
    expect(run('--dry-run', 'dist/src/other.js').stdout).toBe('build: needed (dist/src/other.js missing)\n');
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fixture', private: true, scripts: { build: 'exit 3' } }));
    editedAfterBuild('package.json');
    const failed = run('dist/src/main.js');
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toBe('');
  });
});
