import type { Settings, VariableName } from '../guard/config/variables';
import { VARIABLES } from '../guard/config/variables';
import { LOCAL_ONLY, SECRETS } from '../guard/config/local-only';
import { MalformedRequestError } from '../guard/event/errors';
import { parseEvent, type RawEvent } from '../guard/event/parse';
import type { PreEvent } from '../guard/event/types';
import { toFact, type ParticipantFact } from '../guard/facts/participants';
import type { Channel } from '../guard/limits/channels';
import { decide } from '../guard/pre-event';
import { rateViolation } from '../guard/rate/gate';
import { keyOf, rateRulesOf, type RateRule } from '../guard/rate/rules';
import { hasRoom, msUntilRoom, prune } from '../guard/rate/sliding-log';
import type { RemoteJudge } from '../guard/remote';
import { channelsAtRisk, checkFanout } from '../guard/rules/fanout';
import { checkMembership } from '../guard/rules/membership';
import type { Violation } from '../guard/rules/violation';
import type { SavedConversation, SavedIdentity, SavedMessage, SavedParticipant } from './history';
import { attributesOf, textOf } from './shape';
import { SortedSpill } from './spill';
import { Periods, RateRequests, type RuleKey } from './sync-cost';

export type Outcome = 'reject' | 'annotate';

export interface Example {
  conversationSid: string;
  messageSid?: string;
  participantSid?: string;
  date: string;
  /** The sentence the webhook's 403, or its annotation, would carry. */
  message: string;
}

export interface RuleRow {
  code: string;
  outcome: Outcome;
  count: number;
  examples: Example[];
}

export interface DayRow {
  day: string;
  judged: number;
  /** Count per `code outcome`. */
  rules: Record<string, number>;
  executions: Record<FunctionEvent, number>;
}

type EventType = 'onConversationAdd' | 'onParticipantAdd' | 'onMessageAdd';
/** The pre-event webhooks judged, and the post-event the guard subscribes that history dates: a participant added. */
export type FunctionEvent = EventType | 'onParticipantAdded';
export const FUNCTION_EVENTS: readonly FunctionEvent[] = ['onConversationAdd', 'onParticipantAdd', 'onMessageAdd', 'onParticipantAdded'];

/** What could be in the history but the audit cannot count, and why. */
export interface NotCounted {
  what: string;
  why: string;
  /** The rate rules (`rate.<name>`) whose replay lacks these actions, when it is about them. */
  rules?: string[];
}

export interface NotReconstructible {
  /** Participants whose messages remain but who are no longer in the conversation (left or removed). */
  participantsWhoLeft: number;
  /** Their messages: not judged (their channel and the members of the time are unknown). */
  messagesFromParticipantsWhoLeft: number;
  /** Messages with no participant behind them: sent through the REST API (or by the system), with no webhook unless X-Twilio-Webhook-Enabled. Not judged. */
  messagesWithoutParticipant: number;
  /** Gaps in message indexes: messages deleted since (a message whose index is not a whole number tells nothing). */
  deletedMessages: number;
  /** Actions the webhook would have refused as a malformed request (a negative or fractional media size, …): not judged. */
  malformed: number;
  /**
   * Chat joins that reached the MAX_CONVERSATIONS_PER_IDENTITY check (every other rule of the join
   * before it passed) but could not be judged by it: their identity is in more conversations now than
   * the cap (or could not be counted), so whether it was at the cap when it joined depends on which
   * were closed then, which history does not tell. A join another rule refuses first is not counted.
   */
  identityLimitNotChecked: number;
  /** What may have happened but cannot be counted from history, each with the reason. */
  notCounted: NotCounted[];
  /** What history holds no trace of at all. */
  unknowable: string[];
}

