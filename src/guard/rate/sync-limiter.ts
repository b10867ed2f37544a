import type { DocumentStore, StoredDocument } from '../store/document-store';
import { syncName } from '../store/names';
import { hasRoom, msUntilRoom, prune, shardCapacities } from './sliding-log';
import type { Window } from './window';

/** One shard of a key: the times (epoch ms) of the actions it admitted within the window. */
interface ShardData {
  t: number[];
  /**
   * What the last writer knew of the key's other shards: `full[i]` is a time until which shard i is
   * full (0 when unknown). Entries leave a window only by ageing, so such a fact stays true until
   * then, and a reader can deny without reading those shards.
   */
  full?: number[];
}

/**
 * Actions one shard absorbs per second, at one read and one write each: well under Sync's 20 reads/s
 * and 20 writes/s per object, leaving room for conflict retries and for reads of full shards.
 */
const SHARD_ACTIONS_PER_SECOND = 8;
/** Past this many remembered shards, expired memories are dropped. */
const MEMORY_HIGH_WATER = 10_000;
/** Timestamps one shard holds at most, so its document stays a few KB, far from Sync's 16 KiB. */
const MAX_LOG_PER_SHARD = 500;
/** Sync's TTL ceiling (one year), in seconds. */
const MAX_TTL_SECONDS = 31_536_000;

export type Reservation =
  | { kind: 'denied'; retryAfterMs: number; requests: number }
  | { kind: 'candidate'; shard: number; doc: StoredDocument<ShardData> | undefined; requests: number };

export type Outcome = { admitted: true; requests: number } | { admitted: false; retryAfterMs: number; requests: number; contended?: boolean };

/**
 * An exact sliding-window limiter kept in Sync documents. A key's limit is split across shards,
 * separate documents each with its own Sync rate budget, so one hot conversation at 30 actions/s
 * stays inside Sync's 20 writes/s per object. A decision reads one shard (another only when that
 * one is full) and writes it with If-Match, so concurrent instances can never admit more than the
 * limit. A full key is denied on reads alone. An instance remembers until when each shard it saw
 * full stays full (entries only leave a window by ageing, so that memory is exact) and skips reading
 * it until then; writers pass that knowledge on inside the shard they write, so even a new instance
 * usually denies a flooded key after reading a single shard.
 */
export class SyncRateLimiter {
  private readonly fullUntil = new Map<string, number>();

  constructor(
    private readonly store: DocumentStore,
    private readonly options: { now?: () => number; random?: () => number; maxAttempts?: number } = {},
  ) {}

  private now = () => (this.options.now ?? Date.now)();

  static shardCount(window: Window): number {
    const perSecond = window.limit / (window.windowMs / 1000);
    const forRate = Math.ceil(perSecond / SHARD_ACTIONS_PER_SECOND);
    const forSize = Math.ceil(window.limit / MAX_LOG_PER_SHARD);
    return Math.min(window.limit, Math.max(1, forRate, forSize));
  }

  /**
   * Phase one, reads only: finds a shard with room, or denies. Shards are probed one at a time in
   * random order, skipping those known full (from this instance's memory or from the hints of the
   * shards already read), so a busy key costs few reads per decision rather than one per shard.
   */
  async reserve(id: string, window: Window): Promise<Reservation> {
    const shards = SyncRateLimiter.shardCount(window);
    const capacities = shardCapacities(window, shards);
    // Memory alone decides what is open: a shard read full is remembered until it has room, so a
    // probe can come back to it if it frees meanwhile. The cap only guarantees an end.
    for (let requests = 0; requests < 2 * shards; ) {
      const shard = this.pickOpen(id, shards);
      if (shard === undefined) return { kind: 'denied', retryAfterMs: this.knownWait(id, shards), requests };
      const doc = await this.read(id, shard);
      requests++;
      if (this.roomIn(id, shard, doc, capacities[shard]!, window)) return { kind: 'candidate', shard, doc, requests };
    }
    return { kind: 'denied', retryAfterMs: this.knownWait(id, shards), requests: 2 * shards };
  }

