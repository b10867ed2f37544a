import type { DocumentStore } from '../store/document-store';
import { updateDocument } from '../store/update-document';
import { asCounts, count, emptyCounts, isEmpty, merge, prune, type Outcome, type RejectionCounts } from './counts';

/** A day and an hour: documents of a guard that stopped rejecting expire on their own. */
const COUNTS_TTL_SECONDS = 25 * 60 * 60;
/** Conditional writes lost to other instances before this flush gives up and keeps its counts. */
const MAX_WRITE_ATTEMPTS = 3;

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
  private lastFlush = Number.NEGATIVE_INFINITY;
  private flushing = false;

  constructor(private readonly random: () => number = Math.random) {}

  record(rule: string, outcome: Outcome, at: number): void {
    count(this.counts, rule, outcome, at);
  }

  get pending(): boolean {
    return !isEmpty(this.counts);
  }

  /**
   * What this instance counted that Sync does not hold yet: the pending counts and those of a flush
   * under way. Read it after reading Sync, so a flush that lands in between is counted once.
   */
  unflushed(): RejectionCounts {
    return merge(this.counts, this.inFlight ?? emptyCounts());
  }

  /** Forgets the pending counts (counters switched off). */
  discard(): void {
    this.counts = emptyCounts();
  }

  /** Whether a flush is due: counts are pending, none is in flight, and the last began `intervalMs` ago or more. */
  due(now: number, intervalMs: number): boolean {
    return this.pending && !this.flushing && now - this.lastFlush >= intervalMs;
  }

  /**
   * Adds the pending counts to a shard document with a conditional write. Counts that could not be
   * written (Sync unavailable, throttled or contended) stay pending for the next flush, so each
   * rejection is written once: the caller may stop waiting, but the flush itself is never cut off
   * between a write Sync accepted and its bookkeeping.
   */
  async flush({ store, shards, now }: FlushOptions): Promise<FlushResult> {
    if (!this.pending || this.flushing) return 'nothing';
    const taken = this.counts;
    this.counts = emptyCounts();
    this.inFlight = taken;
    this.lastFlush = now;
    this.flushing = true;
    let written = false;
    try {
      written = await addTo(store, countsDocumentName(Math.floor(this.random() * shards)), taken, now);
      return written ? 'written' : 'kept';
    } finally {
      if (!written) this.counts = prune(merge(this.counts, taken), now);
      this.inFlight = undefined;
      this.flushing = false;
    }
  }
}

async function addTo(store: DocumentStore, name: string, counts: RejectionCounts, now: number): Promise<boolean> {
  const add = (stored: unknown) => prune(merge(stored === undefined ? emptyCounts() : asCounts(stored), counts), now);
  const result = await updateDocument<unknown>(store, name, add, { attempts: MAX_WRITE_ATTEMPTS, ttlSeconds: COUNTS_TTL_SECONDS });
  return result.outcome === 'written';
}

/** Every shard's counts, summed; a shard that does not exist counts as empty. */
export async function readCounts(store: DocumentStore, shards: number): Promise<RejectionCounts> {
  const documents = await Promise.all(Array.from({ length: shards }, (_, shard) => store.get<unknown>(countsDocumentName(shard))));
  return documents.reduce<RejectionCounts>((sum, doc) => (doc ? merge(sum, asCounts(doc.data)) : sum), emptyCounts());
}
