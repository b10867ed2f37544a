/**
 * The integration tests' jest environment: Node's, plus what a jest worker keeps from one test file
 * to the next. Jest loads this module once per worker and creates an environment from it for each
 * test file, so `idleRuntimeProcesses` is the worker's pool of warm local runtime processes, which
 * tests/support/runtime.ts fills and draws from (every start there is a fresh instance of the
 * functions; only Node, express and twilio stay loaded).
 */
const { TestEnvironment } = require('jest-environment-node');

const idleRuntimeProcesses = [];

module.exports = class WorkerEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    // A getter: jest leaves it alone when it tears down what a test file left on its global.
    Object.defineProperty(this.global, 'idleRuntimeProcesses', { get: () => idleRuntimeProcesses });
  }
};
