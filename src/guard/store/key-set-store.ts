import type { Twilio } from 'twilio';
import { codeOf, statusOf, storeFailure } from './failure';

/**
 * Named sets of short keys whose members are added and removed one at a time, each by its own request,
 * so that writers adding different keys never contend: one Sync Map per set, one empty item per key.
 */
/** A key of a set, and when it was last added (epoch ms, on the store's clock), when the store says. */
export interface KeyEntry {
  key: string;
  added?: number;
}

export interface KeySetStore {
  /** Every key of the set, none when it does not exist (yet, or any more). */
  entries(name: string): Promise<KeyEntry[]>;
  /**
   * Adds a key that is removed after `ttlSeconds` (the set itself then lives as long after its last
   * addition). `exists` when the key was there already: it is added again all the same (its date and
   * its TTL renewed), so an entry is always as recent as its latest addition. A missing set is
   * created, then the key added to it if `stillWanted` (asked once the set is found missing) resolves
   * true; otherwise the set is left empty and the answer is `skipped`.
   */
  add(name: string, key: string, ttlSeconds: number, stillWanted?: () => Promise<boolean>): Promise<'added' | 'exists' | 'skipped'>;
  /** Removes a key; a key or set that is not there is as good. */
  remove(name: string, key: string): Promise<void>;
}

/** The largest page of Map items Twilio serves. */
const PAGE_SIZE = 100;

/** Sync's codes for a name or key taken: Map Item already exists, unique name already exists. */
const TAKEN_CODES = new Set([54208, 54301]);
/** Sync's codes for an object that is not there: Map not found, Map Item not found. */
const MISSING_CODES = new Set([54200, 54201, 20404]);
const isTaken = (error: unknown) => statusOf(error) === 409 || TAKEN_CODES.has(codeOf(error) ?? 0);
const isMissing = (error: unknown) => statusOf(error) === 404 || MISSING_CODES.has(codeOf(error) ?? 0);

interface ItemPage {
  instances: Array<{ key: string; dateCreated?: unknown; dateUpdated?: unknown }>;
  nextPage(): Promise<ItemPage | undefined>;
}

/** Key sets as Twilio Sync Maps, addressed by unique name; every failure is a StoreUnavailableError. */
export class SyncKeySetStore implements KeySetStore {
  constructor(
    private readonly client: Twilio,
    private readonly serviceSid: string,
  ) {}

  private get maps() {
    return this.client.sync.v1.services(this.serviceSid).syncMaps;
  }

  /** One request for up to 100 keys, one more per further 100; `added` is the item's date_updated (its last addition). */
  async entries(name: string): Promise<KeyEntry[]> {
    const keys: KeyEntry[] = [];
    try {
      let page: ItemPage | undefined = (await this.maps(name).syncMapItems.page({ pageSize: PAGE_SIZE })) as unknown as ItemPage;
      while (page) {
        for (const item of page.instances) keys.push({ key: item.key, ...addedOf(item.dateUpdated ?? item.dateCreated) });
        page = page.instances.length === 0 ? undefined : await page.nextPage();
      }
    } catch (error) {
      if (isMissing(error)) return [];
      throw storeFailure(error, 'read', name);
    }
    return keys;
  }

  /**
   * One request; one more when the key was there (its update, renewing its date_updated and its TTL:
   * an entry a refused join left, or one from before its set's last rebuild, must count as this
   * addition), two more when the Map is missing (its creation, then the item's again).
   */
  async add(name: string, key: string, ttlSeconds: number, stillWanted?: () => Promise<boolean>): Promise<'added' | 'exists' | 'skipped'> {
    const create = async () => {
      try {
        await this.maps(name).syncMapItems.create({ key, data: {}, itemTtl: ttlSeconds, collectionTtl: ttlSeconds });
        return 'added' as const;
      } catch (error) {
        if (!isTaken(error)) throw error;
        await this.maps(name).syncMapItems(key).update({ data: {}, itemTtl: ttlSeconds, collectionTtl: ttlSeconds });
        return 'exists' as const;
      }
    };
    try {
      return await create().catch(async (error: unknown) => {
        if (!isMissing(error)) throw error;
        const [wanted] = await Promise.all([
          stillWanted?.() ?? true,
          this.maps.create({ uniqueName: name, ttl: ttlSeconds }).catch((mapError: unknown) => {
            // Another writer created it first: as good.
            if (!isTaken(mapError)) throw mapError;
          }),
        ]);
        return wanted ? create() : ('skipped' as const);
      });
    } catch (error) {
      throw storeFailure(error, 'write', `${name}/${key}`);
    }
  }

  async remove(name: string, key: string): Promise<void> {
    try {
      await this.maps(name).syncMapItems(key).remove();
    } catch (error) {
      if (!isMissing(error)) throw storeFailure(error, 'delete', `${name}/${key}`);
    }
  }
}

/** A date Sync gave (twilio-node makes it a Date) as epoch ms; nothing when there is none. */
function addedOf(date: unknown): { added?: number } {
  const ms = date instanceof Date ? date.getTime() : typeof date === 'string' ? Date.parse(date) : NaN;
  return Number.isNaN(ms) ? {} : { added: ms };
}

/** An in-process {@link KeySetStore}; TTL is ignored. */
export class MemoryKeySetStore implements KeySetStore {
  private readonly sets = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  async entries(name: string): Promise<KeyEntry[]> {
    return [...(this.sets.get(name) ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, added]) => ({ key, added }));
  }

  async add(name: string, key: string, _ttlSeconds?: number, stillWanted?: () => Promise<boolean>): Promise<'added' | 'exists' | 'skipped'> {
    const set = this.sets.get(name) ?? new Map<string, number>();
    const missing = !this.sets.has(name);
    this.sets.set(name, set);
    if (missing && stillWanted && !(await stillWanted())) return 'skipped';
    const had = set.has(key);
    set.set(key, this.now());
    return had ? 'exists' : 'added';
  }

  async remove(name: string, key: string): Promise<void> {
    this.sets.get(name)?.delete(key);
  }
}
