import type { ObjectCounters, SyncRateLimit } from './types';

export const DEFAULT_SYNC_RATE_LIMIT: SyncRateLimit = { perSecond: 20, burstSeconds: 10 };

export type AccessKind = 'read' | 'write';

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * Twilio documents Sync's per-object limit as "20 reads/s and 20 writes/s with a
 * 10-second burst". Modelled as two token buckets per object (reads, writes),
 * each holding up to perSecond × burstSeconds tokens, starting full and refilled
 * continuously at perSecond tokens per second. A request that finds its bucket
 * empty is throttled and does not consume a token.
 *
 * Counters record accepted reads and writes; throttled requests are counted only
 * under `throttled`.
 */
export class SyncRateLimiter {
  private limit: SyncRateLimit = { ...DEFAULT_SYNC_RATE_LIMIT };
  private readonly buckets = new Map<string, Bucket>();
  private readonly counts = new Map<string, ObjectCounters>();

  constructor(private readonly now: () => number) {}

  configure(limit: SyncRateLimit): void {
    const valid = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
    if (!valid(limit.perSecond) || !valid(limit.burstSeconds)) {
      throw new RangeError('perSecond and burstSeconds must be positive numbers');
    }
    this.limit = { perSecond: limit.perSecond, burstSeconds: limit.burstSeconds };
    // New limits start from full buckets so a test sees exactly the configured burst.
    this.buckets.clear();
  }

  /** Returns false when the request must be throttled. */
  take(object: string, kind: AccessKind): boolean {
    const counters = this.countersFor(object);
    const capacity = this.limit.perSecond * this.limit.burstSeconds;
    const key = `${kind}\u0000${object}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, refilledAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.refilledAt) / 1000;
    bucket.tokens = Math.min(capacity, bucket.tokens + elapsedSeconds * this.limit.perSecond);
    bucket.refilledAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      counters.throttled += 1;
      return false;
    }
    bucket.tokens -= 1;
    if (kind === 'read') counters.reads += 1;
    else counters.writes += 1;
    return true;
  }

  counters(): Record<string, ObjectCounters> {
    const out: Record<string, ObjectCounters> = {};
    for (const [object, c] of this.counts) out[object] = { ...c };
    return out;
  }

  reset(): void {
    this.limit = { ...DEFAULT_SYNC_RATE_LIMIT };
    this.buckets.clear();
    this.counts.clear();
  }

  private countersFor(object: string): ObjectCounters {
    let c = this.counts.get(object);
    if (!c) {
      c = { reads: 0, writes: 0, throttled: 0 };
      this.counts.set(object, c);
    }
    return c;
  }
}
