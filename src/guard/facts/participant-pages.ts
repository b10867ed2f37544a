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
 * participants has 10 pages of 100: 9 URLs after the first page).
 */
export const MAX_REMEMBERED_PAGES = 10;

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

/** What a page index stores: the query of each `next_page_url` followed, all on the list's one URL. */
export interface PageIndexData {
  queries: string[];
}

/** A page index is rewritten after membership changes; one left alone this long is removed by Sync. */
const PAGE_INDEX_TTL_SECONDS = 30 * 24 * 3600;
const WRITE_ATTEMPTS = 2;

/**
 * The `next_page_url`s of a conversation's participant list, as its last walk followed them, kept in a
 * Sync document (`guard_pages_…`) so the next listing can read every page at once ({@link walkPages}).
 * Only the post-event function writes it; decisions only read it. It is a hint: a missing, stale or
 * unreadable one makes the listing sequential, as it was, never different.
 */
export class ParticipantPageIndex {
  readonly name: string;
  private current?: StoredDocument<PageIndexData>;

  constructor(
    private readonly store: DocumentStore,
    conversationSid: string,
    serviceSid: string | undefined,
  ) {
    this.name = syncName('pages', serviceSid ?? '', conversationSid);
  }

  /** The remembered URLs on the list of `next` (page 1's URL); undefined when there are none. */
  async read(next: string): Promise<string[] | undefined> {
    const base = listBase(next);
    this.current = await this.store.get<PageIndexData>(this.name).catch((error: unknown) => {
      if (error instanceof StoreUnavailableError) return undefined;
      throw error;
    });
    const queries = this.current?.data?.queries;
    if (base === undefined || !Array.isArray(queries)) return undefined;
    return queries.filter((q): q is string => typeof q === 'string').map((q) => `${base}?${q}`);
  }

  /** Stores the URLs a walk followed, when they differ from what is stored. */
  async save(followed: string[]): Promise<'written' | 'unchanged' | 'contended'> {
    const base = followed[0] === undefined ? undefined : listBase(followed[0]);
    if (base === undefined) return 'unchanged';
    const queries: string[] = [];
    for (const url of followed.slice(0, MAX_REMEMBERED_PAGES)) {
      const query = new URL(url).search.slice(1);
      if (listBase(url) !== base || query === '') break;
      queries.push(query);
    }
    const result = await updateDocument<PageIndexData>(this.store, this.name, (stored) => (sameQueries(stored?.queries, queries) ? undefined : { queries }), {
      attempts: WRITE_ATTEMPTS,
      ttlSeconds: PAGE_INDEX_TTL_SECONDS,
      current: this.current,
    });
    return result.outcome;
  }
}

const sameQueries = (a: unknown, b: string[]) => Array.isArray(a) && a.length === b.length && a.every((q, i) => q === b[i]);
