/**
 * Posts one pre-event webhook to the local guard the way Twilio does: form-encoded and signed with
 * AUTH_TOKEN from .env. Usage:
 *   npm run send-event -- [--unsigned] [--path /conversations/pre-event] Key=Value …
 * Defaults: EventType=onMessageAdd, ConversationSid=CH0…0, Author=alice, Source=SDK.
 */
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { readDotenv } from './lib/dotenv';

async function main() {
  const env = readDotenv(join(__dirname, '..', '.env'));
  const args = process.argv.slice(2);
  const unsigned = args.includes('--unsigned');
  const pathIndex = args.indexOf('--path');
  const path = pathIndex >= 0 ? args[pathIndex + 1]! : '/conversations/pre-event';
  const params: Record<string, string> = {
    EventType: 'onMessageAdd',
    ConversationSid: 'CH00000000000000000000000000000000',
    Author: 'alice',
    Source: 'SDK',
  };
  for (const arg of args.filter((a, i) => a.includes('=') && args[i - 1] !== '--path')) {
    const at = arg.indexOf('=');
    params[arg.slice(0, at)] = arg.slice(at + 1);
  }
  const port = process.env.PORT ?? env.PORT ?? '3000';
  const url = `${env.WEBHOOK_BASE_URL || `http://localhost:${port}`}${path}`;
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (!unsigned) headers['X-Twilio-Signature'] = getExpectedTwilioSignature(env.AUTH_TOKEN ?? '', url, params);
  const response = await fetch(`http://localhost:${port}${path}`, { method: 'POST', headers, body: new URLSearchParams(params) });
  console.log(`${response.status} ${response.statusText}`);
  console.log(await response.text());
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