export interface SyncRequests {
  /** Rate slot groups read, at most, by one warm instance deciding every action (src/audit/sync-cost.ts). */
  rateReads: number;
  /** Rate slots created or updated, and their Maps created, by that instance. */
  rateWrites: number;
  /**
   * Identity tally reads: its document and its join ledger, read by each chat join the remote rules
   * judge (pre-event) and by each admitted (post-event).
   */
  identityTallyReads: number;
  /**
   * Identity tally writes: the join ledger's entry of each chat join judged, and the document's write
   * per join admitted (its post-event's; near the cap the pre-event's too).
   */
  identityTallyWrites: number;
  /** Participant page index reads: each decision or post-event that lists more than 100 participants. */
  participantPageReads: number;
  /** Participant page index writes: each join that starts a new page of 100. */
  participantPageWrites: number;
  /** Rejection counts: a read and a write per STATUS_FLUSH_INTERVAL with a rejection, for one instance. */
  rejectionCountReads: number;
  rejectionCountWrites: number;
  /** Rejection log: an item per STATUS_FLUSH_INTERVAL with a rejection, annotation or malformed request, for one instance. */
  rejectionLogWrites: number;
  total: number;
}

export interface AuditReport {
  window: { from: string; to: string };
  service: string;
  settings: Record<string, string>;
  totals: { conversations: number; participants: number; messages: number; judged: number };
  rules: RuleRow[];
  perDay: DayRow[];
  notReconstructible: NotReconstructible;
  cost: { functionExecutions: Record<FunctionEvent, number>; syncRequests: SyncRequests; note: string };
}

const MAX_EXAMPLES = 5;
/** Ranks of participants' joins after every message's (message indexes stay below). */
const PARTICIPANT_RANK = 2 ** 40;
const NO_NOTES: Violation[] = [];
/** Twilio lists participants 100 a page: a longer list has a page index in Sync. */
const PARTICIPANTS_PER_PAGE = 100;

/** An action that passed every other rule, waiting for the rate rules (replayed in time order across conversations). */
interface Candidate {
  at: number;
  /** Within one second: by conversation SID, then its creation, its messages by index, its participants in the order they joined. */
  rank: number;
  keys: Array<[number, string]>;
  notes: Violation[];
  where: Omit<Example, 'message'>;
  /** A participant's join: the `service\u0000identity` of its identity tally ('' when it has none), and the members with it. */
  join?: [string, number];
  /** Refused by another rule after the rate rules' slots were read: only those reads remain to replay. */
  refused?: Violation;
}

/** What became of one chat identity's joins. */
interface IdentityJoins {
  /** Joins the remote rules judged: each reads the identity's tally and enters its join ledger. */
  judged: number;
  /** Joins that reached the MAX_CONVERSATIONS_PER_IDENTITY check: every rule of the join before it passed. */
  checked: number;
  /** Joins every rule admitted: each one's post-event reads the tally and writes it. */
  admitted: number;
}

const SOURCES: Record<Channel, string> = { web: 'SDK', sms: 'SMS', whatsapp: 'WHATSAPP', email: 'EMAIL', messenger: 'MESSENGER', gbm: 'GBM' };

const UNKNOWABLE = [
  'actions Twilio itself refused (a 429, an over-limit participant): they left no trace',
  'conversations and messages deleted before the audit, and participants removed whose messages went with them',
  "how a message was sent: a chat participant's is judged as sent from the SDK, an SMS, WhatsApp or email participant's as inbound, though either may have come through the REST API",
];

const PER_WORDS: Record<RateRule['per'], string> = { conversation: 'per conversation', author: 'per author', participant: 'per participant', service: 'per service' };

const emptyExecutions = (): Record<FunctionEvent, number> => ({ onConversationAdd: 0, onParticipantAdd: 0, onMessageAdd: 0, onParticipantAdded: 0 });

/**
 * Replays saved conversations through the webhook's own decision (`decide` of src/guard/pre-event.ts,
 * with the event parser, the payload rules, the content policy, and a remote judge answering from the
 * participants present at the time), then the rate rules in time order over every conversation, each
 * an exact sliding window of its definition. Judge conversations one at a time with {@link add}; the
 * report comes from {@link finish}.
 */
