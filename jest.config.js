/**
 * Two tiers of tests, as two jest projects; `jest` (and so `npm test`) runs both.
 *
 * - unit: in-process tests of the guard's modules (tests/guard; an in-process emulator over HTTP is
 *   fine) and the checks of the docs, the README and the webhook plan. `npm run test:unit` runs
 *   these alone, in seconds.
 * - integration: everything else: the built functions in the local Functions runtime, the emulator's
 *   own suite, reliability, browser, client bundle and CLI tests.
 */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  transform: { '^.+\\.ts$': '<rootDir>/tests/support/esbuild-transform.js' },
};

const UNIT = ['tests/guard/**/*.test.ts', 'tests/scripts/webhook-plan.test.ts', 'tests/scripts/docs.test.ts', 'tests/scripts/readme-limits.test.ts'];

/** @type {import('jest').Config} */
module.exports = {
  // A global option: inside a project it would be ignored.
  testTimeout: 30000,
  // Jest sends each worker its exit message and kills, with "A worker process has failed to exit
  // gracefully", one that has not exited 500 ms (its default) after sending. Measured in each worker
  // (docs/testing.md), every worker exits within 1 ms of receiving the message, but beside a busy
  // core the message itself can take longer than 500 ms to be read. 2 s still reports a test that
  // leaves a timer or handle of a few seconds behind.
  workerGracefulExitTimeout: 2000,

  // Without timings from an earlier run, the suites that drive other processes go first.
  testSequencer: '<rootDir>/tests/support/sequencer.js',
  projects: [
    { ...common, displayName: 'unit', testMatch: UNIT.map((glob) => `<rootDir>/${glob}`) },
    {
      ...common,
      displayName: 'integration',
      // Node's, plus the worker's pool of warm runtime processes shared by its test files.
      testEnvironment: '<rootDir>/tests/support/worker-environment.js',
      // Jest's default test files, less the unit ones.
      testMatch: ['**/__tests__/**/*.?([mc])[jt]s?(x)', '**/?(*.)+(spec|test).?([mc])[jt]s?(x)'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/guard/', '<rootDir>/tests/scripts/(webhook-plan|docs|readme-limits)\\.test\\.ts$'],
    },
  ],
};
