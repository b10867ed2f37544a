import type { RateRule } from '../guard/rate/rules';
import { SlotRateLimiter, slotsId, type Reservation } from '../guard/rate/slot-limiter';
import { MemorySlotStore } from '../guard/store/memory-slot-store';
import { groupParts, type SlotStore } from '../guard/store/slot-store';

/** A rate rule and the key an action is counted under. */
export interface RuleKey {
  rule: RateRule;
  key: string;
}

/**
 * The Sync requests of the webhook's rate rules, counted by running its own slot limiter
 * (src/guard/rate/slot-limiter.ts) as one warm Functions instance that decides every action in time
 * order, against an in-memory Sync with Sync's semantics (MemorySlotStore): a read is a group listed,
 * a write a slot created or updated (taken or lost), and a Map created when a write finds none alive
 * (the item create Sync answers 404, the Map, the item again). The verdicts stay the replay's exact
 * sliding logs; for one instance the two agree.
 */
export class SlotRequests {
  reads = 0;
  writes = 0;
  private at = 0;
  private seed = 1;
  private store!: MemorySlotStore;
  private limiter!: SlotRateLimiter;
  /** Until when each Map of slots lives: its TTL after the last write to it. */
  private readonly mapsUntil = new Map<string, number>();

  constructor() {
    this.forget();
  }

  /** A new instance and an empty Sync (the next conversation's keys, when every rule counts per conversation). */
  forget(): void {
    this.store = new MemorySlotStore({ now: () => this.at });
    this.mapsUntil.clear();
    this.seed = 1;
    const counted: SlotStore = {
      list: (...args) => {
        this.reads += 1;
        return this.store.list(...args);
      },
      take: async (group, key, takenAt, seen, ttlSeconds, writer) => {
        const { map } = groupParts(group);
        this.writes += (this.mapsUntil.get(map) ?? -Infinity) > this.at ? 1 : 3;
        const taken = await this.store.take(group, key, takenAt, seen, ttlSeconds, writer);
        if (taken !== 'lost') this.mapsUntil.set(map, this.at + ttlSeconds * 1000);
        return taken;
      },
    };
    // A fixed sequence for the limiter's random choices: the same history gives the same counts.
    const random = () => (this.seed = (this.seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    this.limiter = new SlotRateLimiter(counted, { now: () => this.at, random });
  }

  /**
   * One decision at `at`, as the webhook's rate gate makes it: every rule's slots read at once, then,
   * unless one refused on reads or `readsOnly` (another rule refused the action), a slot taken per rule.
   */
  async decide(at: number, keys: readonly RuleKey[], readsOnly: boolean): Promise<void> {
    this.at = at;
    const ids = keys.map(({ rule, key }) => ({ id: slotsId(rule.name, rule.window, key), window: rule.window }));
    const reservations: Reservation[] = await Promise.all(ids.map(({ id, window }) => this.limiter.reserve(id, window)));
    if (readsOnly || reservations.some((r) => r.kind === 'denied')) return;
    await Promise.all(ids.map(({ id, window }, i) => this.limiter.commit(id, window, reservations[i]!)));
  }
}

/** STATUS_FLUSH_INTERVAL periods a chunk of {@link Periods} holds, one bit each. */
const PERIODS_PER_CHUNK = 65_536;

/**
 * The periods of a given length (from the epoch) in which something happened, as bits: an instance
 * flushes its rejection counts and log records once per STATUS_FLUSH_INTERVAL in which it has some.
 * Memory grows with the span of time covered (8 KiB per 65,536 periods), not with the events.
 */
export class Periods {
  count = 0;
  private readonly chunks = new Map<number, Uint8Array>();

  constructor(private readonly lengthMs: number) {}

  mark(at: number): void {
    if (!Number.isFinite(at)) return;
    const period = Math.floor(at / this.lengthMs);
    const chunk = Math.floor(period / PERIODS_PER_CHUNK);
    const bit = period - chunk * PERIODS_PER_CHUNK;
    let bits = this.chunks.get(chunk);
    if (!bits) this.chunks.set(chunk, (bits = new Uint8Array(PERIODS_PER_CHUNK / 8)));
    if (bits[bit >> 3]! & (1 << (bit & 7))) return;
    bits[bit >> 3]! |= 1 << (bit & 7);
    this.count += 1;
  }
}