export class Auditor {
  private readonly rows = new Map<string, RuleRow>();
  private readonly days = new Map<string, DayRow>();
  /** Actions waiting for the rate rules, sorted on disk past a few thousand: memory stays bounded. */
  private readonly candidates: SortedSpill<Candidate>;
  private readonly rateRules: RateRule[];
  /** Every rate rule counts per conversation: each conversation's rate rules are replayed as soon as it is judged, and nothing of it is kept. */
  private readonly perConversation: boolean;
  private readonly logs = new Map<string, number[]>();
  private readonly totals = { conversations: 0, participants: 0, messages: 0, judged: 0 };
  private readonly gaps = {
    participantsWhoLeft: 0,
    messagesFromParticipantsWhoLeft: 0,
    messagesWithoutParticipant: 0,
    deletedMessages: 0,
    malformed: 0,
    identityLimitNotChecked: 0,
  };
  /** Chat identities that joined, by `service\u0000identity`, and what ParticipantConversations says of each. */
  private readonly chatJoins = new Map<string, IdentityJoins>();
  private readonly identityCounts = new Map<string, number>();
  private readonly executions = emptyExecutions();
  /** What the rate rules ask of Sync. */
  private readonly slots = new RateRequests();
  private readonly pages = { reads: 0, writes: 0 };
  /** The STATUS_FLUSH_INTERVAL periods with a rejection (counts flushed), and with anything logged (log flushed). */
  private readonly flushes: { counts: Periods; log: Periods };

  constructor(
    private readonly settings: Settings,
    private readonly env: Readonly<Record<string, string | undefined>> = {},
    options: { runSize?: number; spillDir?: string } = {},
  ) {
    this.rateRules = rateRulesOf(settings);
    this.perConversation = this.rateRules.every((rule) => rule.per === 'conversation');
    this.candidates = new SortedSpill(byTime, options.runSize, options.spillDir);
    this.flushes = { counts: new Periods(settings.STATUS_FLUSH_INTERVAL), log: new Periods(settings.STATUS_FLUSH_INTERVAL) };
  }

