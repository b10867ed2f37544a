import type { Twilio } from 'twilio';
import type { Settings } from '../config/variables';
import { StoreUnavailableError, type DocumentStore, type StoredDocument } from '../store/document-store';
import { syncName } from '../store/names';
import { updateDocument } from '../store/update-document';
import { waitAtMost } from '../deadline';
import { listCountedConversations } from './identity-conversations';

/**
 * The set of counted conversations of one identity, kept in a Sync document so the per-identity cap
 * costs one read instead of one request per 50 conversations. Each conversation is stored as the
 * first 10 hex digits of its SID (40 bits: no collision to expect among a few thousand), which keeps
 * 1000 conversations near 10 KB, inside Sync's 16 KiB document limit.
 */
export interface TallyData {
  /** Concatenated 10-character conversation keys. */
  keys: string;
  /** When the set was last rebuilt from the REST API (epoch ms). */
  verifiedAt: number;
}

const KEY_LENGTH = 10;
export const conversationKey = (conversationSid: string) => conversationSid.slice(2, 2 + KEY_LENGTH).toLowerCase();

export function tallyKeys(data: TallyData): string[] {
  const keys: string[] = [];
  for (let i = 0; i < data.keys.length; i += KEY_LENGTH) keys.push(data.keys.slice(i, i + KEY_LENGTH));
  return keys;
}

/** What a ledger key looks like: a conversation key. */
const isKey = (key: string) => /^[0-9a-f]{10}$/.test(key);

/**
 * A ledger item added this long before its document's rebuild is in the rebuilt document if its join
 * happened, and is ignored: so a join a rule refused stops counting at the rebuild. The margin covers
 * the time between a join's entry and Twilio listing its participant (the decision, then Twilio adding
 * it), and the clocks of Sync and of the instance that rebuilt the document.
 */
export const LEDGER_REBUILD_MARGIN_MS = 5 * 60_000;

export interface TallyPolicy {
  limit: number;
  /** Within this many of the limit the count is taken exactly from the REST API. */
  exactMargin: number;
  /** A tally older than this since its last rebuild is doubtful and rebuilt. */
  maxAgeMs: number;
  /** How long a rebuild due to age alone may take before the old tally is used instead. */
  rebuildBudgetMs?: number;
}

/** The policy the settings give; a rebuild due to age may use half of the decision's deadline. */
export function tallyPolicy(settings: Settings): TallyPolicy {
  return {
    limit: settings.MAX_CONVERSATIONS_PER_IDENTITY,
    exactMargin: settings.IDENTITY_TALLY_EXACT_MARGIN,
    maxAgeMs: settings.IDENTITY_TALLY_MAX_AGE,
    rebuildBudgetMs: settings.DECISION_TIMEOUT / 2,
  };
}

/**
 * How long a join ledger item lives: twice IDENTITY_TALLY_MAX_AGE. An item is created by a join, and
 * the document it complements was last rebuilt before that join, or at most moments after it (a
 * concurrent rebuild that listed the identity's conversations before Twilio added the participant):
 * that document is due for an exact rebuild IDENTITY_TALLY_MAX_AGE after its rebuild, well before the
 * item expires. So an item only expires once the join it records is in a rebuilt document, or its
 * document is old and the next count is exact.
 */
export const ledgerTtlSeconds = (policy: TallyPolicy) => Math.ceil((2 * policy.maxAgeMs) / 1000);

export interface IdentityCount {
  /** Counted conversations, the one being joined included if already there. */
  count: number;
  includes: boolean;
  /** Whether the count came from the REST API rather than the tally. */
  exact: boolean;
}

/** Attempts at a conditional write before giving up on a contended tally. */
const WRITE_ATTEMPTS = 4;

/**
 * One identity's tally: a Sync document holding its counted conversations as of its last rebuild, and,
 * when the store keeps key sets, its join ledger: a Sync Map with one item per conversation the
 * identity joined since, each added by its own create, so simultaneous joins never race for one
 * document and none is lost. The identity's count is the union of both.
 */
