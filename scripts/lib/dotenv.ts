import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** Reads a .env file the way twilio-run does (KEY=VALUE lines, # comments); empty when absent. */
export function readDotenv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

/** A .env file with the shell's variables over it; a variable set but empty in the shell does not hide the file's value. */
export function readDotenvUnderShell(path: string, shellEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const shell = Object.entries(shellEnv).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
  return { ...readDotenv(path), ...Object.fromEntries(shell) };
}

/** Serialises variables back to .env lines, quoting values that need it. */
export function formatDotenv(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => `${key}=${/[\s#"'=]/.test(value) ? JSON.stringify(value) : value}`)
    .join('\n') + '\n';
}

const LOCAL_TOKEN_PREFIX = 'local';

/** A random AUTH_TOKEN for local signatures, 32 characters like a real one but never taken for one. */
export const localAuthToken = () => LOCAL_TOKEN_PREFIX + randomBytes(16).toString('hex').slice(0, 32 - LOCAL_TOKEN_PREFIX.length);

/**
 * A random STATUS_PASSWORD: 12 random bytes in base64url, 16 characters (96 bits), the fewest the
 * guard accepts for a public URL.
 */
export const localStatusPassword = () => randomBytes(12).toString('base64url');

export const isLocalAuthToken = (token: string | undefined) => token?.startsWith(LOCAL_TOKEN_PREFIX) ?? false;

/** Real Twilio credentials, as opposed to none, placeholders or a token npm start generated. */
export function hasRealCredentials(env: Record<string, string>): boolean {
  return /^AC[0-9a-f]{32}$/i.test(env.ACCOUNT_SID ?? '') && /^[0-9a-f]{32}$/i.test(env.AUTH_TOKEN ?? '') && !/^0+$/.test(env.ACCOUNT_SID!.slice(2));
}