  async add(c: SavedConversation): Promise<void> {
    this.totals.conversations += 1;
    const service = c.serviceSid;
    const base = { ConversationSid: c.sid, ChatServiceSid: service };
    await this.judge(
      { EventType: 'onConversationAdd', ChatServiceSid: service, FriendlyName: 'a'.repeat(c.friendlyNameChars), UniqueName: 'a'.repeat(c.uniqueNameChars), Attributes: attributesOf(c.attributes), Source: 'API' },
      [],
      { conversationSid: c.sid, date: c.dateCreated },
      0,
    );

    // Members in the order they joined; list order breaks ties of one second.
    const members = c.participants.map((p, i) => ({ p, i, at: Date.parse(p.dateCreated), fact: factOf(p) })).sort((a, b) => a.at - b.at || a.i - b.i);
    for (const [n, m] of members.entries()) {
      this.totals.participants += 1;
      const before = members.slice(0, n).map((x) => x.fact);
      let join = '';
      if (m.fact.channel === 'web' && m.p.identity) {
        join = `${service}\u0000${m.p.identity}`;
        if (!this.chatJoins.has(join)) this.chatJoins.set(join, { judged: 0, checked: 0, admitted: 0 });
      }
      await this.judge(
        {
          ...base,
          EventType: 'onParticipantAdd',
          Identity: m.p.identity,
          'MessagingBinding.Address': m.p.address,
          'MessagingBinding.ProxyAddress': m.p.proxyAddress,
          'MessagingBinding.ProjectedAddress': m.p.projectedAddress,
          'MessagingBinding.Type': m.p.bindingType,
          Attributes: attributesOf(m.p.attributes),
          Source: 'API',
        },
        before,
        { conversationSid: c.sid, participantSid: m.p.sid, date: m.p.dateCreated },
        PARTICIPANT_RANK + n,
        [join, n + 1],
      );
    }

    const bySid = new Map(members.map((m) => [m.p.sid, m]));
    const left = new Set<string>();
    // An index that is not a whole number (missing) is unknown: such a message comes after the others
    // and tells nothing of deletions.
    const indexOf = (m: SavedMessage) => (Number.isInteger(m.index) && m.index >= 0 ? m.index : undefined);
    const messages = [...c.messages].sort((a, b) => (indexOf(a) ?? Infinity) - (indexOf(b) ?? Infinity) || 0);
    let expected = 0;
    for (const message of messages) {
      this.totals.messages += 1;
      const index = indexOf(message);
      if (index !== undefined) {
        this.gaps.deletedMessages += Math.max(0, index - expected);
        expected = index + 1;
      }
      const author = message.participantSid === undefined ? undefined : bySid.get(message.participantSid);
      if (message.participantSid === undefined) {
        this.gaps.messagesWithoutParticipant += 1;
        continue;
      }
      if (!author) {
        left.add(message.participantSid);
        this.gaps.messagesFromParticipantsWhoLeft += 1;
        continue;
      }
      const at = Date.parse(message.dateCreated);
      const present = members.filter((m) => m.at <= at).map((m) => m.fact);
      await this.judge(
        {
          ...base,
          EventType: 'onMessageAdd',
          Author: message.author,
          Body: textOf(message.body),
          Attributes: attributesOf(message.attributes),
          Media: message.media.length === 0 ? undefined : JSON.stringify(message.media.map((f) => ({ ContentType: f.contentType, Filename: f.filename, Size: f.size }))),
          ParticipantSid: message.participantSid,
          Source: SOURCES[author.fact.channel],
        },
        present,
        { conversationSid: c.sid, messageSid: message.sid, date: message.dateCreated },
        1 + (index ?? expected),
      );
    }
    this.gaps.participantsWhoLeft += left.size;
    if (this.perConversation) {
      // Its keys are this conversation's alone: its rate rules are replayed now, and forgotten.
      this.replayRates();
      this.logs.clear();
      this.slots.forget();
    }
  }

  /** The chat identities that joined, per service, whose conversations are not counted yet. */
  identitiesToCount(): Array<{ service: string; identity: string }> {
    return [...this.chatJoins.keys()].filter((key) => !this.identityCounts.has(key)).map((key) => {
      const [service, identity] = key.split('\u0000') as [string, string];
      return { service, identity };
    });
  }

  addIdentity(fact: SavedIdentity): void {
    this.identityCounts.set(`${fact.service}\u0000${fact.identity}`, fact.conversations);
  }

  /**
   * An identity in at most MAX_CONVERSATIONS_PER_IDENTITY conversations now was in fewer than that
   * before any of its joins: none of them broke the cap. For the others it depends on which of their
   * conversations were closed at the time: the joins that reached the check are counted as not
   * reconstructible (a join another rule refused first never asked).
   */
  private checkIdentities(): void {
    for (const [key, joins] of this.chatJoins) {
      const count = this.identityCounts.get(key);
      if (count === undefined || count > this.settings.MAX_CONVERSATIONS_PER_IDENTITY) this.gaps.identityLimitNotChecked += joins.checked;
    }
  }

