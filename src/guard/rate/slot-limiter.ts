import { createHash, randomUUID } from 'node:crypto';
import { syncName } from '../store/names';
import { SharedWork } from '../store/shared-work';
import { slotGroup, type SlotStore, type SlotVersion } from '../store/slot-store';
import { LIFETIME_MARGIN_MS, MAX_TTL_SECONDS, type Window } from './window';

/**
 * Slots one group takes per second at most (a write each, plus the writes and reads of those who lose a race):
 * well under Sync's 20 writes/s and 20 reads/s per Map.
 */
const SLOT_TAKES_PER_GROUP_PER_SECOND = 3;
/** Twilio serves up to 100 Map items a page: a group is read in one request. */
const MAX_SLOTS_PER_GROUP = 100;
/**
 * The Sync Maps (buckets) a rule's slot groups are spread over, whatever the number of its keys: each
 * key's groups lie in consecutive buckets from one its hash picks, so no bucket holds two groups of one
 * key. Long-lived: every slot write renews its bucket, so a key's first action finds it there and
 * costs one conditional create. docs/design.md ("Spread") works out why 128 keeps each Map under
 * Sync's 20 writes/s.
 */
export const BUCKETS = 128;
/** Groups this instance remembers; the least recently used are forgotten past this. */
const MAX_REMEMBERED_GROUPS = 5_000;
/**
 * The clock difference between instances the guard absorbs: a slot another instance took, on its own
 * clock, is judged free this much later than its period. A slot this instance took is judged on the
 * clock that wrote it, exactly.
 */
export const SKEW_MARGIN_MS = 50;
/**
 * Groups a decision reads at once, after the first: a cold instance facing a key at its limit reads
 * every group (34 for 100/1s) in a few round trips within Sync's share of the deadline.
 */
const READ_BATCH = 8;
/** Knowledge of a slot younger than this is used even when the slot may have expired (it was just read). */
const FRESH_MS = 1_000;

/**
 * What this instance knows of one slot: when it was last taken and by which instance, its version
 * (absent for a slot never created), and when this instance learnt it. Knowing a slot taken is exact
 * until the time it frees, since nobody can untake it; knowing it free may be stale, which a
 * conditional write finds out, as long as the slot has not been removed and created again since
 * (see `usable`).
 */
interface KnownSlot {
  takenAt: number;
  writer?: string;
  version?: SlotVersion;
  seenAt: number;
}

/**
 * What this instance knows of one group. `read`: listed from Sync. `assumed`: never read, its slots
 * taken to be never created, the guess made for a key this instance knows nothing of (most often a
 * new key), which a create proves or disproves (409) in the same request that takes the slot.
 */
interface GroupView {
  slots: Map<string, KnownSlot>;
  source: 'read' | 'assumed';
  /** Assumed, and no create of this instance's has succeeded in it yet: one at a time tests the guess. */
  unconfirmed: boolean;
  /** Settles once the guess is borne out: a create succeeded, or Sync answered that the Map is not there. */
  confirmed?: { promise: Promise<void>; resolve: () => void };
  /** A write to it lost a race: it is read again before it is used. */
  stale: boolean;
}

/** The slots' id of a rule's key: the rule (its name and window, which name its Maps) and the key. */
export const slotsId = (rule: string, window: Window, key: string) => `${rule}\u0000${window.limit}/${window.windowMs}\u0000${key}`;

/** The rule's part of an id made by {@link slotsId} (empty for any other id): what names its buckets. */
function scopeOf(id: string): string {
  const first = id.indexOf('\u0000');
  const second = first < 0 ? -1 : id.indexOf('\u0000', first + 1);
  return second < 0 ? '' : id.slice(0, second);
}

/**
 * `denied`: every slot of the key was seen taken, `retryAfterMs` until the first frees. `candidate`: a
 * group with a free slot, or none named when the reads could not show the limit reached (a view a
 * lost race left stale, one forgotten meanwhile): commit looks again.
 */
export type Reservation = { kind: 'denied'; retryAfterMs: number; requests: number } | { kind: 'candidate'; group?: number; requests: number };

export type Outcome = { admitted: true; requests: number } | { admitted: false; retryAfterMs: number; requests: number; contended?: boolean };

