import { timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison, so a wrong password reveals nothing by how fast it fails. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether an `Authorization: Basic …` header names the account: user ACCOUNT_SID, password
 * AUTH_TOKEN, the credentials Twilio's REST API itself accepts.
 */
export function isAccountBasicAuth(header: unknown, accountSid: unknown, authToken: unknown): boolean {
  if (typeof header !== 'string' || typeof accountSid !== 'string' || typeof authToken !== 'string' || !accountSid || !authToken) return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return same(decoded.slice(0, colon), accountSid) && same(decoded.slice(colon + 1), authToken);
}
