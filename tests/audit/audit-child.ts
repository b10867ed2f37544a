/**
 * `npm run audit` as scripts/audit.ts runs it, but with the rate rules' runs written to disk every 50
 * actions, in the directory SPILL_DIR names: the process the signal test of audit.test.ts stops.
 */
import { join } from 'node:path';
import { runScript } from '../../scripts/lib/cli';
import { AUDIT_CLI, audit } from '../../scripts/lib/audit-command';

runScript(AUDIT_CLI, (args, out) => audit(args, out, { root: join(__dirname, '../..'), shellEnv: process.env, spill: { runSize: 50, dir: process.env.SPILL_DIR } }));