/**
 * `N/period` as N slots, kept as items of the rule's Sync Maps (a bounded set of buckets shared by
 * all its keys; a key's slots are split into groups, each a run of items under one key prefix). A slot
 * holds the time it last admitted an action, and admits one only when that was at least `period` ago,
 * by a conditional write: creating a missing item (a second creator gets 409) or updating an expired
 * one with If-Match (a second writer gets 412), a write that counts only if the item is still the
 * incarnation that was seen (its date_created). Each slot thus admits at most one action in any
 * window of length `period`, so the N slots admit at most N, whatever the number of instances. A key
 * this instance knows nothing of is taken to be new: its first action creates a slot at once, and a
 * 409 sends it to read the group. An instance reads a group in one request, tries its free slots in
 * random order, remembers until when each slot is taken, and denies without any request while it
 * knows every slot taken. docs/design.md#rate-limits states the guarantee and what it rests on.
 */
export class SlotRateLimiter {
  /** Group name → what is known of it; a Map in least-recently-used order. */
  private readonly known = new Map<string, GroupView>();
  /** Reads in flight, by group: concurrent decisions of this instance share one, each within its own deadline. */
  private readonly reading = new SharedWork<void>();
  /** Slots a decision of this instance is writing, so that its concurrent decisions pick others. */
  private readonly claims = new Map<string, Promise<unknown>>();
  /** Written with each slot taken, so that this instance judges its own slots on its own clock. */
  private readonly id = randomUUID().slice(0, 8);

  constructor(
    private readonly store: SlotStore,
    private readonly options: { now?: () => number; random?: () => number; maxAttempts?: number } = {},
  ) {}

  private now = () => (this.options.now ?? Date.now)();
  private random = () => (this.options.random ?? Math.random)();

  /** How many groups a window's slots are spread over, and how many slots each holds. */
  static layout(window: Window): number[] {
    const perSecond = window.limit / (window.windowMs / 1000);
    const groups = Math.min(window.limit, Math.max(1, Math.ceil(perSecond / SLOT_TAKES_PER_GROUP_PER_SECOND), Math.ceil(window.limit / MAX_SLOTS_PER_GROUP)));
    return Array.from({ length: groups }, (_, i) => Math.floor(window.limit / groups) + (i < window.limit % groups ? 1 : 0));
  }

  /**
   * Where group `g` of an id's slots lives: one of its rule's bucket Maps (named by the rule, its
   * window and the bucket), under a prefix of its own (the id's hash and the group). Buckets are never
   * shared by two windows, so every write to one sets the same CollectionTtl.
   */
  static groupOf(id: string, window: Window, g: number): string {
    const sizes = SlotRateLimiter.layout(window);
    const buckets = Math.max(BUCKETS, sizes.length);
    const digest = createHash('sha256').update(JSON.stringify([id])).digest('hex').slice(0, 32);
    const bucket = (parseInt(digest.slice(0, 8), 16) + g) % buckets;
    // The layout (slots per group) names the Maps too: a change of SLOT_TAKES_PER_GROUP_PER_SECOND or
    // MAX_SLOTS_PER_GROUP that regroups a window's slots starts fresh Maps, never a prefix shared by
    // two layouts (a group of the old one could hold keys the new one's page would leave off).
    return slotGroup(syncName('rate', scopeOf(id), `${window.limit}/${window.windowMs}`, `${bucket}/${buckets}`, sizes.join(',')), `${digest}.${g}.`);
  }

  /**
   * Phase one, reads only: finds a group with a free slot, or denies when every slot is known taken.
   * A key this instance knows nothing of costs nothing here (it is taken to be new: commit's create
   * finds out); a group it knows is not read; one it must read again is.
   */
  async reserve(id: string, window: Window): Promise<Reservation> {
    const sizes = SlotRateLimiter.layout(window);
    const { group, requests } = await this.groupWithRoom(id, window, sizes);
    if (group !== undefined) return { kind: 'candidate', group, requests };
    const wait = this.limitReached(id, window, sizes);
    // Not every group was seen full: not the limit. Commit looks again, and answers contended if it cannot tell.
    return wait === undefined ? { kind: 'candidate', requests } : { kind: 'denied', retryAfterMs: wait, requests };
  }