export class IdentityTally {
  readonly name: string;
  /** The join ledger's Map. */
  readonly ledger: string;
  private current?: StoredDocument<TallyData>;
  /** The exact set counted by {@link count}, written by {@link settle} with the rest of the decision. */
  private rebuilt?: TallyData;
  /** The ledger entry of the join being decided, sent beside the reads: {@link settle} waits for it. */
  private entry?: Promise<unknown>;

  constructor(
    private readonly store: DocumentStore,
    private readonly client: Twilio,
    private readonly identity: string,
    private readonly serviceSid: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.name = syncName('identity', serviceSid || 'default', identity);
    this.ledger = syncName('joins', serviceSid || 'default', identity);
  }

  /**
   * How many counted conversations the identity has. Trusts the tally when it exists, is recent and
   * is not near the limit; otherwise counts exactly (and {@link settle} rewrites the tally), so a lost,
   * repeated or reordered post-event can neither let the cap be crossed nor keep blocking once the
   * count is exact. The document and the ledger are read at once.
   *
   * With `join`, the conversation is entered in the ledger by a request sent beside the reads, before
   * any rule has judged the join: a join another rule refuses stays counted (a phantom) until the
   * document's next rebuild, which far from the limit changes nothing and near it the exact count
   * ignores. {@link settle} waits for the entry.
   */
  async count(conversationSid: string, policy: TallyPolicy, join = false): Promise<IdentityCount> {
    const key = conversationKey(conversationSid);
    const keySets = this.store.keySets;
    // Whether the count trusted the tally: a ledger found missing is created, and the entry made in
    // it, only then. An exact count writes the rebuilt document, with the join once it is admitted, and
    // needs no entry: the Map alone is created, beside that write, for the identity's next joins.
    let trusted: (yes: boolean) => void = () => undefined;
    const countTrusted = new Promise<boolean>((resolve) => (trusted = resolve));
    if (join && keySets) {
      this.entry = keySets.add(this.ledger, key, ledgerTtlSeconds(policy), () => countTrusted);
      // Its failure is reported by settle; a decision that ends before settling leaves it unheard.
      this.entry.catch(() => undefined);
    }
    try {
      const counted = await this.countFrom(key, policy);
      trusted(!counted.exact);
      return counted;
    } finally {
      trusted(false);
    }
  }

  private async countFrom(key: string, policy: TallyPolicy): Promise<IdentityCount> {
    const keySets = this.store.keySets;
    // An unreadable tally or ledger (Sync throttled or failing) is no tally: the count is taken exactly instead.
    const unreadable = (error: unknown) => {
      if (error instanceof StoreUnavailableError) return undefined;
      throw error;
    };
    const [current, ledger] = await Promise.all([
      this.store.get<TallyData>(this.name).catch(unreadable),
      keySets ? keySets.entries(this.ledger).catch(unreadable) : [],
    ]);
    this.current = current;
    const data = this.current?.data;
    const wellFormed = data && isWellFormed(data) ? data : undefined;
    // The ledger's keys added since the document's rebuild (or with no date to tell): the joins the
    // document may lack.
    const since = (wellFormed?.verifiedAt ?? 0) - LEDGER_REBUILD_MARGIN_MS;
    const joined = ledger?.filter((e) => isKey(e.key) && (e.added === undefined || e.added >= since)).map((e) => e.key);
    const keys = wellFormed && joined ? unique([...tallyKeys(wellFormed), ...joined]) : undefined;
    const farFromLimit = keys !== undefined && keys.length < policy.limit - policy.exactMargin;
    if (farFromLimit && this.now() - data!.verifiedAt <= policy.maxAgeMs) return { count: keys.length, includes: keys.includes(key), exact: false };
    const listing = listCountedConversations(this.client, this.identity, this.serviceSid);
    // An identity with thousands of (closed) conversations takes many pages. When the rebuild was
    // only due to age and the old tally is far from the limit, the old tally answers past the budget.
    const exact = farFromLimit && policy.rebuildBudgetMs !== undefined ? await waitAtMost(listing, policy.rebuildBudgetMs) : await listing;
    if (exact === undefined) return { count: keys!.length, includes: keys!.includes(key), exact: false };
    const exactKeys = exact.map(conversationKey);
    this.rebuilt = { keys: unique(exactKeys).join(''), verifiedAt: this.now() };
    return { count: exactKeys.length, includes: exactKeys.includes(key), exact: true };
  }

