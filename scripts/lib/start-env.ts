/**
 * The .env `npm start` serves the functions with (scripts/start.ts): written from .env.example when
 * there is none, with a random local AUTH_TOKEN and STATUS_PASSWORD, then checked as
 * `npm run check-config` checks it, before anything is built or started.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/guard/config/errors';
import { parseDotenvSettings } from '../../src/guard/config/load';
import { problemLines } from './check-config-command';
import type { Out } from './cli';
import { localAuthToken, localStatusPassword, readDotenv } from './dotenv';

/** The variables of `root`/.env, written first when missing; undefined (with the reasons printed) when npm start must not serve them. */
export function startEnvironment(root: string, out: Out): Record<string, string> | undefined {
  const dotenvPath = join(root, '.env');
  if (!existsSync(dotenvPath)) {
    // A random local AUTH_TOKEN, so signature checks work offline (npm run send-event signs with it),
    // marked as local so it is never mistaken for an account's; and a status page password.
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const filled = example.replace(/^AUTH_TOKEN=$/m, `AUTH_TOKEN=${localAuthToken()}`).replace(/^STATUS_PASSWORD=$/m, `STATUS_PASSWORD=${localStatusPassword()}`);
    writeFileSync(dotenvPath, filled);
    out.log('No .env found: created one from .env.example, with a random local AUTH_TOKEN and STATUS_PASSWORD.');
  }
  const env = readDotenv(dotenvPath);
  try {
    parseDotenvSettings(env, '.env');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.error('.env: invalid configuration, nothing was built or started.');
    for (const line of problemLines(error)) out.error(line);
    return undefined;
  }
  return env;
}
