import { createHash } from 'node:crypto';

/**
 * A Sync unique name derived from arbitrary parts (identities, addresses, SIDs). Identities may hold
 * any character, twilio-node refuses `/` and `?` in path segments, and unique names are length
 * limited, so the parts are hashed: the result is `guard_<kind>_<32 hex>`, at most a few dozen
 * characters of `[a-z0-9_]`, never shaped like a SID. 128 bits of SHA-256 keep distinct keys apart.
 */
export function syncName(kind: string, ...parts: string[]): string {
  // JSON keeps the parts apart even when a part holds the separator: ['a\u0000b'] is not ['a', 'b'].
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  return `guard_${kind.toLowerCase().replace(/[^a-z0-9]/g, '')}_${digest}`;
}