  /**
   * Writes what the decision learned: the set rebuilt by {@link count} if there is one (unless
   * `keepRebuilt` is false), plus `joined`, the conversation being joined once every rule has passed,
   * in one conditional write; and waits for the ledger entry {@link count} sent, whatever the verdict.
   * A join entered in the ledger needs no document write: with a tally far from the limit, nothing is
   * written after the reads. A ledger entry that failed fails the settlement, once the write is done.
   */
  async settle(joined?: string, keepRebuilt = true): Promise<'written' | 'unchanged' | 'contended'> {
    const rebuilt = keepRebuilt ? this.rebuilt : undefined;
    this.rebuilt = undefined;
    const entry = this.entry;
    this.entry = undefined;
    const key = joined && conversationKey(joined);
    const writing = rebuilt
      ? this.write(() => (key && !tallyKeys(rebuilt).includes(key) ? { ...rebuilt, keys: rebuilt.keys + key } : rebuilt))
      : joined && !entry
        ? this.record(joined)
        : Promise.resolve('unchanged' as const);
    const [written, entered] = await Promise.allSettled([writing, entry]);
    if (written.status === 'rejected') throw written.reason;
    if (entered.status === 'rejected') throw entered.reason;
    return written.value === 'unchanged' && entry && joined ? 'written' : written.value;
  }

  /** Adds a conversation (idempotent). */
  record(conversationSid: string): Promise<'written' | 'unchanged' | 'contended'> {
    const key = conversationKey(conversationSid);
    return this.write((data) => (data && !tallyKeys(data).includes(key) ? { ...data, keys: data.keys + key } : data));
  }

  /** Removes a conversation (idempotent), from the document and the ledger at once. */
  async forget(conversationSid: string): Promise<'written' | 'unchanged' | 'contended'> {
    const key = conversationKey(conversationSid);
    const [written, removed] = await Promise.allSettled([
      this.write((data) => (data ? { ...data, keys: tallyKeys(data).filter((k) => k !== key).join('') } : undefined)),
      this.store.keySets?.remove(this.ledger, key),
    ]);
    if (written.status === 'rejected') throw written.reason;
    if (removed.status === 'rejected') throw removed.reason;
    return written.value;
  }

  /**
   * Applies `change` with a conditional write, re-reading on conflict. A missing tally is left
   * missing by record/forget: the next decision rebuilds it from the REST API, which is exact. A tally
   * that stays contended is left as it is, and says so: it is corrected at its next exact count.
   */
  private async write(change: (data: TallyData | undefined) => TallyData | undefined): Promise<'written' | 'unchanged' | 'contended'> {
    const result = await updateDocument<TallyData>(
      this.store,
      this.name,
      (stored) => {
        const before = isWellFormed(stored) ? stored : undefined;
        const next = change(before);
        return next === before ? undefined : next;
      },
      { attempts: WRITE_ATTEMPTS, current: this.current, backoff: jitter },
    );
    if (result.outcome === 'written') this.current = result.doc;
    return result.outcome;
  }
}

function isWellFormed(data: unknown): data is TallyData {
  const d = data as TallyData | undefined;
  return typeof d?.keys === 'string' && d.keys.length % KEY_LENGTH === 0 && typeof d.verifiedAt === 'number';
}

const unique = (keys: string[]) => [...new Set(keys)];

const jitter = (attempt: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
