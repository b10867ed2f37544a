/**
 * `npm run audit -- [--since 7d | --from DATE --to DATE] [--service IS…] [--env FILE] [--json FILE]
 * [--save FILE [--keep-addresses] | --replay FILE] [--concurrency N] [--seed N] [--show-addresses]`: what the guard would
 * have rejected or annotated in the account's recent Conversations history (scripts/lib/audit-command.ts).
 */
import { join } from 'node:path';
import { runScript } from './lib/cli';
import { AUDIT_CLI, audit } from './lib/audit-command';

runScript(AUDIT_CLI, (args, out) => audit(args, out, { root: join(__dirname, '..'), shellEnv: process.env, progress: Boolean(process.stderr.isTTY) && !process.env.CI }));
