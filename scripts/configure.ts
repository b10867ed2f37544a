/**
 * `npm run configure -- --url https://your-service-1234-dev.twil.io [--service IS…] [--dry-run] [--force]`
 * Points the account-level (or one service's) Conversations webhooks at the deployed guard: prints
 * what is configured now and what changes, and refuses to replace webhooks that point elsewhere
 * unless --force. Reads credentials and TWILIO_API_BASE_URL from the environment, then .env.
 * `--help` prints every option and changes nothing; an unknown option exits 2.
 */
import { join } from 'node:path';
import { configureWebhooks, EXIT_REFUSED } from './lib/configure-command';

configureWebhooks(process.argv.slice(2), process.env, console, join(__dirname, '..', '.env')).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = EXIT_REFUSED;
  },
);
