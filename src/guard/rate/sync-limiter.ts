import type { DocumentStore, StoredDocument } from '../store/document-store';
import { syncName } from '../store/names';
import { hasRoom, msUntilRoom, prune, shardCapacities } from './sliding-log';
import type { Window } from './window';

/** One shard of a key: the times (epoch ms) of the actions it admitted within the window. */
interface ShardData {
  t: number[];
}

/**
 * Actions one shard absorbs per second, at one read and one write each: half of Sync's 20 reads/s and
 * 20 writes/s per object, leaving room for conflict retries.
 */
const SHARD_ACTIONS_PER_SECOND = 10;
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
 * stays inside Sync's 20 writes/s per object. A decision reads one shard (another only when that one
 * is full) and writes it with If-Match, so concurrent instances can never admit more than the limit;
 * a full key is denied on reads alone, and a warm instance remembers until when.
 */
export class SyncRateLimiter {
  private readonly blockedUntil = new Map<string, number>();

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

  /** Phase one, reads only: finds a shard with room, or denies. */
  async reserve(id: string, window: Window): Promise<Reservation> {
    const blocked = this.blockedUntil.get(id);
    if (blocked !== undefined && blocked > this.now()) return { kind: 'denied', retryAfterMs: blocked - this.now(), requests: 0 };
    const shards = SyncRateLimiter.shardCount(window);
    const capacities = shardCapacities(window, shards);
    const first = Math.floor((this.options.random ?? Math.random)() * shards);
    const firstDoc = await this.read(id, first);
    if (this.hasRoom(firstDoc, capacities[first]!, window)) return { kind: 'candidate', shard: first, doc: firstDoc, requests: 1 };
    // The chosen shard is full: look at all the others at once rather than one by one.
    const others = Array.from({ length: shards - 1 }, (_, i) => (first + 1 + i) % shards);
    const docs = await Promise.all(others.map((shard) => this.read(id, shard)));
    const open = others.findIndex((shard, i) => this.hasRoom(docs[i], capacities[shard]!, window));
    if (open >= 0) return { kind: 'candidate', shard: others[open]!, doc: docs[open], requests: shards };
    const wait = Math.min(...[first, ...others].map((shard, i) => msUntilRoom(logOf(i === 0 ? firstDoc : docs[i - 1]), capacities[shard]!, this.now(), window.windowMs)));
    this.blockedUntil.set(id, this.now() + wait);
    return { kind: 'denied', retryAfterMs: wait, requests: shards };
  }

  /**
   * Phase two: records the action in the reserved shard with a conditional write. On a conflict it
   * re-reads and retries with jitter, moving to another shard when this one filled up meanwhile.
   */
  async commit(id: string, window: Window, reservation: Reservation): Promise<Outcome> {
    if (reservation.kind === 'denied') return { admitted: false, retryAfterMs: reservation.retryAfterMs, requests: reservation.requests };
    const shards = SyncRateLimiter.shardCount(window);
    const capacities = shardCapacities(window, shards);
    const maxAttempts = this.options.maxAttempts ?? 3 + 2 * shards;
    const full = new Map<number, number>();
    let { shard, doc } = reservation;
    let requests = reservation.requests;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const now = this.now();
      const log = prune(logOf(doc), now, window.windowMs);
      if (log.length < capacities[shard]!) {
        const next: ShardData = { t: [...log, now] };
        const ttl = Math.min(MAX_TTL_SECONDS, Math.ceil(window.windowMs / 1000) + 60);
        const name = this.name(id, shard);
        const written = doc ? await this.store.replace(name, next, doc.revision, ttl) : await this.store.create(name, next, ttl);
        requests++;
        if (typeof written === 'object') return { admitted: true, requests };
        await jitter(attempt);
      } else {
        full.set(shard, msUntilRoom(log, capacities[shard]!, now, window.windowMs));
        const untried = Array.from({ length: shards }, (_, i) => (shard + 1 + i) % shards).find((s) => !full.has(s));
        if (untried === undefined) {
          const wait = Math.min(...full.values());
          this.blockedUntil.set(id, now + wait);
          return { admitted: false, retryAfterMs: wait, requests };
        }
        shard = untried;
      }
      doc = await this.read(id, shard);
      requests++;
    }
    return { admitted: false, retryAfterMs: 0, requests, contended: true };
  }

  private hasRoom(doc: StoredDocument<ShardData> | undefined, capacity: number, window: Window): boolean {
    return hasRoom(logOf(doc), capacity, this.now(), window.windowMs);
  }

  private read(id: string, shard: number) {
    return this.store.get<ShardData>(this.name(id, shard));
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
