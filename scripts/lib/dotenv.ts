import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** Reads a .env file the way twilio-run does (KEY=VALUE lines, # comments); empty when absent. */
export function readDotenv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

/** Serialises variables back to .env lines, quoting values that need it. */
export function formatDotenv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => `${key}=${/[\s#"'=]/.test(value) ? JSON.stringify(value) : value}`)
    .join('\n') + '\n';
}

/** Real Twilio credentials, as opposed to none or placeholders. */
export function hasRealCredentials(env: Record<string, string>): boolean {
  return /^AC[0-9a-f]{32}$/i.test(env.ACCOUNT_SID ?? '') && /^[0-9a-f]{32}$/i.test(env.AUTH_TOKEN ?? '') && !/^0+$/.test(env.ACCOUNT_SID!.slice(2));
}
