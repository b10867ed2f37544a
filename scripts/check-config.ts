/**
 * Validates a .env file (default: .env at the project root) against every variable the guard reads,
 * without starting anything; a guard variable set in the shell overrides the file, as when deploying
 * from CI. Exits 1 with one line per invalid value.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '../src/guard/config/errors';
import { parseSettings } from '../src/guard/config/load';
import { rateRulesOf } from '../src/guard/rate/rules';
import { describeWindow } from '../src/guard/rate/window';
import { VARIABLES } from '../src/guard/config/variables';
import { readDotenv } from './lib/dotenv';

const path = process.argv[2] ?? join(__dirname, '..', '.env');
const shown = relative(process.cwd(), path) || path;

try {
  const fromShell = Object.fromEntries(Object.keys(VARIABLES).flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name]]] : [])));
  const settings = parseSettings({ ...readDotenv(path), ...fromShell }, shown);
  console.log(existsSync(path) ? `${shown}: configuration is valid.` : `${shown} not found: the defaults are valid.`);
  console.log(`  mode ${settings.GUARD_MODE}, fail ${settings.FAIL_MODE}, decision timeout ${settings.DECISION_TIMEOUT} ms, signature check ${settings.SIGNATURE_CHECK}`);
  for (const rule of rateRulesOf(settings)) console.log(`  rate rule ${rule.name}: ${describeWindow(rule.window)} per ${rule.per}${rule.from ? ` from ${rule.from}` : ''}`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${shown}: invalid configuration`);
  for (const p of error.problems) console.error(`  ${p.variable}=${JSON.stringify(p.value)}: expected ${p.expected}`);
  process.exit(1);
}
