import { TwilioError, invalidParameter } from './errors';
import { DEFAULT_SYNC_SERVICE_SID } from './ids';

/** Twilio's documented Sync payload limits. */
export const MAX_DATA_BYTES = 16 * 1024;
export const MAX_TTL_SECONDS = 31_536_000;

interface Expiring {
  /** Epoch ms; null when the object never expires. */
  expiresAt: number | null;
}

interface Versioned extends Expiring {
  accountSid: string;
  revision: string;
  dateCreated: number;
  dateUpdated: number;
  createdBy: string;
}

export interface SyncDocument extends Versioned {
  seq: number;
  sid: string;
  uniqueName: string | null;
  data: unknown;
}

export interface SyncMapItem extends Versioned {
  key: string;
  data: unknown;
}

export interface SyncMap extends Versioned {
  seq: number;
  sid: string;
  uniqueName: string | null;
  items: Map<string, SyncMapItem>;
}

export interface SyncService {
  sid: string;
  /** How the service appears in object keys: `default` for the default service, else its sid. */
  label: string;
  documents: Map<string, SyncDocument>;
  documentNames: Map<string, SyncDocument>;
  maps: Map<string, SyncMap>;
  mapNames: Map<string, SyncMap>;
}

export type SyncCollection = 'documents' | 'maps';

/** Key under which counters and the request log group a Sync object: its unique name when it has one. */
export function objectKey(service: SyncService, collection: SyncCollection, name: string): string {
  return `sync:${service.label}:${collection}:${name}`;
}

export const serviceLabel = (sid: string): string => (sid === DEFAULT_SYNC_SERVICE_SID ? 'default' : sid);

/** Sync stores a JSON object; its serialized form may not exceed 16 KiB (54006). */
export function parseData(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new TwilioError(400, 54008, 'Invalid request body: Data must be a valid JSON object');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new TwilioError(400, 54008, 'Invalid request body: Data must be a JSON object');
  }
  if (Buffer.byteLength(JSON.stringify(data), 'utf8') > MAX_DATA_BYTES) {
    throw new TwilioError(400, 54006, 'Request entity too large: Data exceeds 16 KiB');
  }
  return data;
}

/** TTL in seconds, 0..31536000 (54011); 0 means the object never expires. */
export function parseTtl(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_TTL_SECONDS) {
    throw new TwilioError(400, 54011, `Invalid TTL: ${raw}. TTL must be an integer between 0 and ${MAX_TTL_SECONDS}`);
  }
  return Number(raw);
}

export function requireParam(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw invalidParameter(`Missing required parameter ${name} in the post body`);
  return value;
}

/**
 * How late the emulator removes an object past its `date_expires`, unless told otherwise: Twilio's
 * TTL is approximate, "up to minutes away from the moment of expiry", and an item "might not be
 * deleted immediately after it expires". Never early.
 */
export const DEFAULT_REMOVAL_LAG_MS = 60_000;

/** Removed: past its expiry by the removal lag. An object past its expiry but not removed is served as any other. */
export const isRemoved = (o: Expiring, now: number, lagMs: number): boolean => o.expiresAt !== null && now >= o.expiresAt + lagMs;

export const expiryFrom = (ttl: number, now: number): number | null => (ttl > 0 ? now + ttl * 1000 : null);
