import { savedConversationOf, savedMessage, savedParticipant, type SavedConversation, type SavedIdentity } from './history';

type Json = Record<string, unknown>;

/** Twilio refused the credentials (401). */
export class CredentialsError extends Error {}
/** The Conversations service named does not exist (404 on its list). */
export class UnknownServiceError extends Error {}
/** Twilio could not be reached, or kept failing past the retries. */
export class NetworkError extends Error {}

export interface ReaderOptions {
  accountSid: string;
  authToken: string;
  /** An origin that serves `https://<product>.twilio.com/…` as `<origin>/<product>/…` (the emulator); Twilio otherwise. */
  baseUrl?: string;
  /** Requests in flight at most. */
  concurrency: number;
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const TWILIO = 'https://conversations.twilio.com';
/** The longest wait a `Retry-After` gets: a longer one is taken as this. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Read-only access to the Conversations REST API: GET only, at most `concurrency` requests in flight,
 * a 429, a 5xx or a failed connection retried with backoff (the `Retry-After` header when Twilio
 * sends one, up to a minute).
 */
export class Reader {
  requests = 0;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ReaderOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * A path (`/v1/…`) or an absolute URL, as next_page_url gives it: one of https://*.twilio.com, or of
   * the TWILIO_API_BASE_URL origin, else refused before any request, so the credentials go nowhere
   * else. A 429, a 5xx or a failed connection (reset, refused) is retried; `Retry-After` is honoured
   * up to {@link MAX_RETRY_AFTER_MS}.
   */
  async get(pathOrUrl: string, query: Record<string, string> = {}): Promise<Json> {
    const base = this.options.baseUrl ? new URL(this.options.baseUrl).origin : undefined;
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl) ? new URL(pathOrUrl) : undefined;
    const atBase = absolute !== undefined && absolute.origin === base;
    if (absolute && !atBase && !(absolute.protocol === 'https:' && /(^|\.)twilio\.com$/i.test(absolute.hostname) && absolute.port === '')) {
      throw new NetworkError(`Twilio gave a next page at ${absolute.origin}, neither twilio.com nor TWILIO_API_BASE_URL: not followed, so the credentials go nowhere else`);
    }
    const twilioUrl = absolute ?? new URL(`${TWILIO}${pathOrUrl}`);
    for (const [k, v] of Object.entries(query)) twilioUrl.searchParams.set(k, v);
    const url = atBase ? twilioUrl.toString() : this.options.baseUrl ? `${this.options.baseUrl.replace(/\/$/, '')}/conversations${twilioUrl.pathname}${twilioUrl.search}` : twilioUrl.toString();
    const attempts = this.options.attempts ?? 6;
    const backoff = (attempt: number) => Math.min(8000, 250 * 2 ** (attempt - 1));
    for (let attempt = 1; ; attempt += 1) {
      let res: Awaited<ReturnType<Reader['fetchOnce']>>;
      try {
        res = await this.slot(() => this.fetchOnce(url));
      } catch (error) {
        if (!(error instanceof NetworkError) || attempt >= attempts) throw error;
        await this.sleep(backoff(attempt));
        continue;
      }
      if (res.status === 200) return res.body;
      if (res.status === 401) throw new CredentialsError(`Twilio refused the credentials (401${codeOf(res.body)})`);
      if ((res.status === 429 || res.status >= 500) && attempt < attempts) {
        const retryAfter = Number(res.retryAfter);
        await this.sleep(Number.isFinite(retryAfter) && res.retryAfter !== null && res.retryAfter.trim() !== '' && retryAfter >= 0 ? Math.min(MAX_RETRY_AFTER_MS, retryAfter * 1000) : backoff(attempt));
        continue;
      }
      const error = new HttpError(res.status, `${twilioUrl.pathname} answered ${res.status}${codeOf(res.body)}${res.status === 429 || res.status >= 500 ? ` after ${attempts} attempts` : ''}`);
      throw error;
    }
  }

