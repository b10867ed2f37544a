import type { LogStore } from '../store/log-store';
import { decodeBatch } from './batch';
import { keyTimeOf, logMapName } from './buffer';
import { maskText } from './mask';
import type { LogRecord } from './record';

/** What to look for; every given field must match. */
export interface LogQuery {
  conversation?: string;
  /** A chat identity or an address, as given or as masked. */
  identity?: string;
  rule?: string;
  outcome?: string;
  /** Epoch milliseconds: records from then on. */
  since?: number;
}

export interface LogSearchOptions {
  store: LogStore;
  shards: number;
  now: number;
  /** REJECTION_LOG_TTL in milliseconds: older records are gone, even if Sync has not removed them yet. */
  ttlMs: number;
  /** The newest this many matching records. */
  limit: number;
  /** Pages read one after another in each shard, at most. */
  maxPages: number;
  /** What the instance answering holds that Sync may not have yet: read after Sync. */
  unflushed?: () => { records: LogRecord[]; dropped: number };
  /** Aborts the reading (the deadline): what each shard read until then is answered, marked incomplete. */
  signal?: AbortSignal;
}

export interface LogSearch {
  /** Newest first. */
  records: LogRecord[];
  /** Records dropped at the per-flush cap, in the batches read (and waiting here). */
  dropped: number;
  complete: boolean;
  /** Why the search is not complete: the shards that did not answer, or the pages not read. */
  incomplete?: string;
  /** Sync requests made. */
  requests: number;
}

/**
 * Whether a shard's reading can stop: it holds `limit` matches, and the `limit`-th newest of them is
 * no older than the last item read. Items further on were flushed no later than that item, and hold
 * nothing newer than their flush; a batch an instance held a long time may still hold records newer
 * than others found, and is then read before the search stops.
 */
function enough(found: readonly LogRecord[], limit: number, lastKey: string | undefined): boolean {
  if (found.length < limit || lastKey === undefined) return false;
  const newest = found.map((record) => record.at).sort((a, b) => b - a);
  return newest[limit - 1]! >= keyTimeOf(lastKey);
}

type Held = { records: LogRecord[]; dropped: number };

/** The records held before and after the reads (both), and the larger count of drops (it only grows until a flush takes it). */
function mergeHeld(before: Held | undefined, after: Held | undefined): Held {
  return { records: [...(before?.records ?? []), ...(after?.records ?? [])], dropped: Math.max(before?.dropped ?? 0, after?.dropped ?? 0) };
}

/** `work`, or the signal's reason once it aborts: what a shard read until then is kept. */
function orAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Items a page of a log Map lists: Sync's largest page. */
export const LOG_PAGE_SIZE = 100;

const bare = (address: string) => address.replace(/^[a-z]+:/i, '');

/**
 * Whether a kept author is the identity or address asked for. Under REJECTION_LOG=masked the log
 * holds `+1•••••1234`: the query is masked the same way, so two numbers with the same country code
 * and last four digits cannot be told apart (narrow by conversation). A channel prefix is optional.
 */
export function sameAuthor(kept: string | undefined, wanted: string): boolean {
  return authorMatcher(wanted)(kept);
}

/** {@link sameAuthor} for one wanted author, its forms worked out once for a whole search. */
function authorMatcher(wanted: string): (kept: string | undefined) => boolean {
  const candidates = new Set([wanted, maskText(wanted)].flatMap((w) => [w, bare(w)]));
  return (kept) => kept !== undefined && (candidates.has(kept) || candidates.has(bare(kept)));
}

/** Whether a record matches `query`, from `from` on; built once per search (see {@link authorMatcher}). */
function matcher(query: LogQuery, from: number): (record: LogRecord) => boolean {
  const author = query.identity === undefined ? undefined : authorMatcher(query.identity);
  return (record) =>
    record.at >= from &&
    (query.conversation === undefined || record.conversationSid === query.conversation) &&
    (author === undefined || author(record.author)) &&
    (query.rule === undefined || record.rule === query.rule) &&
    (query.outcome === undefined || record.outcome === query.outcome);
}

/**
 * The newest records matching `query`, from every shard of the log and the records the instance
 * answering has not written yet. Each shard is read newest item first, page after page (shards at
 * once), until it holds `limit` matches, reaches an item older than `since`, or `maxPages` were read.
 * An item's key is its flush time, after every record in it: once a key is older than `since`, so is
 * everything after it.
 */
export async function searchLog(query: LogQuery, options: LogSearchOptions): Promise<LogSearch> {
  const from = Math.max(query.since ?? Number.NEGATIVE_INFINITY, options.now - options.ttlMs);
  const heldBefore = options.unflushed?.();
  const wanted = matcher(query, from);
  let requests = 0;
  const problems: string[] = [];
  const perShard = await Promise.all(
    Array.from({ length: options.shards }, async (_, shard) => {
      const found: LogRecord[] = [];
      let dropped = 0;
      const map = logMapName(shard);
      try {
        requests += 1;
        let page = await orAborted(options.store.newest(map, LOG_PAGE_SIZE), options.signal);
        for (let pages = 1; page; pages++) {
          for (const item of page.items) {
            if (keyTimeOf(item.key) < from) return { found, dropped };
            const batch = decodeBatch(item.data);
            dropped += batch.dropped;
            found.push(...batch.records.filter(wanted));
          }
          if (!page.next || enough(found, options.limit, page.items.at(-1)?.key)) return { found, dropped };
          if (pages >= options.maxPages) {
            problems.push(`only the newest ${pages * LOG_PAGE_SIZE} batches of Sync Map ${map} were read`);
            return { found, dropped };
          }
          requests += 1;
          page = await orAborted(page.next(), options.signal);
        }
      } catch (error) {
        problems.push(options.signal?.aborted ? `Sync Map ${map} did not answer in time` : `Sync Map ${map} could not be read (${error instanceof Error ? error.message : String(error)})`);
      }
      return { found, dropped };
    }),
  );
  // What this instance holds, taken before the reads and after them: a batch whose write lands
  // while Sync is read is in one of the two (the same record twice is shown once, below).
  const here = mergeHeld(heldBefore, options.unflushed?.());
  const seen = new Set<string>();
  const records = [...perShard.flatMap((s) => s.found), ...here.records.filter(wanted)]
    .filter((record) => {
      // A batch written while the search ran may be both in Sync and still held here.
      const id = JSON.stringify(record);
      return seen.has(id) ? false : (seen.add(id), true);
    })
    .sort((a, b) => b.at - a.at)
    .slice(0, options.limit);
  const dropped = perShard.reduce((sum, s) => sum + s.dropped, here.dropped);
  return { records, dropped, complete: problems.length === 0, ...(problems.length > 0 && { incomplete: `The search is incomplete: ${problems.join('; ')}.` }), requests };
}