  private async judge(raw: RawEvent, present: ParticipantFact[], where: Omit<Example, 'message'>, rank: number, join?: [string, number]): Promise<void> {
    let event: PreEvent;
    try {
      event = parseEvent(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
    } catch (error) {
      // The webhook would have answered 400 to such a request: nothing of the guard's rules to judge,
      // but the function ran all the same, and the rejection log keeps it.
      if (!(error instanceof MalformedRequestError)) throw error;
      this.gaps.malformed += 1;
      this.execute(raw.EventType as EventType, where.date);
      this.logged(Date.parse(where.date));
      return;
    }
    this.totals.judged += 1;
    this.day(where.date).judged += 1;
    this.execute(event.type, where.date);
    const reached: Reached = { remote: false, identityCheck: false, listed: 0 };
    const verdict = await decide(event, this.settings, replayJudge(present, this.settings, reached), false);
    const tally = join?.[0] ? this.chatJoins.get(join[0]) : undefined;
    if (tally && reached.remote) tally.judged += 1;
    if (tally && reached.identityCheck) tally.checked += 1;
    if (reached.listed > PARTICIPANTS_PER_PAGE) this.pages.reads += 1;
    const keys = this.rateRules.flatMap((rule, i): Array<[number, string]> => {
      const key = keyOf(rule, event);
      return key === undefined ? [] : [[i, key]];
    });
    const at = Date.parse(where.date);
    if (verdict.violation) {
      // The remote rules read every rate rule's slots at once, before any other rule refuses: those
      // reads are replayed in time order with the others.
      if (reached.remote && keys.length > 0) return this.candidates.push({ at, rank, keys, notes: NO_NOTES, where, refused: verdict.violation });
      return this.count(verdict.violation, 'reject', where);
    }
    const notes = verdict.policy === 'annotate' && verdict.notes.length > 0 ? verdict.notes : NO_NOTES;
    if (keys.length === 0) this.admit(notes, where, join);
    else this.candidates.push({ at, rank, keys, notes, where, ...(join !== undefined && { join }) });
  }

  /**
   * An action every rule admits: its annotations, and for a join its post-event, which reads the
   * identity's tally and, for a list of more than one page, walks it with its page index (written
   * when the join starts a page).
   */
  private admit(notes: Violation[], where: Omit<Example, 'message'>, join: [string, number] | undefined): void {
    for (const note of notes) this.count(note, 'annotate', where);
    if (join === undefined) return;
    this.execute('onParticipantAdded', where.date);
    const [identity, members] = join;
    const tally = identity ? this.chatJoins.get(identity) : undefined;
    if (tally) tally.admitted += 1;
    if (members > PARTICIPANTS_PER_PAGE) {
      this.pages.reads += 1;
      if (members % PARTICIPANTS_PER_PAGE === 1) this.pages.writes += 1;
    }
  }

  private execute(type: FunctionEvent, date: string): void {
    this.executions[type] += 1;
    this.day(date).executions[type] += 1;
  }

  /**
   * The rate rules, in time order over the actions waiting (every conversation's, or one
   * conversation's when every rule counts per conversation): an exact sliding log per rule and key.
   * What the webhook's slot limiter would ask of Sync is counted alongside: a read of each key's Map
   * (of every one of its Maps when the key is at its limit), and for an admission a conditional write
   * per rule, plus the creation of the key's Map when no admission renewed it within its TTL.
   */
  private replayRates(): void {
    const logs = this.logs;
    for (const candidate of this.candidates.drain()) {
      const keys: RuleKey[] = candidate.keys.map(([i, key]) => ({ rule: this.rateRules[i]!, key }));
      if (candidate.refused) {
        this.slots.decide(candidate.at, keys, false);
        this.count(candidate.refused, 'reject', candidate.where);
        continue;
      }
      let refused: Violation | undefined;
      for (const [i, key] of candidate.keys) {
        const rule = this.rateRules[i]!;
        const log = logs.get(`${i}\u0000${key}`) ?? [];
        if (!hasRoom(log, rule.window.limit, candidate.at, rule.window.windowMs)) {
          refused = rateViolation(rule, msUntilRoom(log, rule.window.limit, candidate.at, rule.window.windowMs));
          break;
        }
      }
      this.slots.decide(candidate.at, keys, refused === undefined);
      if (refused) {
        this.count(refused, 'reject', candidate.where);
        continue;
      }
      for (const [i, key] of candidate.keys) {
        const id = `${i}\u0000${key}`;
        const rule = this.rateRules[i]!;
        const log = prune(logs.get(id) ?? [], candidate.at, rule.window.windowMs);
        log.push(candidate.at);
        logs.set(id, log);
      }
      this.admit(candidate.notes, candidate.where, candidate.join);
    }
  }

  /** Removes what the audit wrote to disk, when it stops before {@link finish}. */
  discard(): void {
    this.candidates.discard();
  }

  private count(violation: Violation, outcome: Outcome, where: Omit<Example, 'message'>): void {
    const id = `${violation.code} ${outcome}`;
    let row = this.rows.get(id);
    if (!row) this.rows.set(id, (row = { code: violation.code, outcome, count: 0, examples: [] }));
    row.count += 1;
    row.examples.push({ ...where, message: violation.message });
    row.examples.sort(byExample);
    if (row.examples.length > MAX_EXAMPLES) row.examples.length = MAX_EXAMPLES;
    const day = this.day(where.date);
    day.rules[id] = (day.rules[id] ?? 0) + 1;
    const at = Date.parse(where.date);
    if (outcome === 'reject' && this.settings.STATUS_COUNTERS !== 'off') this.flushes.counts.mark(at);
    this.logged(at);
  }

  /** A decision the rejection log keeps (every one but a plain allow): its flush period is marked. */
  private logged(at: number): void {
    if (this.settings.REJECTION_LOG !== 'off') this.flushes.log.mark(at);
  }

  private day(date: string): DayRow {
    const key = date.slice(0, 10);
    let row = this.days.get(key);
    if (!row) this.days.set(key, (row = { day: key, judged: 0, rules: {}, executions: emptyExecutions() }));
    return row;
  }

  finish(window: { from: string; to: string }, service: string): AuditReport {
    this.replayRates();
    this.checkIdentities();
    // Every day of the window, and any later day a conversation of the window went on into.
    for (let t = Date.parse(`${window.from.slice(0, 10)}T00:00:00Z`); t <= Date.parse(window.to); t += 86_400_000) this.day(new Date(t).toISOString());
    const days = [...this.days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
    return {
      window,
      service,
      settings: changedSettings(this.env),
      totals: { ...this.totals },
      rules: [...this.rows.values()].sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : a.outcome < b.outcome ? -1 : 1)),
      perDay: days,
      notReconstructible: { ...this.gaps, notCounted: this.notCounted(window), unknowable: [...UNKNOWABLE] },
      cost: {
        functionExecutions: { ...this.executions },
        syncRequests: this.syncRequests(),
        note: 'An estimate (docs/audit.md, "What it would cost"): one pre-event Function execution per action judged or malformed, one onParticipantAdded post-event per join admitted; Sync requests as one warm instance deciding every action in time order would send them.',
      },
    };
  }

