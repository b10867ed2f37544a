/**
 * `npm run check-config [-- <file>]`: validates a .env file (default: .env at the project root)
 * against every variable the guard reads, without starting anything; a guard variable set in the
 * shell overrides the file, as when deploying from CI. Exits 1 with one line per invalid value.
 * `--help` prints usage.
 */
import { join, relative } from 'node:path';
import { checkConfig } from './lib/check-config-command';
import { runScript, UsageError } from './lib/cli';

const USAGE = `Usage: npm run check-config [-- <file>]

Validates a .env file against every variable the guard reads, without starting anything. A guard
variable set in the shell overrides the file, as when deploying from CI. Prints the mode and the
rate rules in effect; exits 1 with one line per invalid value (variable, value, form expected; a
password masked). It also refuses SERVICE_SID and DOMAIN_NAME, which Twilio's runtime sets: in a
local .env they would change how the functions check a request's signature.

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
  return checkConfig(path, shown, process.env, console);
});
