import { randomBytes } from 'node:crypto';
import { StoreUnavailableError, type DocumentStore, type StoredDocument } from '../store/document-store';
import { updateDocument } from '../store/update-document';
import { asCounts, count, emptyCounts, isEmpty, MAX_COUNTS_JSON_BYTES, merge, prune, type Outcome, type RejectionCounts } from './counts';

/** A day and an hour: documents of a guard that stopped rejecting expire on their own. */
const COUNTS_TTL_SECONDS = 25 * 60 * 60;
/** Conditional writes lost to other instances before this flush gives up and keeps its counts. */
const MAX_WRITE_ATTEMPTS = 3;
/** Ids of the latest flushes a shard document keeps, newest last. */
const KEPT_FLUSH_IDS = 16;
/** What the ids take of a document (16 ids of 8 characters, quoted, and their key): the counts get the rest. */
const FLUSH_IDS_BYTES = 256;

/**
 * A write Sync may have applied before it failed (a 5xx, or no answer at all): its counts are neither
 * pending nor dropped until a read of its document says whether its id is there.
 */
interface Unconfirmed {
  shard: number;
  id: string;
  counts: RejectionCounts;
}

/** The Sync document holding one shard of the rejection counts. */
export const countsDocumentName = (shard: number) => `guard_rejections_${shard}`;

export interface FlushOptions {
  store: DocumentStore;
  /** @default 2 */
  shards: number;
  now: number;
}

export type FlushResult = 'nothing' | 'written' | 'kept';

/**
 * Rejection counts of one Functions instance. Rejections are counted in memory and added to Sync at
 * most once per flush interval, into one of a few shard documents chosen at random: a flood of
 * rejections costs each instance one read and one write per interval, not one per rejection.
 */
export class RejectionRecorder {
  private counts: RejectionCounts = emptyCounts();
  /** The counts a flush under way has taken, until Sync has them or they are pending again. */
  private inFlight: RejectionCounts | undefined;
  /** The last write whose failure left open whether Sync applied it. */
  private unconfirmed: Unconfirmed | undefined;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private flushing = false;

  constructor(private readonly random: () => number = Math.random) {}

  record(rule: string, outcome: Outcome, at: number): void {
    count(this.counts, rule, outcome, at);
  }

  /** Counts wait for a flush: new ones, or those of a write not confirmed yet. */
  get pending(): boolean {
    return !isEmpty(this.counts) || this.unconfirmed !== undefined;
  }

  /**
   * What this instance counted that Sync does not hold yet: the pending counts and those of a flush
   * under way. Read it after reading Sync, so a flush that lands in between is counted once. The
   * counts of an unconfirmed write are left out: Sync may hold them.
   */
  unflushed(): RejectionCounts {
    return merge(this.counts, this.inFlight ?? emptyCounts());
  }

  /** Forgets the pending counts (counters switched off). */
  discard(): void {
    this.counts = emptyCounts();
    this.unconfirmed = undefined;
  }

  /** Whether a flush is due: counts are pending, none is in flight, and the last began `intervalMs` ago or more. */
  due(now: number, intervalMs: number): boolean {
    return this.pending && !this.flushing && now - this.lastFlush >= intervalMs;
  }

