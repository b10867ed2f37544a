import { abortAfter, currentDeadline } from '../deadline';

/** What twilio-node hands its HTTP client (the subset it uses). */
export interface TwilioRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
  timeout?: number;
}

export interface TwilioResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

/** A request that has not settled after this long is abandoned, decision or not. */
const REQUEST_TIMEOUT_MS = 10_000;
/** One retry, after a jittered pause, only if this much time is left. */
const RETRY_PAUSE_MS = { min: 20, max: 120 };
const RETRY_NEEDS_MS = 500;
/** Methods that change nothing: repeating one is always safe. */
const READS = new Set(['GET', 'HEAD']);

/**
 * Whether an answer may be retried: a 429 (but Sync's 54009, see {@link SYNC_OBJECT_RATE_LIMIT}),
 * since Twilio never processes a request it answers 429 ("Requests that receive 429 responses aren't processed and are safe to retry",
 * https://www.twilio.com/docs/api/errors/20429); a 5xx only for a read. A write answered 5xx may have
 * been applied before the failure. Repeated, a conditional one meets its own result (409 for a create,
 * 412 for an If-Match update) and takes it for another writer's: a rate slot taken twice, rejection
 * counts added twice. So no write is repeated after a 5xx; its caller sees the failure.
 */
function retryable(method: string, res: TwilioResponse): boolean {
  const status = res.statusCode;
  if (status === 429) return codeOf(res.body) !== SYNC_OBJECT_RATE_LIMIT;
  return status >= 500 && READS.has(method.toUpperCase());
}

/**
 * Sync's per-object limit (20 reads and 20 writes a second per document, map or list, with a 10 s
 * burst; https://www.twilio.com/docs/api/errors/54009): Twilio asks for exponential back-off, and the
 * object is the busiest there is. A retry within 120 ms would only add to its load, and a back-off
 * long enough to help does not fit in a decision: the caller gets the 429 at once (a rate rule's
 * insurance limiter and FAIL_MODE decide, a tally or counts write waits for later).
 */
const SYNC_OBJECT_RATE_LIMIT = 54009;

/** The Twilio error code of an error answer's body, if it has one. */
function codeOf(body: string): number | undefined {
  try {
    const code = (JSON.parse(body) as { code?: unknown } | null)?.code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * twilio-node's HTTP client, on Node's fetch: every request carries the current decision's deadline
 * signal (none starts after it, and one in flight is aborted), gets one jittered retry of a 429 (or of
 * a read's 5xx, see {@link retryable}) when the deadline leaves time for it, and goes to `baseUrl` when
 * set (the local emulator), with the product as the first path segment: `https://sync.twilio.com/v1/…`
 * becomes `<baseUrl>/sync/v1/…`.
 */
export class GuardRequestClient {
  constructor(
    private readonly baseUrl?: string,
    private readonly random: () => number = Math.random,
  ) {}

  async request(opts: TwilioRequest): Promise<TwilioResponse> {
    const first = await this.send(opts);
    if (!retryable(opts.method, first)) return first;
    const deadline = currentDeadline();
    const pause = RETRY_PAUSE_MS.min + this.random() * (RETRY_PAUSE_MS.max - RETRY_PAUSE_MS.min);
    if (deadline && deadline.at - Date.now() < pause + RETRY_NEEDS_MS) return first;
    await new Promise((resolve) => setTimeout(resolve, pause));
    return this.send(opts);
  }

  private async send(opts: TwilioRequest): Promise<TwilioResponse> {
    const deadline = currentDeadline();
    deadline?.signal.throwIfAborted();
    const url = new URL(this.baseUrl ? redirect(opts.uri, this.baseUrl) : opts.uri);
    for (const [name, value] of formEntries(opts.params)) url.searchParams.append(name, value);
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.username && opts.password) headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    const body = opts.data ? new URLSearchParams(formEntries(opts.data)).toString() : undefined;
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const timeout = abortAfter(opts.timeout ?? REQUEST_TIMEOUT_MS);
    try {
      const res = await fetch(url, { method: opts.method.toUpperCase(), headers, body, signal: deadline ? AbortSignal.any([deadline.signal, timeout.signal]) : timeout.signal }).catch((error: unknown) => {
        // fetch says only "fetch failed"; the cause says what (ECONNREFUSED, a reset, a DNS failure).
        const cause = (error as { cause?: { message?: string; code?: string } }).cause;
        throw cause?.message ? Object.assign(new Error(cause.message), { code: cause.code }) : error;
      });
      return { statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
    } finally {
      timeout.clear();
    }
  }
}

/** Form fields as twilio-node's qs encoding sends them: arrays repeat the name, objects become JSON. */
function formEntries(fields: Record<string, unknown> | undefined): Array<[string, string]> {
  return Object.entries(fields ?? {}).flatMap(([name, value]): Array<[string, string]> => {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value.map((v) => [name, String(v)]);
    return [[name, typeof value === 'object' ? JSON.stringify(value) : String(value)]];
  });
}

export function redirect(uri: string, baseUrl: string): string {
  return uri.replace(/^https:\/\/([a-z-]+)\.twilio\.com\//, `${baseUrl}/$1/`);
}
