import type { Window } from './window';

/**
 * What one key keeps, whatever its limit: up to this many action times (an exact sliding log) when
 * the limit is at most this, otherwise counts for this many sub-windows of the period, plus one.
 */
export const BUCKETS = 60;

/** A limit of at most {@link BUCKETS}: the time of each action still in the window, oldest first. */
interface ExactLog {
  kind: 'log';
  windowMs: number;
  limit: number;
  times: number[];
}

/** A larger limit: a ring of counts per bucket of `widthMs`, the newest numbered `newest`. */
interface BucketCounts {
  kind: 'buckets';
  windowMs: number;
  limit: number;
  widthMs: number;
  /** Bucket number (epoch ms / widthMs) of the newest bucket the ring holds. */
  newest: number;
  /** The count of bucket n, for n from newest - length + 1 to newest, is at place n mod length. */
  counts: number[];
}

type Entry = ExactLog | BucketCounts;

type Taken = { admitted: true } | { admitted: false; retryAfterMs: number };

/**
 * The insurance limiter: the rule's window in this instance's memory. It decides only when Sync
 * cannot (throttled, failing or late), so each warm instance then enforces the limit on its own; it
 * also records what Sync admitted, so it is warm when it is needed.
 *
 * A key's memory is bounded whatever its limit: at most {@link BUCKETS} numbers plus one. A limit of
 * up to BUCKETS keeps the time of each action (exact). A larger one (5000/1d) keeps a count per
 * sub-window, the period split into BUCKETS, and judges by every bucket the sliding window touches,
 * the oldest one whole: it can only over-count, by actions at most one bucket (ceil(period / 60) ms)
 * older than the period. Either way it never admits an action while it knows of `limit` others
 * (admitted or recorded) within the period before it, so it never admits more than the limit in any
 * window of the period's length; the buckets may refuse for up to ceil(period / 60) ms longer than an
 * exact log (a bucket is a whole number of milliseconds).
 */
export class MemoryRateLimiter {
  /** Keys in least-recently-used order, at most `maxKeys`. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Admits and records the action when the window has room. */
  take(id: string, window: Window): Taken {
    const now = this.now();
    const entry = this.current(id, window, now);
    return entry.kind === 'log' ? takeFromLog(entry, now) : takeFromBuckets(entry, now);
  }

  /** Notes an action admitted elsewhere. */
  record(id: string, window: Window): void {
    const now = this.now();
    const entry = this.current(id, window, now);
    if (entry.kind === 'buckets') {
      entry.counts[place(entry, entry.newest)]! += 1;
      return;
    }
    insertSorted(entry.times, now);
    // Only the newest `limit` can ever matter to a decision.
    if (entry.times.length > entry.limit) entry.times.splice(0, entry.times.length - entry.limit);
  }

  /** How many numbers the limiter keeps for `id` (0 once it has forgotten it): at most BUCKETS + 1, whatever the limit. */
  sizeOf(id: string): number {
    const entry = this.entries.get(id);
    return entry === undefined ? 0 : entry.kind === 'log' ? entry.times.length : entry.counts.length;
  }

  /** The key's entry, made the most recently used, brought up to `now`. */
  private current(id: string, window: Window, now: number): Entry {
    let entry = this.entries.get(id);
    // The gate's ids name the window, so a key's window never changes; if it did, it starts afresh.
    if (!entry || entry.windowMs !== window.windowMs || entry.limit !== window.limit) entry = fresh(window, now);
    if (entry.kind === 'log') prune(entry, now);
    else advance(entry, now);
    this.entries.delete(id);
    this.entries.set(id, entry);
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}

function fresh(window: Window, now: number): Entry {
  if (window.limit <= BUCKETS) return { kind: 'log', windowMs: window.windowMs, limit: window.limit, times: [] };
  const widthMs = Math.max(1, Math.ceil(window.windowMs / BUCKETS));
  // The buckets a window can touch: ceil(windowMs / widthMs) whole ones, plus the one it starts in.
  const size = Math.ceil(window.windowMs / widthMs) + 1;
  return { kind: 'buckets', windowMs: window.windowMs, limit: window.limit, widthMs, newest: Math.floor(now / widthMs), counts: new Array<number>(size).fill(0) };
}

/** Drops the times that left the window, and any more than a window ahead (a clock that jumped). */
function prune(log: ExactLog, now: number): void {
  let old = 0;
  while (old < log.times.length && log.times[old]! <= now - log.windowMs) old += 1;
  if (old > 0) log.times.splice(0, old);
  while (log.times.length > 0 && log.times.at(-1)! > now + log.windowMs) log.times.pop();
}

function takeFromLog(log: ExactLog, now: number): Taken {
  if (log.times.length < log.limit) {
    insertSorted(log.times, now);
    return { admitted: true };
  }
  // Room comes when the entry that would be the limit-th most recent leaves the window.
  return { admitted: false, retryAfterMs: Math.max(1, log.times[log.times.length - log.limit]! + log.windowMs - now) };
}

/** Keeps `times` in order even when a clock steps back. */
function insertSorted(times: number[], t: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1]! > t) i -= 1;
  times.splice(i, 0, t);
}

/**
 * Moves the ring on to the bucket of `now`; the buckets it moves on to take the places of the oldest
 * and start at zero. A clock that steps back counts into the newest bucket there is, so nothing
 * counted leaves early.
 */
function advance(entry: BucketCounts, now: number): void {
  const bucket = Math.floor(now / entry.widthMs);
  if (bucket <= entry.newest) return;
  for (let n = Math.max(entry.newest + 1, bucket - entry.counts.length + 1); n <= bucket; n += 1) entry.counts[place(entry, n)] = 0;
  entry.newest = bucket;
}

function takeFromBuckets(entry: BucketCounts, now: number): Taken {
  const from = firstCounted(entry, now);
  let inWindow = 0;
  for (let n = from; n <= entry.newest; n += 1) inWindow += entry.counts[place(entry, n)]!;
  if (inWindow < entry.limit) {
    entry.counts[place(entry, entry.newest)]! += 1;
    return { admitted: true };
  }
  // The oldest buckets leave the window one by one; room comes once enough of them have left.
  let left = inWindow;
  let n = from;
  for (; n < entry.newest; n += 1) {
    left -= entry.counts[place(entry, n)]!;
    if (left < entry.limit) break;
  }
  return { admitted: false, retryAfterMs: Math.max(1, leavesAt(entry, n) - now) };
}

/** The oldest bucket the window ending at `now` touches (the one holding now - period), or the oldest held. */
const firstCounted = (entry: BucketCounts, now: number) => Math.max(entry.newest - entry.counts.length + 1, Math.floor((now - entry.windowMs) / entry.widthMs));

/** When bucket n stops being counted: once now - period has passed its end. */
const leavesAt = (entry: BucketCounts, n: number) => (n + 1) * entry.widthMs + entry.windowMs;

/** The place of bucket n in the ring. */
const place = (entry: BucketCounts, n: number) => ((n % entry.counts.length) + entry.counts.length) % entry.counts.length;
