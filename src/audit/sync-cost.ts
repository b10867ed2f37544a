import type { RateRule } from '../guard/rate/rules';
import { SlotRateLimiter, slotsId, ttlOf } from '../guard/rate/slot-limiter';
import { LIFETIME_MARGIN_MS } from '../guard/rate/window';
import { groupParts } from '../guard/store/slot-store';

/** A rate rule and the key an action is counted under. */
export interface RuleKey {
  rule: RateRule;
  key: string;
}

/** What one warm instance knows of a key's slots. */
interface KeySlots {
  /** The last admission. */
  last: number;
  /** Admissions so far, up to the rule's limit: while fewer, a slot never created is free to take. */
  taken: number;
  /** The Sync Map its (first) group of slots lives in. */
  map: string;
}

/**
 * The Sync requests of the webhook's rate rules (src/guard/rate/slot-limiter.ts), as one warm Functions
 * instance deciding every action in time order sends them, worked out from the replay's verdicts:
 *
 * - a write per rule admitting an action (a slot created or updated), and two more when the Map its
 *   slots live in had no write for its lifetime (the create Sync answers 404, then the Map);
 * - a read, for a key the instance knows whose every slot has been taken once, when its latest
 *   admission is older than what the instance trusts without reading (the period and half the
 *   5-minute margin); none otherwise: a key it does not know is taken to be new, and one at its limit
 *   is refused from what it knows.
 *
 * The writes and the verdicts are exactly the limiter's; the reads are an estimate of them (the
 * instance reads when every free slot it knows may have expired, which depends on the slots its random
 * choices took). tests/audit/sync-cost.test.ts holds them against the limiter itself.
 */
export class RateRequests {
  reads = 0;
  writes = 0;
  private readonly keys = new Map<string, KeySlots>();
  /** Until when each Map of slots lives: its TTL after the last write to it. */
  private readonly mapsUntil = new Map<string, number>();

  /** Forgets every key (the next conversation's, when every rule counts per conversation). */
  forget(): void {
    this.keys.clear();
    this.mapsUntil.clear();
  }

  /** One decision at `at` that the rules in `keys` count: `admitted` when every rule admits it. */
  decide(at: number, keys: readonly RuleKey[], admitted: boolean): void {
    for (const { rule, key } of keys) {
      const known = this.keys.get(slotsId(rule.name, rule.window, key));
      if (known && known.taken >= rule.window.limit && at - known.last >= rule.window.windowMs + LIFETIME_MARGIN_MS / 2) this.reads += 1;
    }
    if (!admitted) return;
    for (const { rule, key } of keys) {
      const id = slotsId(rule.name, rule.window, key);
      const ttlMs = ttlOf(rule.window) * 1000;
      const known = this.keys.get(id);
      const map = known?.map ?? groupParts(SlotRateLimiter.groupOf(id, rule.window, 0)).map;
      this.writes += (this.mapsUntil.get(map) ?? -Infinity) > at ? 1 : 3;
      this.mapsUntil.set(map, at + ttlMs);
      this.keys.set(id, { last: at, taken: Math.min(rule.window.limit, (known?.taken ?? 0) + 1), map });
    }
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
