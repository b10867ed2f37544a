import { groupParts, slotOf, type Slot, type SlotData, type SlotStore, type SlotVersion } from './slot-store';

interface Item extends SlotVersion {
  data: SlotData;
  /** Sync's date_updated: the last write's second. */
  updated: string;
  /** When the item is removed: its TTL after its last write, plus the removal lag. */
  removedAt: number;
}

/** A Sync Map: its items by their whole key (a group's prefix and the slot's key). */
interface StoredMap {
  removedAt: number;
  items: Map<string, Item>;
}

export interface MemorySlotStoreOptions {
  /** The store's clock. Without one, nothing expires, and each creation gets a distinct `created`. */
  now?: () => number;
  /**
   * How long after its TTL an object is removed (Sync removes late, never early): a number, or a
   * function asked at each write. Default 0.
   */
  removalLagMs?: number | (() => number);
}

/**
 * An in-process {@link SlotStore} with Sync's semantics: 409 to a second creator, 412 to a stale
 * writer, revisions numbered per item from "0" at each creation, `created` per creation to the second
 * (Sync's `date_created`), `date_updated` likewise at each write, and, given a clock, items and Maps
 * removed their TTL after their last write, plus a lag. Groups share a Map as they do in Sync: a
 * write to any of its items renews the Map (CollectionTtl), and the Map's removal takes every item
 * with it. Its slots are read as SyncSlotStore reads them ({@link slotOf}).
 */
export class MemorySlotStore implements SlotStore {
  private readonly maps = new Map<string, StoredMap>();
  private creations = 0;

  constructor(private readonly options: MemorySlotStoreOptions = {}) {}

  /** As Sync serves one page of `size` items from the group's prefix, in key order. */
  async list(group: string, size = 100): Promise<Slot[]> {
    const { map, prefix } = groupParts(group);
    const listed = [...(this.live(map)?.items ?? [])].filter(([key, item]) => key >= prefix && !this.gone(item)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const items = listed.slice(0, size).filter(([key]) => key.startsWith(prefix));
    return items.map(([key, { data, revision, created, updated }]) => slotOf(key.slice(prefix.length), { ...data }, { revision, created, updated }, this.options.now?.()));
  }

  async take(group: string, key: string, takenAt: number, seen: SlotVersion | undefined, ttlSeconds = 0, writer?: string): Promise<SlotVersion | 'lost'> {
    const { map, prefix } = groupParts(group);
    const removedAt = this.removalFrom(ttlSeconds);
    const items = this.live(map)?.items ?? new Map<string, Item>();
    const stored = items.get(prefix + key);
    const current = stored && !this.gone(stored) ? stored : undefined;
    if (seen === undefined ? current !== undefined : current?.revision !== seen.revision) return 'lost';
    // A write renews the Map's TTL, as CollectionTtl does.
    this.maps.set(map, { removedAt, items });
    const data: SlotData = { t: takenAt, ...(writer !== undefined && { w: writer }) };
    if (!current) {
      const stamp = this.stamp();
      const created: Item = { data, revision: '0', created: stamp, updated: stamp, removedAt };
      items.set(prefix + key, created);
      return { revision: created.revision, created: created.created };
    }
    // Written, whichever incarnation it is; taken only if it is the one seen.
    Object.assign(current, { data: { ...data, c: seen!.created }, revision: String(Number(current.revision) + 1), updated: this.stamp(), removedAt });
    return current.created === seen!.created ? { revision: current.revision, created: current.created } : 'lost';
  }

  /** Maps that hold at least one item, live or not yet removed: what a test reads the layout from. */
  mapNames(): string[] {
    return [...this.maps.keys()].filter((name) => this.live(name) !== undefined);
  }

  private live(map: string): StoredMap | undefined {
    const m = this.maps.get(map);
    if (m && this.gone(m)) {
      this.maps.delete(map);
      return undefined;
    }
    return m;
  }

  private gone(o: { removedAt: number }): boolean {
    return this.options.now !== undefined && this.options.now() >= o.removedAt;
  }

  private removalFrom(ttlSeconds: number): number {
    const now = this.options.now;
    if (!now || ttlSeconds <= 0) return Infinity;
    const lag = this.options.removalLagMs;
    return now() + ttlSeconds * 1000 + (typeof lag === 'function' ? lag() : (lag ?? 0));
  }

  /** Sync's date_created and date_updated: the write's second; without a clock, a name of its own (no date). */
  private stamp(): string {
    const now = this.options.now;
    return now ? new Date(Math.floor(now() / 1000) * 1000).toISOString() : `creation ${++this.creations}`;
  }
}