  /**
   * Adds the pending counts to a shard document with a conditional write, which also records the
   * flush's id among the document's latest. Counts that could not be written (Sync unavailable,
   * throttled or contended) stay pending for the next flush. A write that failed without saying
   * whether Sync applied it (a 5xx, or no answer) is never simply repeated: its document is read at
   * once, or by the next flush if that read fails too, and its counts are written again only if its
   * id is not there. So each rejection is written once: the caller may stop waiting, but the flush
   * itself is never cut off between a write Sync accepted and its bookkeeping.
   */
  async flush({ store, shards, now }: FlushOptions): Promise<FlushResult> {
    if (!this.pending || this.flushing) return 'nothing';
    const taken = this.counts;
    this.counts = emptyCounts();
    this.inFlight = taken;
    this.lastFlush = now;
    this.flushing = true;
    let counts = taken;
    /** Whether `counts` went to Sync, or wait as unconfirmed, rather than back to pending. */
    let settled = false;
    try {
      // An unconfirmed write is settled first, in its own document, before more is written there.
      const shard = this.unconfirmed?.shard ?? Math.floor(this.random() * shards);
      const name = countsDocumentName(shard);
      let current: StoredDocument<unknown> | undefined;
      if (this.unconfirmed) {
        current = await store.get<unknown>(name);
        counts = merge(taken, this.confirm(current?.data));
        if (isEmpty(counts)) {
          settled = true;
          return 'written';
        }
      }
      const id = randomBytes(6).toString('base64url');
      const add = (stored: unknown) => ({
        ...prune(merge(stored === undefined ? emptyCounts() : asCounts(stored), counts), now, MAX_COUNTS_JSON_BYTES - FLUSH_IDS_BYTES),
        flushes: [...flushIdsOf(stored).slice(1 - KEPT_FLUSH_IDS), id],
      });
      try {
        const result = await updateDocument<unknown>(flaggingUnconfirmed(store), name, add, { attempts: MAX_WRITE_ATTEMPTS, ttlSeconds: COUNTS_TTL_SECONDS, current });
        settled = result.outcome === 'written';
        return settled ? 'written' : 'kept';
      } catch (error) {
        if (!(error instanceof WriteUnconfirmed)) throw error;
        this.unconfirmed = { shard, id, counts };
        settled = true;
        // Read back at once: by the next flush, other instances' writes may have pushed the id out.
        const after = await store.get<unknown>(name).then(
          (doc) => ({ data: doc?.data }),
          () => undefined,
        );
        if (after) {
          const again = this.confirm(after.data);
          if (isEmpty(again)) return 'written';
          this.counts = prune(merge(this.counts, again), now);
        }
        throw error.failure;
      }
    } finally {
      if (!settled) this.counts = prune(merge(this.counts, counts), now);
      this.inFlight = undefined;
      this.flushing = false;
    }
  }

  /** The counts of the unconfirmed write, if any, that `data` (its document now) shows were not applied. */
  private confirm(data: unknown): RejectionCounts {
    const unconfirmed = this.unconfirmed;
    this.unconfirmed = undefined;
    return !unconfirmed || flushIdsOf(data).includes(unconfirmed.id) ? emptyCounts() : unconfirmed.counts;
  }
}

/** A write that failed without saying whether Sync applied it. */
class WriteUnconfirmed extends Error {
  constructor(readonly failure: unknown) {
    super('write not confirmed');
  }
}

/**
 * `store`, with the failures of its writes that may have been applied raised as {@link WriteUnconfirmed}:
 * a 5xx, or no answer. Twilio applies no request it answers 429, nor one it refuses with another 4xx.
 */
function flaggingUnconfirmed(store: DocumentStore): DocumentStore {
  const flag = (error: unknown): never => {
    const refused = error instanceof StoreUnavailableError && error.status !== undefined && error.status < 500;
    throw refused ? error : new WriteUnconfirmed(error);
  };
  return {
    get: (name) => store.get(name),
    create: (name, data, ttl) => store.create(name, data, ttl).catch(flag),
    replace: (name, data, revision, ttl) => store.replace(name, data, revision, ttl).catch(flag),
  };
}

/** The flush ids a shard document holds (none in a document written before they were kept). */
function flushIdsOf(data: unknown): string[] {
  const ids = (data as { flushes?: unknown } | undefined)?.flushes;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string' && id.length <= 16) : [];
}

/** Every shard's counts, summed; a shard that does not exist counts as empty. */
export async function readCounts(store: DocumentStore, shards: number): Promise<RejectionCounts> {
  const documents = await Promise.all(Array.from({ length: shards }, (_, shard) => store.get<unknown>(countsDocumentName(shard))));
  return documents.reduce<RejectionCounts>((sum, doc) => (doc ? merge(sum, asCounts(doc.data)) : sum), emptyCounts());
}
