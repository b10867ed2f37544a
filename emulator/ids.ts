import { createHash, randomBytes } from 'node:crypto';

export const CONVERSATIONS_BASE_URL = 'https://conversations.twilio.com/v1';
export const SYNC_BASE_URL = 'https://sync.twilio.com/v1';

/** Deterministic sid, so fixed resources (default services, users, roles) look the same on every run. */
export function stableSid(prefix: string, ...parts: string[]): string {
  return prefix + createHash('md5').update(parts.join('\u0000')).digest('hex');
}

export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

export function isSid(prefix: string, value: string): boolean {
  return value.length === 34 && value.startsWith(prefix) && /^[0-9a-fA-F]{32}$/.test(value.slice(2));
}

export const DEFAULT_ACCOUNT_SID = stableSid('AC', 'emulator-account');
export const DEFAULT_CONVERSATIONS_SERVICE_SID = stableSid('IS', 'conversations-default-service');
export const DEFAULT_SYNC_SERVICE_SID = stableSid('IS', 'sync-default-service');
export const DEFAULT_MESSAGING_SERVICE_SID = stableSid('MG', 'default-messaging-service');

/** Twilio renders timestamps as ISO 8601 without milliseconds. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
