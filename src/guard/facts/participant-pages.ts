import { StoreUnavailableError, type DocumentStore, type StoredDocument } from '../store/document-store';
import { syncName } from '../store/names';
import { updateDocument } from '../store/update-document';

/** One page of a list as Twilio serves it: its items and its `next_page_url`, absent on the last page. */
export interface ListPage<T> {
  items: T[];
  next?: string;
}

/** A list read from its first page to its last, and the `next_page_url` of each page followed, in order. */
export interface WalkedList<T> {
  items: T[];
  followed: string[];
}

/**
 * Remembered page URLs requested at once, at most, and stored, at most (a conversation of 1000
 * participants has 10 pages of 100: 9 URLs after the first page). With the page the walk itself
 * waits for, a walk holds at most 10 requests at once.
 */
export const MAX_REMEMBERED_PAGES = 9;

/**
 * The shortest list that keeps an index: read after page 1 (beside page 2), an index saves a round
 * trip only from the fourth page on, so a list of two or three pages stores none.
 */
export const MIN_INDEXED_PAGES = 4;

/**
 * Reads a paged list exactly as a sequential walk does: the first page, then each page's
 * `next_page_url`, to the page that has none. Twilio's paging URLs carry an opaque `PageToken`, so a
 * page's URL is known only from the page before; `remembered`, when given, is asked once the first page
 * says there is more (beside the second page's request) for the URLs an earlier walk followed, and
 * every one of them that names the same list is requested at once. A page so read is used only when
 * the page before it, read now, names that very URL as its next: the walk is the sequential one, with
 * pages that arrive early. A remembered URL no page names is a wasted request, never a wrong item, and
 * a remembered page that failed is requested again when the walk reaches it, so its error is the walk's.
 */
export async function walkPages<T>(first: () => Promise<ListPage<T>>, fetch: (url: string) => Promise<ListPage<T>>, remembered?: (next: string) => Promise<string[] | undefined>): Promise<WalkedList<T>> {
  const head = await first();
  const items = [...head.items];
  const followed: string[] = [];
  let url = head.next;
  if (url === undefined) return { items, followed };
  const requested = new Map<string, Promise<ListPage<T>>>();
  const early = new Set<string>();
  const request = (target: string) => {
    let page = requested.get(target);
    if (!page) {
      page = fetch(target);
      page.catch(() => undefined); // seen by the walk if it needs the page, and only then
      requested.set(target, page);
    }
    return page;
  };
  void request(url);
  let done = false;
  if (remembered) {
    const sameList = sameListAs(url);
    const prefetch = (urls: string[] | undefined) => {
      if (done) return; // an index read after the walk ended starts nothing
      for (const target of (urls ?? []).slice(0, MAX_REMEMBERED_PAGES)) {
        if (!sameList(target) || requested.has(target)) continue;
        early.add(target);
        void request(target);
      }
    };
    // No index, or one that cannot be read: the walk goes on in sequence.
    void Promise.resolve(url).then(remembered).then(prefetch, () => undefined);
  }
  try {
    while (url !== undefined) {
      if (followed.includes(url)) throw new Error(`the participant list names ${url} twice`);
      followed.push(url);
      const current: string = url;
      const page: ListPage<T> = await request(current).catch((error: unknown) => {
        if (!early.has(current)) throw error;
        early.delete(current);
        requested.delete(current);
        return request(current);
      });
      items.push(...page.items);
      url = page.next;
    }
  } finally {
    done = true;
  }
  return { items, followed };
}

/** Whether a URL names the same list (origin and path) as `url`: a remembered URL is requested only then. */
function sameListAs(url: string): (other: string) => boolean {
  const base = listBase(url);
  return (other) => base !== undefined && listBase(other) === base;
}

function listBase(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' ? `${parsed.origin}${parsed.pathname}` : undefined;
  } catch {
    return undefined;
  }
}

/** What a page index stores: the query of each `next_page_url` followed, all on the list's one URL, and when it was written (ms). */
export interface PageIndexData {
  queries: string[];
  written?: number;
}

/** A page index is rewritten after membership changes; one left alone this long is removed by Sync. */
const PAGE_INDEX_TTL_SECONDS = 30 * 24 * 3600;
/** An unchanged index older than this is written again by the next walk, so its TTL starts anew. */
export const PAGE_INDEX_RENEW_AFTER_MS = 24 * 3600 * 1000;
const WRITE_ATTEMPTS = 2;

/**
 * What this instance last read or wrote of each page index, for {@link PageIndexCache.ttlMs}: a bulk
 * join to one conversation (30 a second) would otherwise read its index twice per join (the decision and
 * the post-event walk), past Sync's 20 reads a second per document. Concurrent reads of one index share
 * one request. An index a second old is as good as any: every page it names is checked by the page
 * before it. Bounded: the oldest entry goes first.
 */
export class PageIndexCache {
  private readonly entries = new Map<string, { at: number; doc: Promise<StoredDocument<PageIndexData> | undefined> }>();

