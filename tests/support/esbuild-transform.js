/**
 * Jest's TypeScript transform: esbuild strips the types, file by file. Types are checked once, by
 * `tsc --noEmit` (`npm run typecheck`, and beside jest in `npm test`), so the tests need no second
 * type checker.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync, version } = require('esbuild');

const OWN_SOURCE = readFileSync(__filename, 'utf8');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'external', sourcefile: filename });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(version).update(OWN_SOURCE).update(filename).update(source).digest('hex');
  },
};
