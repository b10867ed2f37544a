/**
 * `npm run send-event -- [--event …] [--channel …] [--author …] [--body …] [--media file:size[:type]]
 * [--address …] [--proxy-address …] [--unsigned] [--path …] [Key=Value …]`: posts one pre-event
 * webhook to the local guard the way Twilio does, form-encoded and signed with AUTH_TOKEN from .env,
 * in the shape Twilio sends for that event and channel (scripts/lib/send-event.ts). `--help` prints
 * every option and sends nothing; an unknown option exits 2 and sends nothing.
 */
import { join } from 'node:path';
import { runScript } from './lib/cli';
import { SEND_EVENT_CLI, sendEvent } from './lib/send-event';

runScript(SEND_EVENT_CLI, (args, out) => sendEvent(args, process.env, join(__dirname, '..', '.env'), out));
