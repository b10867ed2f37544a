import type { Twilio } from 'twilio';
import { StoreUnavailableError } from './document-store';

/** One slot of a rate rule: when it last admitted an action, and the revision a write must name. */
export interface Slot {
  key: string;
  takenAt: number;
  revision: string;
}

/**
 * The slice of Twilio Sync the rate limiter needs: groups of slots (a Sync Map each, its items the
 * slots) that can be read in one request, and a slot taken atomically. Sync refuses a second creator
 * of an item (409) and a write naming a stale revision (412): either way the taker has `lost`.
 */
export interface SlotStore {
  /** Every slot of a group; none when the group does not exist (yet, or any more). */
  list(group: string): Promise<Slot[]>;
  /**
   * Takes a slot at `takenAt`: creates it when `revision` is undefined, otherwise writes only if it is
   * still at `revision`. `ttlSeconds` is clean-up only: how long the slot and its group outlive their
   * last use.
   */
  take(group: string, key: string, takenAt: number, revision: string | undefined, ttlSeconds: number): Promise<{ revision: string } | 'lost'>;
}

interface RestError {
  status?: number;
  code?: number;
  message?: string;
}

/** The largest page of Map items Twilio serves: a group of up to 100 slots is one request. */
const PAGE_SIZE = 100;

/** Groups a list found missing, remembered at most this many at once (they are created right after). */
const MAX_MISSING = 10_000;

/** Slot groups as Twilio Sync Maps, addressed by unique name. */
export class SyncSlotStore implements SlotStore {
  /** Groups a list found missing: their first take creates the Map before the item. */
  private readonly missing = new Set<string>();
  /** Map creations in flight: concurrent takes of one instance share one. */
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly client: Twilio,
    private readonly serviceSid: string,
  ) {}

  private get maps() {
    return this.client.sync.v1.services(this.serviceSid).syncMaps;
  }

  async list(group: string): Promise<Slot[]> {
    try {
      const items = await this.maps(group).syncMapItems.list({ pageSize: PAGE_SIZE });
      this.missing.delete(group);
      return items.map((item) => ({ key: item.key, takenAt: takenAtOf(item.data), revision: item.revision }));
    } catch (error) {
      if (statusOf(error) === 404) {
        if (this.missing.size >= MAX_MISSING) this.missing.clear();
        this.missing.add(group);
        return [];
      }
      throw unavailable(error, 'read', group);
    }
  }

  async take(group: string, key: string, takenAt: number, revision: string | undefined, ttlSeconds: number): Promise<{ revision: string } | 'lost'> {
    const data = { t: takenAt };
    try {
      if (revision !== undefined) {
        const item = await this.maps(group).syncMapItems(key).update({ data, ifMatch: revision, itemTtl: ttlSeconds, collectionTtl: ttlSeconds });
        return { revision: item.revision };
      }
      if (this.missing.has(group)) await this.createMap(group, ttlSeconds);
      const create = () => this.maps(group).syncMapItems.create({ key, data, itemTtl: ttlSeconds, collectionTtl: ttlSeconds });
      const item = await create().catch(async (error: unknown) => {
        // The Map expired since it was read: created again (by whoever comes first) and asked again.
        if (statusOf(error) !== 404) throw error;
        await this.createMap(group, ttlSeconds);
        return create();
      });
      return { revision: item.revision };
    } catch (error) {
      const status = statusOf(error);
      // 409: created by another; 412: written by another; 404: gone (expired) since it was read.
      if (status === 409 || status === 412 || status === 404) return 'lost';
      throw unavailable(error, 'write', `${group}/${key}`);
    }
  }

  /** Creates a group's Map, once per instance at a time; another instance creating it first (409) is as good. */
  private createMap(group: string, ttlSeconds: number): Promise<void> {
    const inFlight = this.creating.get(group);
    if (inFlight) return inFlight;
    const creating = this.maps
      .create({ uniqueName: group, ttl: ttlSeconds })
      .then(noop, (error: unknown) => {
        if (statusOf(error) !== 409) throw error;
      })
      .then(() => void this.missing.delete(group))
      .finally(() => this.creating.delete(group));
    this.creating.set(group, creating);
    return creating;
  }
}

const noop = () => undefined;

/** A slot whose data is not what this guard writes counts as taken just now: never as free. */
function takenAtOf(data: unknown): number {
  const t = (data as { t?: unknown } | null)?.t;
  return typeof t === 'number' && Number.isFinite(t) ? t : Date.now();
}

const statusOf = (error: unknown) => (error as RestError | undefined)?.status;

function unavailable(error: unknown, operation: string, name: string): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const rest = (error ?? {}) as RestError;
  const detail = rest.code ? `${rest.status} / ${rest.code}` : (rest.message ?? String(error));
  return new StoreUnavailableError(`Sync ${operation} of ${name} failed: ${detail}`, rest.status, rest.code);
}
