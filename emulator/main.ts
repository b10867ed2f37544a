/**
 * `npm run emulator [-- --port <n>]`: the Twilio API emulator on its own (emulator/README.md), on
 * --port, else EMULATOR_PORT, else 4010; prints its URL and stops on SIGINT/SIGTERM. `--help` prints
 * usage and starts nothing; an unknown option or a port that is not one exits 2.
 */
import { runScript, UsageError } from '../scripts/lib/cli';
import { startEmulator } from './index';

const USAGE = `Usage: npm run emulator [-- --port <n>]

Serves the local Twilio API emulator (Conversations v1, Sync v1, webhook configuration; see
emulator/README.md) on 127.0.0.1, prints its URL, and stops on Ctrl-C. Point a Twilio client at it
with TWILIO_API_BASE_URL.

Options:
  --port <n>    The port; 0 picks a free one. Default: EMULATOR_PORT, else 4010.
  -h, --help    Show this text; starts nothing.

Example:
  npm run emulator -- --port 4010`;

function portOf(raw: string, label: string): number {
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${label}: expected a port number from 0 to 65535.`);
  return port;
}

runScript({ name: 'emulator', usage: USAGE, options: { port: { type: 'string' } } }, async ({ values }) => {
  const fromEnv = process.env.EMULATOR_PORT ?? '4010';
  const port = values.port !== undefined ? portOf(values.port, `--port ${values.port}`) : portOf(fromEnv, `EMULATOR_PORT=${fromEnv}`);
  const emulator = await startEmulator({ port });
  console.log(`Twilio API emulator listening on ${emulator.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