  /**
   * Phase two: records the action in the reserved shard with a conditional write. On a conflict it
   * retries with jitter on a random open shard (the contenders spread out instead of queueing on one),
   * and stops, as a contended denial, when `giveUpAt` passes or the signal aborts: a write that lands
   * after the decision was answered would hold a slot for an action nobody admitted.
   */
  async commit(id: string, window: Window, reservation: Reservation, limits: { signal?: AbortSignal; giveUpAt?: number } = {}): Promise<Outcome> {
    if (reservation.kind === 'denied') return { admitted: false, retryAfterMs: reservation.retryAfterMs, requests: reservation.requests };
    const shards = SyncRateLimiter.shardCount(window);
    const capacities = shardCapacities(window, shards);
    const maxAttempts = this.options.maxAttempts ?? 3 + 2 * shards;
    let { shard, doc } = reservation;
    let requests = reservation.requests;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const now = this.now();
      if (limits.signal?.aborted || (attempt > 0 && limits.giveUpAt !== undefined && now >= limits.giveUpAt)) break;
      const log = prune(logOf(doc), now, window.windowMs);
      let next: number | undefined = shard;
      if (log.length < capacities[shard]!) {
        const data: ShardData = { t: [...log, now], full: this.knownFull(id, shards, now) };
        const ttl = Math.min(MAX_TTL_SECONDS, Math.ceil(window.windowMs / 1000) + 60);
        const name = this.name(id, shard);
        const written = doc ? await this.store.replace(name, data, doc.revision, ttl) : await this.store.create(name, data, ttl);
        requests++;
        if (typeof written === 'object') return { admitted: true, requests };
        await jitter(attempt);
        next = this.pickOpen(id, shards) ?? shard;
      } else {
        this.rememberFull(id, shard, now + msUntilRoom(log, capacities[shard]!, now, window.windowMs));
        next = this.pickOpen(id, shards);
        if (next === undefined) return { admitted: false, retryAfterMs: this.knownWait(id, shards), requests };
      }
      shard = next;
      doc = await this.read(id, shard);
      requests++;
    }
    return { admitted: false, retryAfterMs: 0, requests, contended: true };
  }

  /** A random shard not known to be full, or undefined when all are. */
  private pickOpen(id: string, shards: number): number | undefined {
    const open = this.shardsNotKnownFull(id, shards);
    return open.length === 0 ? undefined : open[Math.floor((this.options.random ?? Math.random)() * open.length)];
  }

  /** Whether a shard just read has room; remembers until when it is full when it has none. */
  private roomIn(id: string, shard: number, doc: StoredDocument<ShardData> | undefined, capacity: number, window: Window): boolean {
    const now = this.now();
    if (hasRoom(logOf(doc), capacity, now, window.windowMs)) return true;
    this.rememberFull(id, shard, now + msUntilRoom(logOf(doc), capacity, now, window.windowMs));
    return false;
  }

  private shardsNotKnownFull(id: string, shards: number): number[] {
    const now = this.now();
    return Array.from({ length: shards }, (_, shard) => shard).filter((shard) => (this.fullUntil.get(`${id}\u0000${shard}`) ?? 0) <= now);
  }

  /** Milliseconds until the first remembered-full shard of a key has room again. */
  private knownWait(id: string, shards: number): number {
    const until = Array.from({ length: shards }, (_, shard) => this.fullUntil.get(`${id}\u0000${shard}`) ?? 0);
    return Math.max(1, Math.min(...until) - this.now());
  }

  private knownFull(id: string, shards: number, now: number): number[] {
    return Array.from({ length: shards }, (_, shard) => {
      const until = this.fullUntil.get(`${id}\u0000${shard}`) ?? 0;
      return until > now ? until : 0;
    });
  }

  private rememberFull(id: string, shard: number, until: number): void {
    if (this.fullUntil.size >= MEMORY_HIGH_WATER) {
      const now = this.now();
      for (const [key, time] of this.fullUntil) if (time <= now) this.fullUntil.delete(key);
    }
    const key = `${id}\u0000${shard}`;
    this.fullUntil.set(key, Math.max(until, this.fullUntil.get(key) ?? 0));
  }

  /** Reads a shard and takes in what its last writer knew about the others. */
  private async read(id: string, shard: number) {
    const doc = await this.store.get<ShardData>(this.name(id, shard));
    const hints = doc?.data?.full;
    if (Array.isArray(hints)) {
      const now = this.now();
      hints.forEach((until, other) => {
        if (other !== shard && typeof until === 'number' && until > now) this.rememberFull(id, other, until);
      });
    }
    return doc;
  }

  private name(id: string, shard: number): string {
    return syncName('rate', id, String(shard));
  }
}

function logOf(doc: StoredDocument<ShardData> | undefined): number[] {
  const t = doc?.data?.t;
  return Array.isArray(t) ? t.filter((x): x is number => typeof x === 'number') : [];
}

const jitter = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15 * (attempt + 1)));
