// scripts/check-node.js, run as npm runs it, with the running Node version faked.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { problem, satisfies, parseRange } = require('./check-node');
const pkg = require('../package.json');

const script = join(__dirname, 'check-node.js');
const run = (version) => {
  const r = spawnSync(process.execPath, [script], { env: { ...process.env, FAKE_NODE_VERSION: version }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr.trim() };
};

describe('scripts/check-node.js', () => {
  it('package.json asks for Node 22.13+ on the 22 line or 24.11+ (what file-type and typeorm need)', () => {
    expect(pkg.engines.node).toBe('^22.13.0 || >=24.11.0');
  });

  it('refuses Node 20.20.2 with exit code 1 and one clear sentence', () => {
    expect(run('20.20.2')).toEqual({
      status: 1,
      stderr:
        'This backend needs Node 22.13+ or 24.11+; this is Node 20.20.2. ' +
        'Install a supported Node (for example `nvm install 22`, or from https://nodejs.org) and run the command again.',
    });
  });

  it.each(['22.12.0', '23.11.0', '24.10.0', '18.20.4'])('refuses Node %s', (version) => {
    const r = run(version);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`this is Node ${version}.`);
  });

  it.each(['22.13.0', '22.23.5', '24.11.0', '24.12.1', '26.0.0'])('accepts Node %s silently (exit code 0)', (version) => {
    expect(run(version)).toEqual({ status: 0, stderr: '' });
  });

  it('implements the ^ and >= range forms, and rejects a form it does not understand', () => {
    const range = '^22.13.0 || >=24.11.0';
    expect(satisfies([22, 13, 0], range)).toBe(true);
    expect(satisfies([23, 0, 0], range)).toBe(false);
    expect(satisfies([25, 0, 0], range)).toBe(true);
    expect(problem('v24.11.0', range)).toBeUndefined();
    expect(() => parseRange('~22.13.0')).toThrow(/unsupported engines.node range/);
  });
});
