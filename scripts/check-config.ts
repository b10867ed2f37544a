/**
 * `npm run check-config [-- <file>]`: validates a .env file (default: .env at the project root)
 * against every variable the guard reads, without starting anything; a guard variable set in the
 * shell overrides the file, as when deploying from CI. Exits 1 with one line per invalid value.
 * `--help` prints usage.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '../src/guard/config/errors';
import { parseSettings } from '../src/guard/config/load';
import { rateRulesOf } from '../src/guard/rate/rules';
import { describeWindow } from '../src/guard/rate/window';
import { VARIABLES } from '../src/guard/config/variables';
import { runScript, UsageError } from './lib/cli';
import { readDotenv } from './lib/dotenv';

const USAGE = `Usage: npm run check-config [-- <file>]

Validates a .env file against every variable the guard reads, without starting anything. A guard
variable set in the shell overrides the file, as when deploying from CI. Prints the mode and the
rate rules in effect; exits 1 with one line per invalid value (variable, value, form expected).

Arguments:
  <file>        The .env file to check. Default: .env at the project root.

Options:
  -h, --help    Show this text.

Examples:
  npm run check-config
  GUARD_MODE=shadow npm run check-config -- deploy/prod.env`;

runScript({ name: 'check-config', usage: USAGE, options: {}, positionals: true }, ({ positionals }) => {
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}: it checks one file; see --help.`);
  const path = positionals[0] ?? join(__dirname, '..', '.env');
  const shown = relative(process.cwd(), path) || path;
  try {
    const fromShell = Object.fromEntries(Object.keys(VARIABLES).flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name]]] : [])));
    const settings = parseSettings({ ...readDotenv(path), ...fromShell }, shown);
    console.log(existsSync(path) ? `${shown}: configuration is valid.` : `${shown} not found: the defaults are valid.`);
    console.log(`  mode ${settings.GUARD_MODE}, fail ${settings.FAIL_MODE}, decision timeout ${settings.DECISION_TIMEOUT} ms, signature check ${settings.SIGNATURE_CHECK}`);
    for (const rule of rateRulesOf(settings)) console.log(`  rate rule ${rule.name}: ${describeWindow(rule.window)} per ${rule.per}${rule.from ? ` from ${rule.from}` : ''}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${shown}: invalid configuration`);
    for (const p of error.problems) console.error(`  ${p.variable}=${JSON.stringify(p.value)}: expected ${p.expected}`);
    return 1;
  }
});