  /**
   * Phase two: takes a free slot with a conditional write. A lost race means this instance's view of
   * the group was stale or a guess (a slot it took to be new exists): it reads the group again and
   * tries another free slot, or another group. Every
   * slot known taken is a proven limit. Stops, as contended, once `giveUpAt` passes or the signal
   * aborts: a write after the decision's time would hold a slot for an action nobody admitted.
   */
  async commit(id: string, window: Window, reservation: Reservation, limits: { signal?: AbortSignal; giveUpAt?: number } = {}): Promise<Outcome> {
    if (reservation.kind === 'denied') return { admitted: false, retryAfterMs: reservation.retryAfterMs, requests: reservation.requests };
    const sizes = SlotRateLimiter.layout(window);
    const maxAttempts = this.options.maxAttempts ?? 4 + 2 * sizes.length;
    let requests = reservation.requests;
    let group: number | undefined = reservation.group;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (limits.signal?.aborted || (attempt > 0 && limits.giveUpAt !== undefined && this.now() >= limits.giveUpAt)) break;
      if (group === undefined || this.freeSlots(id, group, window).length === 0) {
        const next = await this.groupWithRoom(id, window, sizes);
        requests += next.requests;
        group = next.group;
        if (group === undefined) {
          // Refused as the limit only when every group was seen full; otherwise another attempt, or contended.
          const wait = this.limitReached(id, window, sizes);
          if (wait !== undefined) return { admitted: false, retryAfterMs: wait, requests };
        }
        continue;
      }
      const inFlight = this.claimsOf(id, group, window);
      const testing = this.view(id, group, window);
      if (testing?.unconfirmed && inFlight.length > 0) {
        // A guess that the group is new is being tested by another decision of this instance: if it
        // fails (409), the group is read instead of failing here too; once it holds (a slot created,
        // or no Map at all), this one writes. Not an attempt of this one's.
        await settledOrAborted([Promise.race([Promise.allSettled(inFlight), testing.confirmed!.promise])], limits.signal);
        attempt--;
        continue;
      }
      const unclaimed = this.freeSlots(id, group, window).filter(([key]) => !this.claims.has(this.slotId(id, group!, window, key)));
      if (unclaimed.length === 0) {
        // Every free slot is being written by other decisions of this instance: see how they end,
        // within this decision's own time. Waiting on them is not an attempt of this decision's;
        // giveUpAt and the signal still bound it.
        await settledOrAborted(this.claimsOf(id, group, window), limits.signal);
        attempt--;
        continue;
      }
      const free = unclaimed.filter(([, slot]) => this.usable(slot, window));
      if (free.length === 0) {
        // What this instance remembers of these slots may predate their removal: read them afresh.
        await this.read(id, group, window);
        requests++;
        continue;
      }
      const [key, slot] = free[Math.floor(this.random() * free.length)]!;
      const now = this.now();
      const taking = group;
      // The view the write goes by: a lost race (or a failure) shows that one stale, not a view a read
      // made while the write was in flight.
      const basedOn = this.view(id, group, window)!;
      // What the write shows is learnt as it settles, before any decision waiting for it resumes. A
      // write that failed (Sync throttled, failing, late) leaves the group to be read before the next
      // write that goes by the same view: a failure found by a read reaches the insurance limiter
      // before any rule writes.
      const confirm = () => this.confirm(id, taking, window);
      const claim = this.store.take(SlotRateLimiter.groupOf(id, window, group), key, now, slot.version, ttlOf(window), this.id, confirm).then(
        (taken) => (this.learn(id, taking, window, key, now, taken, basedOn), taken),
        (error: unknown) => {
          this.learn(id, taking, window, key, now, 'lost', basedOn);
          throw error;
        },
      );
      const claimId = this.slotId(id, group, window, key);
      this.claims.set(claimId, claim.catch(() => undefined));
      const taken = await claim.finally(() => this.claims.delete(claimId));
      requests++;
      if (taken !== 'lost') return { admitted: true, requests };
      await this.read(id, group, window);
      requests++;
    }
    return { admitted: false, retryAfterMs: 0, requests, contended: true };
  }

  /**
   * A group with a free slot, in random order; undefined when there is none. A group this instance
   * knows with room costs nothing. A key it has never read (nothing known of it, or only groups it
   * assumed new) is taken to be new: a group it knows nothing of is assumed to have every slot free,
   * at no cost, and the write finds out. Otherwise the groups it must read are read one first (a key
   * with room is usually found there; 8 at once when a group of the key is known full), then up to
   * READ_BATCH at once, each batch in one round trip: a cold instance refuses a key at its limit in
   * a few round trips, not one per group.
   */
  private async groupWithRoom(id: string, window: Window, sizes: number[]): Promise<{ group?: number; requests: number }> {
    const order = this.shuffled(sizes.length);
    const hasRoom = (group: number) => this.freeSlots(id, group, window).length > 0;
    const unread = order.filter((group) => this.needsRead(id, group, window));
    const known = order.find((group) => !unread.includes(group) && hasRoom(group));
    if (known !== undefined) return { group: known, requests: 0 };
    const neverRead = order.every((group) => {
      const view = this.view(id, group, window);
      return view === undefined || (view.source === 'assumed' && !view.stale);
    });
    const unknown = order.find((group) => this.view(id, group, window) === undefined);
    if (neverRead && unknown !== undefined) {
      this.assume(id, unknown, window);
      return { group: unknown, requests: 0 };
    }
    const knownFull = order.some((group) => !unread.includes(group) && !hasRoom(group));
    let requests = 0;
    for (let start = 0, size = knownFull ? READ_BATCH : 1; start < unread.length; start += size, size = READ_BATCH) {
      const batch = unread.slice(start, start + size);
      await Promise.all(batch.map((group) => this.read(id, group, window)));
      requests += batch.length;
      const found = batch.find(hasRoom);
      if (found !== undefined) return { group: found, requests };
    }
    return { requests };
  }

  /**
   * The limit, shown: when every group's view is there, not stale, and has no free slot, the exact
   * wait until the first slot frees. Undefined otherwise (a view forgotten or left stale by a lost
   * race says nothing of the slots; a slot free by now is room): contention, never the limit.
   */
  private limitReached(id: string, window: Window, sizes: number[]): number | undefined {
    let first = Infinity;
    for (let group = 0; group < sizes.length; group++) {
      const view = this.view(id, group, window);
      if (!view || view.stale) return undefined;
      for (const slot of view.slots.values()) first = Math.min(first, this.freeAt(slot, window));
    }
    const wait = first - this.now();
    return wait > 0 ? Math.max(1, wait) : undefined;
  }

  /**
   * When a slot frees: a period after it was taken, on the clock that took it. Another instance's
   * time is read on this instance's clock, so its slots free SKEW_MARGIN_MS later. (A slot that names
   * no writer was not written by this guard's slot limiter, or before it recorded writers: the period alone.)
   */
  private freeAt(slot: KnownSlot, window: Window): number {
    return slot.takenAt + window.windowMs + (slot.writer !== undefined && slot.writer !== this.id ? SKEW_MARGIN_MS : 0);
  }

  /** The slots of a group known free now: never created, or taken at least a window ago (none while it must be read again). */
  private freeSlots(id: string, group: number, window: Window): Array<[string, KnownSlot]> {
    const now = this.now();
    const view = this.view(id, group, window);
    if (!view || view.stale) return [];
    return [...view.slots.entries()].filter(([, slot]) => this.freeAt(slot, window) <= now);
  }

  /**
   * Whether a write may name what this instance knows of a slot. Sync numbers the revisions of each
   * creation of an item from "0": once the slot may have expired and been removed and created again,
   * a remembered revision could name the new item by coincidence. Such knowledge is read afresh
   * before a write. (The write would not count, being to another incarnation, see SlotStore.take,
   * but it would waste a request and write over the new item's admission.) A slot never created
   * needs no version: its creation is refused (409) if it exists.
   */
  private usable(slot: KnownSlot, window: Window): boolean {
    const now = this.now();
    return slot.version === undefined || now < slot.takenAt + ttlOf(window) * 1000 - LIFETIME_MARGIN_MS / 2 || now - slot.seenAt < FRESH_MS;
  }

  /** A group this instance knows nothing of, must read again, or whose only free slots it must read afresh before a write. */
  private needsRead(id: string, group: number, window: Window): boolean {
    const view = this.view(id, group, window);
    if (!view || view.stale) return true;
    const free = this.freeSlots(id, group, window);
    return free.length > 0 && !free.some(([, slot]) => this.usable(slot, window));
  }

  private read(id: string, group: number, window: Window): Promise<void> {
    const name = SlotRateLimiter.groupOf(id, window, group);
    const size = SlotRateLimiter.layout(window)[group]!;
    return this.reading.run(name, () => this.readNow(this.local(id, group, window), name, size));
  }

  private async readNow(local: string, name: string, size: number): Promise<void> {
    const listed = await this.store.list(name, size);
    const seenAt = this.now();
    const slots = new Map<string, KnownSlot>(Array.from({ length: size }, (_, i) => [String(i), { takenAt: -Infinity, seenAt }]));
    for (const slot of listed) {
      if (slots.has(slot.key)) slots.set(slot.key, { takenAt: slot.takenAt, writer: slot.writer, version: { revision: slot.revision, created: slot.created }, seenAt });
    }
    this.remember(local, { slots, source: 'read', unconfirmed: false, stale: false });
  }

  /** Takes a group this instance knows nothing of to be new: every slot never created. */
  private assume(id: string, group: number, window: Window): void {
    const seenAt = this.now();
    const size = SlotRateLimiter.layout(window)[group]!;
    const slots = new Map<string, KnownSlot>(Array.from({ length: size }, (_, i) => [String(i), { takenAt: -Infinity, seenAt }]));
    let resolve = () => {};
    const promise = new Promise<void>((done) => (resolve = done));
    this.remember(this.local(id, group, window), { slots, source: 'assumed', unconfirmed: true, stale: false, confirmed: { promise, resolve } });
  }

  /** An assumed group's guess borne out: the decisions waiting on it write. */
  private confirm(id: string, group: number, window: Window): void {
    const view = this.view(id, group, window);
    if (!view?.unconfirmed) return;
    view.unconfirmed = false;
    view.confirmed?.resolve();
  }

  /**
   * What a write showed: a slot this instance now holds, or that the view it went by (`basedOn`) was
   * stale. Only that view: one a read made while the write was in flight is newer than what the write
   * found, and stays usable.
   */
  private learn(id: string, group: number, window: Window, key: string, takenAt: number, taken: SlotVersion | 'lost', basedOn: GroupView): void {
    if (taken === 'lost') {
      basedOn.stale = true;
      return;
    }
    const view = this.view(id, group, window);
    if (!view) return;
    view.slots.set(key, { takenAt, writer: this.id, version: taken, seenAt: takenAt });
    this.confirm(id, group, window);
  }

  private remember(local: string, view: GroupView): void {
    this.known.delete(local);
    this.known.set(local, view);
    if (this.known.size > MAX_REMEMBERED_GROUPS) this.known.delete(this.known.keys().next().value!);
  }

  /** This instance's name for a group: its window, the id and the group's number (the Sync name is a hash away). */
  private local = (id: string, group: number, window: Window) => `${window.limit}/${window.windowMs}\u0000${group}\u0000${id}`;

  private slotId = (id: string, group: number, window: Window, key: string) => `${this.local(id, group, window)}\u0000${key}`;

  private claimsOf(id: string, group: number, window: Window): Array<Promise<unknown>> {
    const prefix = `${this.local(id, group, window)}\u0000`;
    return [...this.claims].filter(([slot]) => slot.startsWith(prefix)).map(([, claim]) => claim);
  }

  private view(id: string, group: number, window: Window): GroupView | undefined {
    return this.known.get(this.local(id, group, window));
  }

  private shuffled(count: number): number[] {
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }

}

/**
 * Slots and their groups are cleaned up LIFETIME_MARGIN_MS after they could last matter; a period is
 * at most MAX_PERIOD_MS (window.ts), so that is within Sync's ceiling, which the min only restates.
 */
export const ttlOf = (window: Window) => Math.min(MAX_TTL_SECONDS, Math.ceil((window.windowMs + LIFETIME_MARGIN_MS) / 1000));

/** Settles once every promise has, or once the signal aborts, whichever comes first. */
async function settledOrAborted(promises: Array<Promise<unknown>>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return void (await Promise.allSettled(promises));
  let onAbort = () => undefined as void;
  const aborted = new Promise<void>((resolve) => (onAbort = resolve));
  if (signal.aborted) return;
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([Promise.allSettled(promises), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
