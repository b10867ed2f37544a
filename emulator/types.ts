export type Product = 'sync' | 'conversations';

export interface EmulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
}

export interface FaultMatch {
  product?: Product;
  method?: string;
  pathIncludes?: string;
}

/**
 * `status`: an error answer with Twilio's error body (`code` defaults per status).
 * `hang`: no answer at all until the emulator closes.
 * `invalid-json`: a 200 whose JSON body is cut off midway, as a dropped connection or a broken
 * proxy leaves it.
 * `times`: used up after that many matching requests; absent, it stays until cleared.
 */
export type Fault = FaultMatch &
  (
    | { kind: 'status'; status: number; code?: number; times?: number }
    | { kind: 'hang'; times?: number }
    | { kind: 'invalid-json'; times?: number }
  );

export interface RequestLogEntry {
  at: number;
  method: string;
  product: Product | 'control' | 'unknown';
  path: string;
  query: Record<string, string>;
  /**
   * 0 while the request has not been answered (e.g. a hanging fault); 499 when the client gave up
   * while it waited in injected latency, before it was applied.
   */
  status: number;
  ms: number;
  /** The injected latency this request waited (0 when none matched), so a test reads the delay instead of timing it. */
  delayMs: number;
  /** Whether it waited in a hold (see Emulator.hold) before it was answered. */
  held: boolean;
  /** Sync object key, as in counters(). */
  object?: string;
}

/** A hold on matching requests (Emulator.hold). */
export interface Hold {
  /** Matching requests held and not released yet (those whose client gave up included). */
  readonly waiting: number;
  /** Resolves once `count` matching requests have arrived since the hold began, held or released. */
  arrived(count?: number): Promise<void>;
  /** Lets the waiting requests go on, and stops holding later ones. */
  release(): void;
}

export interface ObjectCounters {
  reads: number;
  writes: number;
  throttled: number;
}

export interface SyncRateLimit {
  perSecond: number;
  burstSeconds: number;
}

export type ConversationState = 'active' | 'inactive' | 'closed';

export interface SeedConversation {
  serviceSid?: string;
  friendlyName?: string;
  uniqueName?: string;
  state?: ConversationState;
  attributes?: string;
  /** ISO 8601 or epoch ms; the emulator's clock by default. */
  dateCreated?: string | number;
}

export interface SeedParticipant {
  identity?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  attributes?: string;
  /** ISO 8601 or epoch ms; the emulator's clock by default. */
  dateCreated?: string | number;
}

/** A message as Twilio keeps it: the attachments' metadata only. */
export interface SeedMessage {
  author?: string;
  body?: string;
  attributes?: string;
  media?: Array<{ contentType: string; filename?: string; size: number }>;
  /** ISO 8601 or epoch ms; the emulator's clock by default. */
  dateCreated?: string | number;
  /** Removed once added: its index stays taken, a gap in the list, as a deleted message leaves. */
  deleted?: boolean;
}

export interface Seeder {
  /** Returns the new conversation's sid; throws a TwilioError when Twilio would refuse it. */
  conversation(opts: SeedConversation): string;
  /** Returns the new participant's sid; applies the same limits as the REST API. */
  participant(conversationSid: string, p: SeedParticipant): string;
  /** Returns the new message's sid (that of the removed message when `deleted`). */
  message(conversationSid: string, m: SeedMessage): string;
}

export interface Emulator {
  url: string;
  port: number;
  /** Stops listening and drops open connections, including hanging requests. */
  close(): Promise<void>;
  /** Clears data, log, counters, faults and latency, and restores the default Sync rate limit. */
  reset(): void;
  /** Every request in arrival order. */
  log: RequestLogEntry[];
  clearLog(): void;
  counters(): Record<string, ObjectCounters>;
  /** Product requests (Conversations, Sync) being served now, and the most at once since the last reset or clearLog. */
  inFlight(): { now: number; peak: number };
  setLatency(ms: number, match?: FaultMatch): void;
  /**
   * Holds every matching product request, before it is applied, until `release()`: a test decides
   * when Twilio answers instead of racing latency against a deadline. A held request whose client
   * gave up meanwhile is not applied (499), as with latency. `reset()` and `close()` release holds.
   */
  hold(match?: FaultMatch): Hold;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  setSyncRateLimit(opts: SyncRateLimit): void;
  /**
   * How long after its `date_expires` a Sync object (document, map, map item) is removed; until then
   * it is served, written and listed as any other. Twilio's TTL removal is late, "up to minutes".
   * Default DEFAULT_REMOVAL_LAG_MS (60 s); 0 removes at the expiry itself. `reset()` restores it.
   */
  setSyncRemovalLag(ms: number): void;
  setClock(now: () => number): void;
  seed: Seeder;
}