  private async fetchOnce(url: string): Promise<{ status: number; body: Json; retryAfter: string | null }> {
    this.requests += 1;
    let res: Response;
    try {
      res = await fetch(url, { method: 'GET', headers: { Authorization: `Basic ${Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString('base64')}`, Accept: 'application/json' } });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new NetworkError(`could not reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    }
    let body: Json = {};
    try {
      body = (await res.json()) as Json;
    } catch {
      if (res.status === 200) return { status: 502, body: {}, retryAfter: null };
    }
    return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    while (this.active >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const codeOf = (body: Json) => (typeof body.code === 'number' ? `, Twilio error ${body.code}` : '');

/**
 * Every promise's value, as Promise.all gives them, but only once every one has settled: the first
 * failure is thrown then, so nothing the reading started is still running when it has ended.
 */
export async function allSettledOrFirstError<T extends readonly unknown[] | []>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = (await Promise.allSettled(promises)) as Array<PromiseSettledResult<unknown>>;
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * Every item of a list, page after page, each kept as `keep` makes it as its page arrives: what the
 * API sent (bodies, attributes) is held one page at a time, never for a whole conversation.
 */
async function listAll<T>(reader: Reader, path: string, key: string, query: Record<string, string>, keep: (item: Json) => T): Promise<T[]> {
  const items: T[] = [];
  let page: Json = await reader.get(path, query);
  for (;;) {
    for (const item of (page[key] as Json[] | undefined) ?? []) items.push(keep(item));
    const next = (page.meta as Json | undefined)?.next_page_url;
    if (typeof next !== 'string' || next === '') return items;
    page = await reader.get(next);
  }
}

export interface ReadWindow {
  from: string;
  to: string;
  /** IS…; the account's default service when absent. */
  service?: string;
}

/**
 * The conversations created in the window (Twilio's StartDate/EndDate filter, then the exact times),
 * each with its participants and its messages in ascending order, handed to `each` in list order.
 * Conversations in `skip` are not read. At most `concurrency` conversations are read at once, and only
 * those are held in memory, as they are saved (a message as its measures), plus the page of each
 * request in flight.
 */
export async function readHistory(reader: Reader, window: ReadWindow, concurrency: number, skip: ReadonlySet<string>, each: (c: SavedConversation) => Promise<void>): Promise<void> {
  const base = window.service ? `/v1/Services/${window.service}` : '/v1';
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const queue: Array<Promise<SavedConversation>> = [];
  const drain = async (limit: number) => {
    while (queue.length > limit) await each(await queue.shift()!);
  };
  try {
    let page: Json;
    try {
      // Twilio's filter takes whole days (YYYY-MM-DDT00:00:00Z to YYYY-MM-DDT23:59:59Z); the exact times are applied below.
      page = await reader.get(`${base}/Conversations`, { StartDate: `${window.from.slice(0, 10)}T00:00:00Z`, EndDate: `${window.to.slice(0, 10)}T23:59:59Z`, PageSize: '100' });
    } catch (error) {
      if (error instanceof HttpError && error.status === 404 && window.service) throw new UnknownServiceError(`There is no Conversations service ${window.service} in this account`);
      throw error;
    }
    for (;;) {
      for (const c of (page.conversations as Json[] | undefined) ?? []) {
        const created = Date.parse(String(c.date_created));
        if (created < from || created > to || skip.has(String(c.sid))) continue;
        const path = `${base}/Conversations/${String(c.sid)}`;
        const read = allSettledOrFirstError([listAll(reader, `${path}/Participants`, 'participants', { PageSize: '100' }, savedParticipant), listAll(reader, `${path}/Messages`, 'messages', { Order: 'asc', PageSize: '100' }, savedMessage)]).then(([participants, messages]) => savedConversationOf(c, participants, messages));
        read.catch(() => undefined);
        queue.push(read);
        await drain(concurrency - 1);
      }
      const next = (page.meta as Json | undefined)?.next_page_url;
      if (typeof next !== 'string' || next === '') break;
      page = await reader.get(next);
    }
    await drain(0);
  } catch (error) {
    // Nothing is left in flight once the reading has ended, even when it ended in failure.
    await Promise.allSettled(queue);
    throw error;
  }
}

/**
 * How many conversations of the service the identity is in now (ParticipantConversations, 50 a page),
 * counted up to `cap + 1`: past the cap the exact number does not matter.
 */
export async function countIdentity(reader: Reader, service: string, identity: string, cap: number): Promise<SavedIdentity> {
  let count = 0;
  let page: Json = await reader.get(`/v1/Services/${service}/ParticipantConversations`, { Identity: identity, PageSize: '50' });
  for (;;) {
    count += ((page.conversations as Json[] | undefined) ?? []).length;
    const next = (page.meta as Json | undefined)?.next_page_url;
    if (count > cap || typeof next !== 'string' || next === '') return { kind: 'identity', service, identity, conversations: Math.min(count, cap + 1) };
    page = await reader.get(next);
  }
}