  constructor(
    readonly ttlMs = 1000,
    readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached document (undefined: none stored), or `load`'s, which is then cached unless it fails. */
  get(name: string, load: () => Promise<StoredDocument<PageIndexData> | undefined>): Promise<StoredDocument<PageIndexData> | undefined> {
    const hit = this.entries.get(name);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.doc;
    const doc = load();
    this.put(name, doc);
    doc.catch(() => {
      if (this.entries.get(name)?.doc === doc) this.entries.delete(name);
    });
    return doc;
  }

  set(name: string, doc: StoredDocument<PageIndexData> | undefined): void {
    this.put(name, Promise.resolve(doc));
  }

  delete(name: string): void {
    this.entries.delete(name);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private put(name: string, doc: Promise<StoredDocument<PageIndexData> | undefined>) {
    this.entries.delete(name);
    this.entries.set(name, { at: this.now(), doc });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The instance's page index cache (module state outlives a request on a warm instance). */
export const pageIndexCache = new PageIndexCache();

/**
 * The `next_page_url`s of a conversation's participant list, as its last walk followed them, kept in a
 * Sync document (`guard_pages_…`) so the next listing can read every page at once ({@link walkPages}).
 * Only the post-event function writes it; decisions only read it. It is a hint: a missing, stale or
 * unreadable one makes the listing sequential, as it was, never different.
 */
export class ParticipantPageIndex {
  readonly name: string;
  private current?: StoredDocument<PageIndexData>;
  private loading?: Promise<void>;

  constructor(
    private readonly store: DocumentStore,
    conversationSid: string,
    serviceSid: string | undefined,
    private readonly cache: PageIndexCache = pageIndexCache,
    private readonly now: () => number = Date.now,
  ) {
    this.name = syncName('pages', serviceSid ?? '', conversationSid);
  }

  /**
   * Reads the stored index (through the instance's cache), once: a caller that already waits on Sync
   * starts it beside page 1, before {@link read} needs it. Sync throttled or failing is no index.
   */
  load(): Promise<void> {
    this.loading ??= this.cache
      .get(this.name, () => this.store.get<PageIndexData>(this.name))
      .then(
        (doc) => void (this.current = doc),
        (error: unknown) => {
          if (!(error instanceof StoreUnavailableError)) throw error;
        },
      );
    return this.loading;
  }

  /** The remembered URLs on the list of `next` (page 1's URL); undefined when there are none. */
  async read(next: string): Promise<string[] | undefined> {
    const base = listBase(next);
    await this.load();
    const queries = this.current?.data?.queries;
    if (base === undefined || !Array.isArray(queries)) return undefined;
    return queries.filter((q): q is string => typeof q === 'string').map((q) => `${base}?${q}`);
  }

  /**
   * Stores the URLs a walk followed when they differ from what is stored, or when what is stored is
   * the same but older than {@link PAGE_INDEX_RENEW_AFTER_MS} (the write renews its 30-day TTL). A list
   * of fewer than {@link MIN_INDEXED_PAGES} pages stores nothing, and empties an index it outgrew.
   */
  async save(followed: string[]): Promise<'written' | 'unchanged' | 'contended'> {
    const base = followed[0] === undefined ? undefined : listBase(followed[0]);
    const queries: string[] = [];
    for (const url of base === undefined ? [] : followed.slice(0, MAX_REMEMBERED_PAGES)) {
      const query = new URL(url).search.slice(1);
      if (listBase(url) !== base || query === '') break;
      queries.push(query);
    }
    const kept = queries.length >= MIN_INDEXED_PAGES - 1 ? queries : [];
    const now = this.now();
    const change = (stored: PageIndexData | undefined): PageIndexData | undefined => {
      const storedQueries = Array.isArray(stored?.queries) ? stored.queries : [];
      if (kept.length === 0) return storedQueries.length === 0 ? undefined : { queries: [], written: now };
      const fresh = typeof stored?.written === 'number' && now - stored.written < PAGE_INDEX_RENEW_AFTER_MS;
      return fresh && sameQueries(storedQueries, kept) ? undefined : { queries: kept, written: now };
    };
    // The walk's read of the index (or the cache's) says what is stored: nothing stored and nothing to
    // store costs no request at all.
    if (this.loading !== undefined) await this.loading.catch(() => undefined);
    if (this.loading !== undefined && this.current === undefined && change(undefined) === undefined) return 'unchanged';
    const result = await updateDocument<PageIndexData>(this.store, this.name, change, {
      attempts: WRITE_ATTEMPTS,
      ttlSeconds: PAGE_INDEX_TTL_SECONDS,
      current: this.current,
    });
    if (result.outcome === 'written') {
      this.current = result.doc;
      this.cache.set(this.name, result.doc);
    } else if (result.outcome === 'contended') this.cache.delete(this.name);
    return result.outcome;
  }
}

const sameQueries = (a: unknown, b: string[]) => Array.isArray(a) && a.length === b.length && a.every((q, i) => q === b[i]);
