/**
 * What `npm run check-config` does with a .env file (scripts/check-config.ts reads its arguments and
 * runs it): validates it against every variable the guard reads, and refuses the values Twilio's
 * runtime provides, which a local .env would put in the functions' context.
 */
import { existsSync } from 'node:fs';
import { ConfigError, shownAssignment } from '../../src/guard/config/errors';
import { parseDotenvSettings } from '../../src/guard/config/load';
import { VARIABLES } from '../../src/guard/config/variables';
import { rateRulesOf } from '../../src/guard/rate/rules';
import { describeWindow } from '../../src/guard/rate/window';
import type { Out } from './cli';
import { readDotenv } from './dotenv';

/**
 * Checks the .env at `path` (shown as `shown`), a guard variable set in `shell` overriding the file,
 * as when deploying from CI. Prints the mode and rate rules in effect and returns 0, or one line per
 * invalid value (variable, value, form expected; a secret masked) and returns 1.
 */
export function checkConfig(path: string, shown: string, shell: NodeJS.ProcessEnv, out: Out): number {
  const fromShell = Object.fromEntries(Object.keys(VARIABLES).flatMap((name) => (shell[name] !== undefined ? [[name, shell[name]!]] : [])));
  try {
    const settings = parseDotenvSettings({ ...readDotenv(path), ...fromShell }, shown);
    out.log(existsSync(path) ? `${shown}: configuration is valid.` : `${shown} not found: the defaults are valid.`);
    out.log(`  mode ${settings.GUARD_MODE}, fail ${settings.FAIL_MODE}, decision timeout ${settings.DECISION_TIMEOUT} ms, signature check ${settings.SIGNATURE_CHECK}`);
    for (const rule of rateRulesOf(settings)) out.log(`  rate rule ${rule.name}: ${describeWindow(rule.window)} per ${rule.per}${rule.from ? ` from ${rule.from}` : ''}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.error(`${shown}: invalid configuration`);
    for (const line of problemLines(error)) out.error(line);
    return 1;
  }
}

/** One line per problem, as check-config, npm start and npm run deploy print them. */
export const problemLines = (error: ConfigError) => error.problems.map((p) => `  ${shownAssignment(p)}: expected ${p.expected}`);
