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
import { checkFanout } from '../guard/rules/fanout';
import { checkMembership } from '../guard/rules/membership';
import type { Violation } from '../guard/rules/violation';
import type { SavedConversation, SavedIdentity, SavedMessage, SavedParticipant } from './history';
import { attributesOf, textOf } from './shape';
import { SortedSpill } from './spill';

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
  executions: Record<EventType, number>;
}

type EventType = 'onConversationAdd' | 'onParticipantAdd' | 'onMessageAdd';

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
   * Chat joins not judged against MAX_CONVERSATIONS_PER_IDENTITY: their identity is in more
   * conversations now than the cap (or could not be counted), so whether it was at the cap when it
   * joined depends on which were closed then, which history does not tell.
   */
  identityLimitNotChecked: number;
  /** What history holds no trace of at all. */
  unknowable: string[];
}

export interface AuditReport {
  window: { from: string; to: string };
  service: string;
  settings: Record<string, string>;
  totals: { conversations: number; participants: number; messages: number; judged: number };
  rules: RuleRow[];
  perDay: DayRow[];
  notReconstructible: NotReconstructible;
  cost: { functionExecutions: Record<EventType, number>; syncRequests: { rateWrites: number; identityTally: number }; note: string };
}

const MAX_EXAMPLES = 5;
/** Ranks of participants' joins after every message's (message indexes stay below). */
const PARTICIPANT_RANK = 2 ** 40;
const NO_NOTES: Violation[] = [];

/** An action that passed every other rule, waiting for the rate rules (replayed in time order across conversations). */
interface Candidate {
  at: number;
  /** Within one second: by conversation SID, then its creation, its messages by index, its participants in the order they joined. */
  rank: number;
  keys: Array<[number, string]>;
  notes: Violation[];
  where: Omit<Example, 'message'>;
}

