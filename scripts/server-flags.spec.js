// The backend's V8 options are set in three places that must agree: the image's ENV, `npm start`
// and `npm run start:prod`; the purchase bench runs its backend with the same (bench/support/bench-env.ts).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const read = (file) => readFileSync(join(root, file), 'utf8');

describe('the backend runs with the same V8 options everywhere', () => {
  const benchOptions = /export const SERVER_NODE_OPTIONS = '([^']+)'/.exec(read('bench/support/bench-env.ts'))?.[1];

  it('the bench names them', () => {
    expect(benchOptions).toMatch(/^--max-semi-space-size=\d+$/);
  });

  it('the image sets them for the runtime stage', () => {
    const runtime = read('Dockerfile')
      .split(/^FROM /m)
      .pop();
    expect(runtime).toContain(`ENV NODE_OPTIONS=${benchOptions}\n`);
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
