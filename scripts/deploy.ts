/**
 * `npm run deploy [-- twilio-run deploy options]`: checks the configuration, builds, and deploys
 * dist/ with `twilio-run deploy` (folders and runtime from .twilioserverlessrc). Uploads the
 * variables of .env (or `--env <file>`) except local-only ones; authenticates with ACCOUNT_SID and
 * AUTH_TOKEN, or with `--username SK… --password <secret>`. Nothing is built or uploaded when the
 * configuration or the credentials are wrong. Every option twilio-run deploy documents passes
 * through; `--help` lists them and deploys nothing, and any other option exits 2 (scripts/lib/deploy-args.ts).
 * The command itself is scripts/lib/deploy-command.ts.
 */
import { join } from 'node:path';
import { deployCommand } from './lib/deploy-command';

deployCommand(process.argv.slice(2), process.env, join(__dirname, '..'), process).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