  private syncRequests(): SyncRequests {
    let identityTallyReads = 0;
    let identityTallyWrites = 0;
    const { MAX_CONVERSATIONS_PER_IDENTITY: cap, IDENTITY_TALLY_EXACT_MARGIN: margin } = this.settings;
    for (const [key, joins] of this.chatJoins) {
      // The document and the join ledger, each read by a decision and by an admitted join's post-event.
      identityTallyReads += 2 * (joins.judged + joins.admitted);
      // A judged join enters its ledger whatever the verdict. The document is written by the post-event
      // of a join admitted; near the cap the decision counts exactly and writes the tally it rebuilt, and
      // the post-event, counting exactly too, writes it again.
      const count = this.identityCounts.get(key);
      identityTallyWrites += joins.judged + joins.admitted * (count !== undefined && count >= cap - margin ? 2 : 1);
    }
    const counts = this.flushes.counts.count;
    const requests = {
      rateReads: this.slots.reads,
      rateWrites: this.slots.writes,
      identityTallyReads,
      identityTallyWrites,
      participantPageReads: this.pages.reads,
      participantPageWrites: this.pages.writes,
      rejectionCountReads: counts,
      rejectionCountWrites: counts,
      rejectionLogWrites: this.flushes.log.count,
    };
    return { ...requests, total: Object.values(requests).reduce((sum, n) => sum + n, 0) };
  }

