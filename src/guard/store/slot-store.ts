import type { Twilio } from 'twilio';
import { StoreUnavailableError } from './document-store';
import { codeOf, statusOf, storeFailure } from './failure';
import { SharedWork } from './shared-work';

/**
 * Which incarnation of a slot, at which revision: what a conditional write names. Sync numbers an
 * item's revisions from "0" at each creation, so a revision alone does not tell an item from one
 * created again under its key after it was removed; its `date_created` does.
 */
export interface SlotVersion {
  revision: string;
  /** The item's `date_created`, as Sync gave it. */
  created: string;
}

/** One slot of a rate rule: when it last admitted an action, by which writer, and its version. */
export interface Slot extends SlotVersion {
  key: string;
  takenAt: number;
  /** The limiter instance whose clock `takenAt` was read on (absent when the data names none). */
  writer?: string;
}

/**
 * What a slot item holds: the time it was taken, on the writer's clock; the writer; and, for a write
 * over an existing item, the incarnation (date_created) the writer meant to write.
 */
export interface SlotData {
  t: number;
  w?: string;
  c?: string;
}

/** The writer named for a time that is no instance's own (see {@link slotOf}). */
export const NO_ONE = '';
/**
 * How long after an item's date_updated the time of the write it replaced can be: date_updated counts
 * whole seconds, and the replaced writer's clock and Sync's may differ by up to as much again.
 */
const UPDATE_BOUND_MS = 2_000;

/**
 * A slot as listed, from its data, its version and its `date_updated` (`updated`, as Sync gave it).
 * Data written for another incarnation than the item's own (a write whose If-Match matched an item
 * removed and created again, by coincidence: that writer admitted nothing) may hold a time earlier
 * than the admission it overwrote, which may be the creator's or one made on the new item since (at
 * revision "1" or later, long after its creation). That write landed when Sync dated it, after what
 * it replaced: the slot counts as taken at the later of its time and the item's `date_updated` plus
 * 2 s, so the admission it wrote over still counts for its period. Without a date to go by, and for
 * data that is not what this guard writes, the slot counts as taken just now: never as free.
 */
export function slotOf(key: string, data: unknown, version: SlotVersion & { updated?: string }, now = Date.now()): Slot {
  const { updated, ...incarnation } = version;
  const { t, w, c } = (data ?? {}) as { t?: unknown; w?: unknown; c?: unknown };
  if (typeof t !== 'number' || !Number.isFinite(t)) return { key, takenAt: now, ...incarnation };
  if (typeof c === 'string' && c !== incarnation.created) {
    const landed = Date.parse(updated ?? '');
    return { key, takenAt: Number.isNaN(landed) ? Math.max(t, now) : Math.max(t, landed + UPDATE_BOUND_MS), writer: NO_ONE, ...incarnation };
  }
  return { key, takenAt: t, ...(typeof w === 'string' && { writer: w }), ...incarnation };
}

/**
 * A group of slots: the Sync Map that holds them and the prefix of their items' keys, written
 * `<map>/<prefix>` (Map unique names hold no `/`). A group without `/` is a whole Map, prefix empty.
 */
export const slotGroup = (map: string, prefix: string) => `${map}/${prefix}`;

/** The Map and the item-key prefix a group names. */
export function groupParts(group: string): { map: string; prefix: string } {
  const at = group.indexOf('/');
  return at < 0 ? { map: group, prefix: '' } : { map: group.slice(0, at), prefix: group.slice(at + 1) };
}

/**
 * The slice of Twilio Sync the rate limiter needs: groups of slots (items of a Sync Map sharing a
 * key prefix; several groups share a Map) that can be read in one request, and a slot taken
 * atomically. Sync refuses a second creator of an item (409) and a write naming a stale revision
 * (412): either way the taker has `lost`.
 */
export interface SlotStore {
  /**
   * Every slot of a group, keyed without the group's prefix; none when its Map does not exist (yet,
   * or any more). `size` is how many slots the group has (at most 100, one page).
   */
  list(group: string, size?: number): Promise<Slot[]>;
  /**
   * Takes a slot at `takenAt`: creates it when `seen` is undefined, otherwise writes only if it is
   * still the incarnation `seen` names, at its revision. `ttlSeconds` is how long the slot and its
   * Map outlive their last use. `writer` is recorded with the time. A missing Map is created when
   * Sync answers that it is missing, and the slot created in it; `onMissing` is called at that answer
   * (a Map that is not there holds no slot of anyone's).
   */
  take(group: string, key: string, takenAt: number, seen: SlotVersion | undefined, ttlSeconds: number, writer?: string, onMissing?: () => void): Promise<SlotVersion | 'lost'>;
}

/** The largest page of Map items Twilio serves: a group of up to 100 slots is one request. */
const PAGE_SIZE = 100;

/** Maps a list found missing, remembered at most this many at once (they are created right after). */
const MAX_MISSING = 10_000;
/** Groups whose slot a create found existing (409), remembered at most this many at once (read right after). */
const MAX_EXISTING = 10_000;

/** Sync's codes for a lost race, whatever the status they come with: item key taken, unique name taken, stale revision. */
const CONFLICT_CODES = new Set([54208, 54301, 54205, 54103]);
/** Sync's codes for an object that is not there: Map not found, Map Item not found. */
const MISSING_CODES = new Set([54200, 54201, 20404]);

const isConflict = (error: unknown) => statusOf(error) === 409 || statusOf(error) === 412 || CONFLICT_CODES.has(codeOf(error) ?? 0);
const isMissing = (error: unknown) => statusOf(error) === 404 || MISSING_CODES.has(codeOf(error) ?? 0);