const SOURCES: Record<Channel, string> = { web: 'SDK', sms: 'SMS', whatsapp: 'WHATSAPP', email: 'EMAIL', messenger: 'MESSENGER', gbm: 'GBM' };

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
  private rateWrites = 0;
  private readonly totals = { conversations: 0, participants: 0, messages: 0, judged: 0 };
  private readonly gaps: NotReconstructible = {
    participantsWhoLeft: 0,
    messagesFromParticipantsWhoLeft: 0,
    messagesWithoutParticipant: 0,
    deletedMessages: 0,
    malformed: 0,
    identityLimitNotChecked: 0,
    unknowable: [
      'actions Twilio itself refused (a 429, an over-limit participant): they left no trace',
      'conversations and messages deleted before the audit, and participants removed whose messages went with them',
      "how a message was sent: a chat participant's is judged as sent from the SDK, an SMS, WhatsApp or email participant's as inbound, though either may have come through the REST API",
    ],
  };
  /** Chat joins per service and identity, and what ParticipantConversations says of each identity. */
  private readonly chatJoins = new Map<string, number>();
  private readonly identityCounts = new Map<string, number>();
  private readonly executions: Record<EventType, number> = { onConversationAdd: 0, onParticipantAdd: 0, onMessageAdd: 0 };

  constructor(
    private readonly settings: Settings,
    private readonly env: Readonly<Record<string, string | undefined>> = {},
    options: { runSize?: number } = {},
  ) {
    this.rateRules = rateRulesOf(settings);
    this.perConversation = this.rateRules.every((rule) => rule.per === 'conversation');
    this.candidates = new SortedSpill(byTime, options.runSize);
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
      if (m.fact.channel === 'web' && m.p.identity) {
        const key = `${service}\u0000${m.p.identity}`;
        this.chatJoins.set(key, (this.chatJoins.get(key) ?? 0) + 1);
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
   * conversations were closed at the time: counted as not reconstructible.
   */
  private checkIdentities(): void {
    for (const [key, joins] of this.chatJoins) {
      const count = this.identityCounts.get(key);
      if (count === undefined || count > this.settings.MAX_CONVERSATIONS_PER_IDENTITY) this.gaps.identityLimitNotChecked += joins;
    }
  }

  private async judge(raw: RawEvent, present: ParticipantFact[], where: Omit<Example, 'message'>, rank: number): Promise<void> {
    let event: PreEvent;
    try {
      event = parseEvent(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
    } catch (error) {
      // The webhook would have answered 400 to such a request: nothing of the guard's rules to judge.
      if (!(error instanceof MalformedRequestError)) throw error;
      this.gaps.malformed += 1;
      return;
    }
    this.totals.judged += 1;
    this.executions[event.type] += 1;
    const day = this.day(where.date);
    day.judged += 1;
    day.executions[event.type] += 1;
    const verdict = await decide(event, this.settings, replayJudge(present, this.settings), false);
    if (verdict.violation) return this.count(verdict.violation, 'reject', where);
    const notes = verdict.policy === 'annotate' && verdict.notes.length > 0 ? verdict.notes : NO_NOTES;
    const keys = this.rateRules.flatMap((rule, i): Array<[number, string]> => {
      const key = keyOf(rule, event);
      return key === undefined ? [] : [[i, key]];
    });
    if (keys.length === 0) for (const note of notes) this.count(note, 'annotate', where);
    else this.candidates.push({ at: Date.parse(where.date), rank, keys, notes, where });
  }

  /**
   * The rate rules, in time order over the actions waiting (every conversation's, or one
   * conversation's when every rule counts per conversation): an exact sliding log per rule and key.
   */
  private replayRates(): void {
    const logs = this.logs;
    for (const candidate of this.candidates.drain()) {
      let refused: Violation | undefined;
      for (const [i, key] of candidate.keys) {
        const rule = this.rateRules[i]!;
        const log = logs.get(`${i}\u0000${key}`) ?? [];
        if (!hasRoom(log, rule.window.limit, candidate.at, rule.window.windowMs)) {
          refused = rateViolation(rule, msUntilRoom(log, rule.window.limit, candidate.at, rule.window.windowMs));
          break;
        }
      }
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
        this.rateWrites += 1;
      }
      for (const note of candidate.notes) this.count(note, 'annotate', candidate.where);
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
  }

  private day(date: string): DayRow {
    const key = date.slice(0, 10);
    let row = this.days.get(key);
    if (!row) this.days.set(key, (row = { day: key, judged: 0, rules: {}, executions: { onConversationAdd: 0, onParticipantAdd: 0, onMessageAdd: 0 } }));
    return row;
  }

  finish(window: { from: string; to: string }, service: string): AuditReport {
    this.replayRates();
    const rateWrites = this.rateWrites;
    this.checkIdentities();
    const chatJoins = [...this.chatJoins.values()].reduce((sum, n) => sum + n, 0);
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
      notReconstructible: { ...this.gaps },
      cost: {
        functionExecutions: { ...this.executions },
        syncRequests: { rateWrites, identityTally: chatJoins * 2 },
        note: 'One pre-event Function execution per action judged; Sync: one conditional write per rate rule per admitted action, about two tally requests (read, write) per chat join.',
      },
    };
  }
}

/** Time order; within one second, by conversation SID and the action's rank in it: a total order. */
const byTime = (a: Candidate, b: Candidate) => a.at - b.at || (a.where.conversationSid < b.where.conversationSid ? -1 : a.where.conversationSid > b.where.conversationSid ? 1 : a.rank - b.rank);
const byExample = (a: Example, b: Example) => (a.date < b.date ? -1 : a.date > b.date ? 1 : key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const key = (e: Example) => `${e.conversationSid}${e.participantSid ?? ''}${e.messageSid ?? ''}`;

function factOf(p: SavedParticipant): ParticipantFact {
  return toFact(p.identity, p.address || p.projectedAddress ? { type: p.bindingType, address: p.address, proxy_address: p.proxyAddress, projected_address: p.projectedAddress } : null);
}

/**
 * The remote half of a decision, answered from history: the participants present at the time of the
 * action stand for the list the webhook reads; the same rules judge them. Rate rules are replayed
 * afterwards across conversations; the identity count is not replayed (reported as such).
 */
function replayJudge(present: ParticipantFact[], settings: Settings): RemoteJudge {
  return {
    confirmAuthor: async (event) => event,
    async judge(event: PreEvent, policy) {
      if (event.type === 'onMessageAdd') {
        const fanout = policy === 'ignore' ? undefined : checkFanout(event, present, settings);
        return fanout && policy === 'judge' ? { violation: fanout, notes: [] } : { notes: fanout ? [fanout] : [] };
      }
      if (event.type === 'onParticipantAdd') return { violation: checkMembership(event, present, settings), notes: [] };
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
