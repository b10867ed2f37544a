/**
 * The guard's Sync stores against the local Twilio API emulator, over twilio-node redirected with
 * TWILIO_API_BASE_URL the way the functions do it, and readers of the emulator's request log.
 */
import { mostInAnyWindow } from '../../bench/most-in-window';
import type { Emulator, RequestLogEntry } from '../../emulator';
import { SyncDocumentStore } from '../../src/guard/store/sync-document-store';
import { groupParts, SyncSlotStore } from '../../src/guard/store/slot-store';
import { twilioClientFor } from '../../src/guard/twilio/client';
import { ACCOUNT_SID } from './events';
import { AUTH_TOKEN } from './twilio-request';

/** The Sync store the functions build for `TWILIO_API_BASE_URL=<emulator url>`. */
export function emulatorStore(emu: Emulator, serviceSid = 'default'): SyncDocumentStore {
  const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emu.url);
  return new SyncDocumentStore(client, serviceSid);
}

/** The slot store the rate limiter builds for the same. */
export function emulatorSlotStore(emu: Emulator, serviceSid = 'default'): SyncSlotStore {
  return new SyncSlotStore(twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emu.url), serviceSid);
}

/** A Sync Map item as the emulator serves it (the fields the rate tests read). */
export interface SyncItem {
  key: string;
  revision: string;
  data: { t?: number; w?: string; c?: string };
  date_created: string;
  date_expires: string | null;
}

/**
 * The items of a slot group (`<map>/<prefix>`, or a whole Map), read over the emulator's REST API,
 * their keys as Sync holds them; none when the Map is not there.
 */
export async function slotItems(emu: Emulator, group: string, serviceSid = 'default'): Promise<SyncItem[]> {
  const { map, prefix } = groupParts(group);
  const res = await fetch(`${emu.url}/sync/v1/Services/${serviceSid}/Maps/${map}/Items?PageSize=100&From=${encodeURIComponent(prefix)}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` },
  });
  if (res.status === 404) return [];
  return ((await res.json()) as { items: SyncItem[] }).items.filter((item) => item.key.startsWith(prefix));
}

/** The Sync object (document or map) a log entry addressed, by unique name (`sync:<service>:maps:<name>` → name). */
export function documentOf(entry: RequestLogEntry): string | undefined {
  const match = /^sync:[^:]+:(?:documents|maps):(.+)$/.exec(entry.object ?? '');
  return match?.[1];
}

/** Sync requests in the log from index `from` on. */
export function syncRequests(emu: Emulator, from = 0): RequestLogEntry[] {
  return emu.log.slice(from).filter((e) => e.product === 'sync');
}

export const isWrite = (e: RequestLogEntry) => e.method !== 'GET';

/**
 * The most requests matching `filter` that one Sync document received within any `windowMs` of
 * arrival times, per document.
 */
export function peakPerWindow(entries: RequestLogEntry[], windowMs = 1000): Map<string, number> {
  const byDoc = new Map<string, number[]>();
  for (const e of entries) {
    const doc = documentOf(e);
    if (doc === undefined) continue;
    byDoc.set(doc, [...(byDoc.get(doc) ?? []), e.at]);
  }
  return new Map([...byDoc].map(([doc, times]) => [doc, mostInAnyWindow(times, windowMs)]));
}

export { mostInAnyWindow };

/**
 * How many of `arrivals` an exact sliding-window limiter (`limit` per `windowMs`) admits: the
 * yardstick for a run at the limit, whose requests a loaded machine cannot send exactly on time.
 */
export function admittedBySlidingWindow(arrivals: readonly number[], limit: number, windowMs: number): number {
  const admitted: number[] = [];
  for (const at of [...arrivals].sort((a, b) => a - b)) {
    if (admitted.filter((t) => at - t < windowMs).length < limit) admitted.push(at);
  }
  return admitted.length;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