/**
 * Slot groups as items of Twilio Sync Maps, addressed by unique name. A group is read as one page of
 * its Map's items listed from its prefix (`From`, in lexicographic key order, as ListSyncMapItem
 * documents): a group's item keys share the prefix, so they come first, and items of other groups
 * that follow on the page are left out. The count does not rest on that order: a slot left off the
 * page is only not known, and its conditional write finds out. Progress does: a listing that did
 * not start at the prefix would show a cold instance the slots its creates meet (409) as never
 * created, again and again. So a read sent after a create met an existing slot must list that slot,
 * or it fails (StoreUnavailableError): the decision goes to the insurance limiter, logged, instead
 * of racing for slots it cannot see until its time is up.
 */
export class SyncSlotStore implements SlotStore {
  /** Maps a list found missing: their first take creates the Map before the item. */
  private readonly missing = new Set<string>();
  /** By group: the key of a slot a create found existing (409), which the group's next read must list. */
  private readonly existing = new Map<string, string>();
  /** Map creations in flight: concurrent takes of one instance share one, each within its own deadline. */
  private readonly creating = new SharedWork<void>();

  constructor(
    private readonly client: Twilio,
    private readonly serviceSid: string,
  ) {}

  private get maps() {
    return this.client.sync.v1.services(this.serviceSid).syncMaps;
  }

  async list(group: string, size = PAGE_SIZE): Promise<Slot[]> {
    const { map, prefix } = groupParts(group);
    // A slot this read must find: one a create met (409) before the read was sent.
    const existing = this.existing.get(group);
    this.existing.delete(group);
    let slots: Slot[];
    try {
      const page = await this.maps(map).syncMapItems.page({ pageSize: Math.min(PAGE_SIZE, Math.max(1, size)), order: 'asc', ...(prefix !== '' && { from: prefix, bounds: 'inclusive' as const }) });
      this.missing.delete(map);
      slots = page.instances
        .filter((item) => item.key.startsWith(prefix))
        .map((item) => slotOf(item.key.slice(prefix.length), item.data, { ...versionOf(item), updated: dateOf(item.dateUpdated) }));
    } catch (error) {
      if (!isMissing(error)) throw storeFailure(error, 'read', group);
      this.markMissing(map);
      slots = [];
    }
    if (existing !== undefined && !slots.some((slot) => slot.key === existing)) {
      // Sync did not list the group from its prefix (or the slot was removed in between, after its
      // TTL: rare, and only sends one decision to the insurance limiter).
      throw new StoreUnavailableError(`Sync read of ${group} failed: listing from the group's prefix omitted an existing slot (${existing})`);
    }
    return slots;
  }

  async take(group: string, key: string, takenAt: number, seen: SlotVersion | undefined, ttlSeconds: number, writer?: string, onMissing?: () => void): Promise<SlotVersion | 'lost'> {
    const data: SlotData = { t: takenAt, ...(writer !== undefined && { w: writer }) };
    const { map, prefix } = groupParts(group);
    const item = `${prefix}${key}`;
    try {
      if (seen !== undefined) {
        const update = { data: { ...data, c: seen.created }, ifMatch: seen.revision, itemTtl: ttlSeconds, collectionTtl: ttlSeconds };
        const written = versionOf(await this.maps(map).syncMapItems(item).update(update));
        // The If-Match matched: but the item may have been removed and created again since it was
        // seen, its revisions counted from "0" anew, and the match a coincidence. Then this write
        // did not take the slot that was seen free: it wrote over another writer's admission (which
        // readers still count, from its `c`, see slotOf). Not a slot of this taker's: lost.
        // An item without a date_created proves nothing either way: not taken.
        return written.created !== '' && written.created === seen.created ? written : 'lost';
      }
      if (this.missing.has(map)) await this.createMap(map, ttlSeconds);
      const create = () => this.maps(map).syncMapItems.create({ key: item, data, itemTtl: ttlSeconds, collectionTtl: ttlSeconds });
      const created = await create().catch(async (error: unknown) => {
        // No Map (never created, or removed after its TTL): created (by whoever comes first) and asked
        // again. Takes of this instance sent from now on join that creation instead of meeting 404.
        if (!isMissing(error)) throw error;
        this.markMissing(map);
        onMissing?.();
        await this.createMap(map, ttlSeconds);
        return create();
      });
      return versionOf(created);
    } catch (error) {
      // 409: created by another; 412: written by another; 404: removed since it was read.
      if (seen === undefined && isConflict(error)) this.markExisting(group, key);
      if (isConflict(error) || isMissing(error)) return 'lost';
      throw storeFailure(error, 'write', `${group}/${key}`);
    }
  }

  private markExisting(group: string, key: string): void {
    if (this.existing.size >= MAX_EXISTING) this.existing.clear();
    this.existing.set(group, key);
  }

  private markMissing(map: string): void {
    if (this.missing.size >= MAX_MISSING) this.missing.clear();
    this.missing.add(map);
  }

  /** Creates a Map, once per instance at a time; another instance creating it first (409) is as good. */
  private createMap(map: string, ttlSeconds: number): Promise<void> {
    return this.creating.run(map, async () => {
      try {
        await this.maps.create({ uniqueName: map, ttl: ttlSeconds });
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      this.missing.delete(map);
    });
  }
}

/** An item's incarnation and revision; `created` is empty when Sync gave no date_created. */
function versionOf(item: { revision: string; dateCreated: unknown }): SlotVersion {
  return { revision: item.revision, created: dateOf(item.dateCreated) };
}

/** A date as Sync gave it (twilio-node makes it a Date), as text; empty when there is none. */
function dateOf(date: unknown): string {
  if (date instanceof Date) return Number.isNaN(date.getTime()) ? '' : date.toISOString();
  return typeof date === 'string' ? date : '';
}
