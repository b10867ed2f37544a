import { TwilioError } from './errors';

/**
 * Twilio's v1 paging: `PageSize` and `Page`, plus an opaque `PageToken` that the
 * next/previous page URLs carry. The token here names the boundary item (its
 * cursor) rather than an offset, so pages stay stable while items are added or
 * removed between requests.
 */
type Cursor = string | number;

interface PageToken {
  dir: 'after' | 'before';
  at: Cursor;
}

export interface PageParams {
  pageSize: number;
  page: number;
  token?: PageToken;
  rawToken?: string;
}

export interface PageOf<T> {
  items: T[];
  /** Absolute index of the first item of this page. */
  start: number;
  hasPrev: boolean;
  hasNext: boolean;
}

const pageError = (message: string) => new TwilioError(400, 20001, message);

function encodeToken(token: PageToken): string {
  return (token.dir === 'after' ? 'PA' : 'PB') + Buffer.from(JSON.stringify(token.at)).toString('base64url');
}

function decodeToken(raw: string): PageToken {
  const dir = raw.startsWith('PA') ? 'after' : raw.startsWith('PB') ? 'before' : undefined;
  if (dir) {
    try {
      const at: unknown = JSON.parse(Buffer.from(raw.slice(2), 'base64url').toString('utf8'));
      if (typeof at === 'string' || typeof at === 'number') return { dir, at };
    } catch {
      // fall through to the error below
    }
  }
  throw pageError(`Invalid PageToken: ${raw}`);
}

function integerParam(query: Record<string, string>, name: string): number | undefined {
  const raw = query[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw pageError(`Invalid ${name}: ${raw}`);
  return Number(raw);
}

export function parsePageParams(query: Record<string, string>, maxPageSize: number, defaultPageSize = 50): PageParams {
  const pageSize = integerParam(query, 'PageSize') ?? Math.min(defaultPageSize, maxPageSize);
  if (pageSize < 1 || pageSize > maxPageSize) {
    throw pageError(`Invalid PageSize: ${pageSize}. PageSize must be between 1 and ${maxPageSize}`);
  }
  const page = integerParam(query, 'Page') ?? 0;
  if (page < 0) throw pageError(`Invalid Page: ${page}`);
  const rawToken = query.PageToken || undefined;
  return { pageSize, page, rawToken, token: rawToken ? decodeToken(rawToken) : undefined };
}

/**
 * `compare(item, cursor)` orders an item against a token cursor in list order:
 * negative when the item comes before the cursor.
 */
export function paginate<T>(all: readonly T[], params: PageParams, compare: (item: T, at: Cursor) => number): PageOf<T> {
  const { pageSize, token } = params;
  let start: number;
  if (!token) {
    start = params.page * pageSize;
  } else if (token.dir === 'after') {
    const idx = all.findIndex((item) => compare(item, token.at) > 0);
    start = idx === -1 ? all.length : idx;
  } else {
    const idx = all.findIndex((item) => compare(item, token.at) >= 0);
    start = Math.max(0, (idx === -1 ? all.length : idx) - pageSize);
  }
  start = Math.min(start, all.length);
  const end = Math.min(start + pageSize, all.length);
  return { items: all.slice(start, end), start, hasPrev: start > 0, hasNext: end < all.length };
}

export interface PageMeta {
  page: number;
  page_size: number;
  first_page_url: string;
  previous_page_url: string | null;
  url: string;
  next_page_url: string | null;
  key: string;
}

/** `baseUrl` is the absolute Twilio URL of the list; `filters` are echoed before the paging parameters. */
export function pageMeta<T>(
  baseUrl: string,
  filters: Array<[string, string]>,
  key: string,
  params: PageParams,
  page: PageOf<T>,
  cursorOf: (item: T) => Cursor,
): PageMeta {
  const link = (pageIndex: number, token?: string): string => {
    const qs = new URLSearchParams(filters);
    qs.set('PageSize', String(params.pageSize));
    qs.set('Page', String(pageIndex));
    if (token) qs.set('PageToken', token);
    return `${baseUrl}?${qs.toString()}`;
  };
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  const prevIndex = Math.max(0, params.page - 1);
  let previous: string | null = null;
  if (page.hasPrev) {
    previous = first === undefined ? link(prevIndex) : link(prevIndex, encodeToken({ dir: 'before', at: cursorOf(first) }));
  }
  return {
    page: params.page,
    page_size: params.pageSize,
    first_page_url: link(0),
    previous_page_url: previous,
    url: link(params.page, params.rawToken),
    next_page_url:
      page.hasNext && last !== undefined ? link(params.page + 1, encodeToken({ dir: 'after', at: cursorOf(last) })) : null,
    key,
  };
}

export const bySeq = <T extends { seq: number }>(item: T, at: Cursor): number => item.seq - Number(at);
