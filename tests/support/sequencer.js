/**
 * The order jest runs test files in. With timings from an earlier run (jest's cache), jest's own:
 * slowest first. Without them (a fresh clone, a CI machine), jest orders by file size, which ran
 * tests/browser/chromium.test.ts, short but the longest suite, nearly last, while the other worker
 * had nothing left to do. Here the files without a timing go first by folder, the suites that drive
 * other processes (a browser, the local runtime, the scripts) before the in-process ones, and by size
 * within a folder.
 */
const { relative, sep } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

// The audit's suite runs in process but is among the longest: it goes early, so that no worker
// starts it while the other has little left.
const FOLDERS_FIRST = ['browser', 'audit', 'reliability', 'integration', 'scripts', 'emulator', 'client', 'build'];

function folderRank(test) {
  // tests/<folder>/…, from the project's root.
  const folder = relative(test.context.config.rootDir, test.path).split(sep)[1];
  const rank = FOLDERS_FIRST.indexOf(folder);
  return rank === -1 ? FOLDERS_FIRST.length : rank;
}

module.exports = class ProcessDrivingFirst extends Sequencer {
  sort(tests) {
    // Jest's order, which also sets each test's duration when the cache knows it: the files that
    // failed last time first, then those without a timing, then the slowest first.
    const ordered = super.sort(tests);
    const failed = (test) => (this.hasFailed(test) ? 0 : 1);
    const timed = (test) => (test.duration == null ? 0 : 1);
    return ordered
      .map((test, index) => ({ test, index }))
      .sort((a, b) => failed(a.test) - failed(b.test) || timed(a.test) - timed(b.test) || (timed(a.test) ? 0 : folderRank(a.test) - folderRank(b.test)) || a.index - b.index)
      .map(({ test }) => test);
  }
};
