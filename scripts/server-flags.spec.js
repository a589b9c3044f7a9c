// The backend's V8 options are set in three places that must agree: the image's CMD, `npm start`
// and `npm run start:prod`; the purchase bench runs its backend with the same (bench/support/bench-env.ts).
// They go on node's command line: V8 refuses --no-memory-reducer in NODE_OPTIONS.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { cmdOf, envOf, parseDockerfile } = require('./dockerfile');

const root = join(__dirname, '..');
const read = (file) => readFileSync(join(root, file), 'utf8');

describe('the backend runs with the same V8 options everywhere', () => {
  const benchOptions = /export const SERVER_NODE_FLAGS = '([^']+)'/.exec(read('bench/support/bench-env.ts'))?.[1];

  it('the bench names them', () => {
    expect(benchOptions).toMatch(/^--max-semi-space-size=\d+ --no-memory-reducer$/);
  });

  it("the image's CMD passes them to node, and no NODE_OPTIONS sets others", () => {
    const stages = parseDockerfile(read('Dockerfile'));
    const runtime = stages[stages.length - 1];
    expect(cmdOf(runtime)).toEqual(['node', ...benchOptions.split(' '), 'dist/src/main.js']);
    expect(envOf(runtime)).not.toHaveProperty('NODE_OPTIONS');
  });

  it('npm start and npm run start:prod pass them to node', () => {
    const { scripts } = JSON.parse(read('package.json'));
    expect(scripts.start).toContain(`node ${benchOptions} scripts/run-built.js dist/src/main.js`);
    expect(scripts['start:prod']).toBe(`node ${benchOptions} dist/src/main.js`);
  });

  it("the server's entry loads the Node 22 restart before anything else (src/runtime/async-context-frame.ts)", () => {
    const imports = read('src/main.ts')
      .split('\n')
      .filter((line) => line.startsWith('import '));
    expect(imports[0]).toBe("import './runtime/restart';");
  });
});
