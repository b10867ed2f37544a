import { randomBytes } from 'node:crypto';
import { StoreUnavailableError, type DocumentStore, type StoredDocument } from '../store/document-store';
import { updateDocument, type UpdateResult } from '../store/update-document';
import { asCounts, count, emptyCounts, isEmpty, MAX_COUNTS_JSON_BYTES, merge, prune, type Outcome, type RejectionCounts } from './counts';

/** A day and an hour: documents of a guard that stopped rejecting expire on their own. */
const COUNTS_TTL_SECONDS = 25 * 60 * 60;
/** Conditional writes lost to other instances before this flush gives up and keeps its counts. */
const MAX_WRITE_ATTEMPTS = 3;
/** Ids of the latest flushes a shard document keeps, newest last. */
const KEPT_FLUSH_IDS = 16;
/** What the ids take of a document (16 ids of 13 characters, quoted, and their key): the counts get the rest. */
const FLUSH_IDS_BYTES = 320;

/**
 * A write Sync may have applied before it failed (a 5xx, or no answer at all), or may still apply: its
 * counts are neither pending nor dropped until a read of its document finds its id, or a conditional
 * write of the same counts under the same id, from a base without it, succeeds.
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
 * Rejection counts of one Functions instance. Rejections are counted in memory and added to Sync when
 * the caller flushes (paced by FlushSchedule, about once per interval), into one of a few shard
 * documents chosen at random: a flood of rejections costs each instance one read and one write per
 * flush, not one per rejection.
 */
export class RejectionRecorder {
  private counts: RejectionCounts = emptyCounts();
  /** The counts a flush under way has taken, until Sync has them or they are pending again. */
  private inFlight: RejectionCounts | undefined;
  /** The last write whose failure left open whether Sync applied it. */
  private unconfirmed: Unconfirmed | undefined;
  /** This instance's part of its flush ids: a document keeps the latest id of each instance. */
  private readonly instance = randomBytes(6).toString('base64url');
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

  /**
   * Adds the pending counts to a shard document with a conditional write, which also records the
   * flush's id among the document's latest (one per instance). Counts that could not be written (Sync
   * unavailable, throttled or contended) stay pending for the next flush. A write that failed without
   * saying whether Sync applied it (a 5xx, or no answer) stays unconfirmed: its answer may have been
   * lost, or it may still be applied later, as long as its If-Match matches. Its document is read back
   * at once, which can only confirm it (its id is there); otherwise the next flush writes its counts
   * again, under the same id, with a conditional write whose change first looks for that id on every
   * attempt: found, the write was applied and nothing is written; not found, the write names a base
   * without it, so once it succeeds the earlier one can never apply (the revision it named is gone).
   * Only then are new counts written. So each rejection is written once: the caller may stop
   * waiting, but the flush itself is never cut off between a write Sync accepted and its bookkeeping.
   */
  async flush({ store, shards, now }: FlushOptions): Promise<FlushResult> {
    if (!this.pending || this.flushing) return 'nothing';
    const taken = this.counts;
    this.counts = emptyCounts();
    this.inFlight = taken;
    this.flushing = true;
    /** Whether `taken` went to Sync, or waits as unconfirmed, rather than back to pending. */
    let settled = false;
    try {
      // An unconfirmed write is settled first, in its own document, before more is written there.
      const shard = this.unconfirmed?.shard ?? Math.floor(this.random() * shards);
      const name = countsDocumentName(shard);
      let current: StoredDocument<unknown> | undefined;
      if (this.unconfirmed) {
        const settling = await this.write(store, name, this.unconfirmed, now);
        // Contended: nothing is proven either way, and it stays unconfirmed.
        if (settling.outcome === 'contended') return 'kept';
        this.unconfirmed = undefined;
        if (settling.outcome === 'written') current = settling.doc;
        if (isEmpty(taken)) {
          settled = true;
          return 'written';
        }
      }
      const write = { shard, id: `${this.instance}.${randomBytes(3).toString('base64url')}`, counts: taken };
      try {
        const result = await this.write(store, name, write, now, current);
        settled = result.outcome !== 'contended';
        return settled ? 'written' : 'kept';
      } catch (error) {
        // Unconfirmed, its counts wait as such: never pending as well.
        settled = this.unconfirmed === write;
        throw error;
      }
    } finally {
      if (!settled) this.counts = prune(merge(this.counts, taken), now);
      this.inFlight = undefined;
      this.flushing = false;
    }
  }

  /**
   * Adds `write.counts` under `write.id`, unless the document already holds that id (an earlier,
   * unconfirmed write of the same counts was applied: `unchanged`). A write that may have been
   * applied becomes the unconfirmed one, read back at once; its failure is thrown.
   */
  private async write(store: DocumentStore, name: string, write: Unconfirmed, now: number, current?: StoredDocument<unknown>): Promise<UpdateResult<unknown>> {
    const add = (stored: unknown) => {
      const ids = flushIdsOf(stored);
      if (ids.includes(write.id)) return undefined;
      return {
        ...prune(merge(stored === undefined ? emptyCounts() : asCounts(stored), write.counts), now, MAX_COUNTS_JSON_BYTES - FLUSH_IDS_BYTES),
        flushes: keptIds(ids, write.id),
      };
    };
    try {
      return await updateDocument<unknown>(flaggingUnconfirmed(store), name, add, { attempts: MAX_WRITE_ATTEMPTS, ttlSeconds: COUNTS_TTL_SECONDS, current });
    } catch (error) {
      if (!(error instanceof WriteUnconfirmed)) throw error;
      this.unconfirmed = write;
      // Read back at once: finding the id confirms it. Not finding it proves nothing (the write may
      // still be applied): only the next flush's conditional write settles it.
      const after = await store.get<unknown>(name).then(
        (doc) => doc?.data,
        () => undefined,
      );
      if (flushIdsOf(after).includes(write.id)) {
        this.unconfirmed = undefined;
        return { outcome: 'unchanged' };
      }
      throw error.failure;
    }
  }
}

/**
 * The flush ids a document keeps once `id` is added: the latest of each instance (an id is
 * `<instance>.<flush>`), of at most {@link KEPT_FLUSH_IDS} instances, newest last. An instance's
 * unconfirmed id is pushed out only by flushes of that many other instances, not by as many flushes.
 */
function keptIds(ids: string[], id: string): string[] {
  const instance = instanceOf(id);
  return [...ids.filter((kept) => instanceOf(kept) !== instance).slice(1 - KEPT_FLUSH_IDS), id];
}

const instanceOf = (id: string) => id.split('.')[0];

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
