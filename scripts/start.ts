/**
 * `npm start`: checks .env (writing it first when missing), builds dist/, then serves the built functions with twilio-run on $PORT (default 3000),
 * reading .env at the project root. Without TWILIO_API_BASE_URL and without real credentials it also
 * starts the bundled Twilio API emulator and points the functions at it, so everything runs offline.
 * `npm start -- --help` prints usage and neither builds nor starts anything.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ACCOUNT_SID, startEmulator, type Emulator } from '../emulator';
import { buildProject } from './lib/build-project';
import { runScript } from './lib/cli';
import { formatDotenv, hasRealCredentials, isLocalAuthToken } from './lib/dotenv';
import { startEnvironment } from './lib/start-env';

const USAGE = `Usage: npm start

Builds dist/ and serves the functions with twilio-run on http://localhost:$PORT (PORT from the shell
or .env, default 3000) in one warm process, as a deployed instance runs:
/conversations/pre-event, /conversations/post-event, /status.html, /limits, /limits-client.js.

Without .env it writes one from .env.example, with a random local AUTH_TOKEN and STATUS_PASSWORD.
It checks .env as npm run check-config does, and stops before building on an invalid value, or on
SERVICE_SID or DOMAIN_NAME, which would change how the functions check signatures.
Without Twilio credentials and TWILIO_API_BASE_URL it also starts the bundled Twilio API emulator
on EMULATOR_PORT (default 4010), so everything runs offline. Stops on Ctrl-C.

Options:
  -h, --help    Show this text; builds and starts nothing.

Then, in another terminal:
  npm run send-event -- --body hi
  npm run simulate -- --url http://localhost:3000`;

const root = join(__dirname, '..');
/**
 * One process that keeps its modules between requests, like a warm deployed Functions instance: the
 * rate limiter's memory and the rejection counters' buffer behave as they do in production. (By
 * default twilio-run runs every request in a fresh process and reloads modules on each one.)
 */
const WARM_INSTANCE = ['--no-fork-process', '--no-live'];

async function main(env: Record<string, string>) {
  let emulator: Emulator | undefined;
  if (!env.TWILIO_API_BASE_URL && !hasRealCredentials(env)) {
    if (isLocalAuthToken(env.AUTH_TOKEN) && /^AC[0-9a-f]{32}$/i.test(env.ACCOUNT_SID ?? '')) {
      console.log(`ACCOUNT_SID is set, but AUTH_TOKEN is still the local one npm start generated: Twilio is not called. Put the account's Auth Token in .env to use Twilio.`);
    }
    emulator = await startEmulator({ port: Number(process.env.EMULATOR_PORT ?? env.EMULATOR_PORT ?? 4010) });
    env.TWILIO_API_BASE_URL = emulator.url;
    // Twilio clients need an account SID; the emulator's account stands in for a real one.
    if (!env.ACCOUNT_SID) env.ACCOUNT_SID = DEFAULT_ACCOUNT_SID;
    console.log(`No Twilio credentials and no TWILIO_API_BASE_URL: Twilio's API is served by the local emulator at ${emulator.url}.`);
  } else if (env.TWILIO_API_BASE_URL) {
    console.log(`Twilio REST requests go to ${env.TWILIO_API_BASE_URL}.`);
  } else {
    console.log(`Using Twilio with account ${env.ACCOUNT_SID}.`);
  }

  const runEnv = join(root, 'dist', 'start.env');
  writeFileSync(runEnv, formatDotenv(env));
  const port = process.env.PORT ?? env.PORT ?? '3000';
  console.log(
    env.STATUS_PASSWORD
      ? `Status page: http://localhost:${port}/status.html (any user name, password the STATUS_PASSWORD of .env).`
      : 'Status page: off; set STATUS_PASSWORD in .env to turn it on.',
  );
  console.log(`Message limits for pages to check drafts with: http://localhost:${port}/limits and http://localhost:${port}/limits-client.js (docs/limits-client.md).`);
  const twilioRun = spawn(process.execPath, [require.resolve('twilio-run/bin/twilio-run.js'), 'start', '--env', runEnv, '--port', port, ...WARM_INSTANCE], { cwd: root, stdio: 'inherit' });
  const stop = () => twilioRun.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  twilioRun.on('exit', async (code) => {
    await emulator?.close();
    process.exit(code ?? 0);
  });
}

runScript({ name: 'start', usage: USAGE, options: {} }, async () => {
  const env = startEnvironment(root, console);
  if (!env) return 1;
  console.log(await buildProject());
  await main(env);
});