  /** What the history may hold that the audit cannot count: said, with why, never guessed. */
  private notCounted(window: { from: string }): NotCounted[] {
    const spanning = this.rateRules.filter((rule) => rule.per !== 'conversation' && rule.on.some((on) => on !== 'conversation'));
    const named = spanning.map((rule) => `rate.${rule.name} (${PER_WORDS[rule.per]})`).join(', ');
    return [
      {
        what: `actions in conversations created before ${window.from}`,
        why: `Twilio lists conversations by the date they were created, and the audit reads those created in the window: a conversation created earlier is not read, so its messages and joins in the window are neither judged nor counted${spanning.length === 0 ? '' : `; ${named} ${spanning.length === 1 ? 'counts' : 'count'} such actions too, so ${spanning.length === 1 ? 'its' : 'their'} refusals here are counted without them`}.`,
        ...(spanning.length > 0 && { rules: spanning.map((rule) => `rate.${rule.name}`) }),
      },
      {
        what: 'participants who left without writing',
        why: 'the Participants list holds those in a conversation now, and a message names only its author, so one who joined and left without writing leaves nothing the audit reads: their joins are not judged, and the members of the time are counted without them.',
      },
    ];
  }
}

/** Time order; within one second, by conversation SID and the action's rank in it: a total order. */
const byTime = (a: Candidate, b: Candidate) => a.at - b.at || (a.where.conversationSid < b.where.conversationSid ? -1 : a.where.conversationSid > b.where.conversationSid ? 1 : a.rank - b.rank);
const byExample = (a: Example, b: Example) => (a.date < b.date ? -1 : a.date > b.date ? 1 : key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const key = (e: Example) => `${e.conversationSid}${e.participantSid ?? ''}${e.messageSid ?? ''}`;

function factOf(p: SavedParticipant): ParticipantFact {
  return toFact(p.identity, p.address || p.projectedAddress ? { type: p.bindingType, address: p.address, proxy_address: p.proxyAddress, projected_address: p.projectedAddress } : null);
}

/** How far a decision went: to the remote rules, to the identity check; how many participants it listed. */
interface Reached {
  remote: boolean;
  identityCheck: boolean;
  listed: number;
}

/**
 * The remote half of a decision, answered from history: the participants present at the time of the
 * action stand for the list the webhook reads; the same rules judge them. Rate rules are replayed
 * afterwards across conversations; the identity count is judged from ParticipantConversations
 * afterwards. `reached` says how far the decision went: to the remote rules, to the identity check.
 */
function replayJudge(present: ParticipantFact[], settings: Settings, reached: Reached): RemoteJudge {
  return {
    confirmAuthor: async (event) => event,
    async judge(event: PreEvent, policy) {
      reached.remote = true;
      if (event.type === 'onMessageAdd') {
        // The webhook lists the participants only when a channel's delivery limits are at stake.
        if (policy !== 'ignore' && channelsAtRisk(event, settings).length > 0) reached.listed = present.length;
        const fanout = policy === 'ignore' ? undefined : checkFanout(event, present, settings);
        return fanout && policy === 'judge' ? { violation: fanout, notes: [] } : { notes: fanout ? [fanout] : [] };
      }
      if (event.type === 'onParticipantAdd') {
        reached.listed = present.length;
        const violation = checkMembership(event, present, settings);
        // The webhook counts a chat identity's conversations last, after the other membership rules.
        if (!violation && event.identity !== undefined && event.channel === 'web') reached.identityCheck = true;
        return { violation, notes: [] };
      }
      return { notes: [] };
    },
  };
}

/** The guard's variables the environment sets to something else than their default (no secret, nothing local-only). */
function changedSettings(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const changed: Record<string, string> = {};
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const value = env[name]?.trim();
    if (value && value !== VARIABLES[name].default && !SECRETS.includes(name) && !Object.hasOwn(LOCAL_ONLY, name)) changed[name] = value;
  }
  return changed;
}
