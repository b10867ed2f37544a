/**
 * `npm run docs`: regenerates .env.example and the variable table of docs/configuration.md from the
 * variable table in src. `--help` prints usage and writes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScript } from './lib/cli';
import { envExample, variablesTable } from './lib/env-example';

const USAGE = `Usage: npm run docs

Regenerates .env.example and the variable table of docs/configuration.md (between its
<!-- variables:begin --> and <!-- variables:end --> markers) from the variable table in
src/guard/config/variables.ts. Run it after changing a variable.

Options:
  -h, --help    Show this text; writes nothing.`;

runScript({ name: 'docs', usage: USAGE, options: {} }, () => {
  const root = join(__dirname, '..');
  writeFileSync(join(root, '.env.example'), envExample());
  const readmePath = join(root, 'docs', 'configuration.md');
  const readme = readFileSync(readmePath, 'utf8');
  const begin = '<!-- variables:begin -->';
  const end = '<!-- variables:end -->';
  const start = readme.indexOf(begin);
  const stop = readme.indexOf(end);
  if (start < 0 || stop < 0) throw new Error(`docs/configuration.md lacks the ${begin} … ${end} markers`);
  writeFileSync(readmePath, readme.slice(0, start + begin.length) + '\n' + variablesTable() + '\n' + readme.slice(stop));
  console.log('Wrote .env.example and the variable table of docs/configuration.md.');
});
