import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of digests, so a wrong password reveals nothing, its length included. */
function same(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether an `Authorization: Basic …` header carries `password`, whatever the user name. */
export function isBasicAuthPassword(header: unknown, password: string): boolean {
  if (typeof header !== 'string' || password === '') return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && same(decoded.slice(colon + 1), password);
}
