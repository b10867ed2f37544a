/**
 * One `npm run audit` in a process of its own, for the benchmark: its arguments are the audit's; it
 * prints one JSON line, the exit status, the time taken and the process's peak RSS.
 */
import { join } from 'node:path';
import { runCommand } from '../scripts/lib/cli';
import { AUDIT_CLI, audit } from '../scripts/lib/audit-command';

const quiet = { log: () => undefined, error: (text: string) => process.stderr.write(`${text}\n`) };
const started = performance.now();
runCommand(AUDIT_CLI, process.argv.slice(2), (args, out) => audit(args, out, { root: join(__dirname, '..') }), quiet).then((code) => {
  console.log(JSON.stringify({ code, ms: performance.now() - started, maxRssKiB: process.resourceUsage().maxRSS }));
});
