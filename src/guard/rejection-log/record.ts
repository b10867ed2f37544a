import type { RawEvent } from '../event/parse';
import type { DecisionLog } from '../log';
import type { Violation } from '../rules/violation';
import { maskText } from './mask';

/** The decisions the rejection log keeps: every one that is not a plain allow (or an ignored event). */
export const LOGGED_OUTCOMES = ['reject', 'shadow-reject', 'annotate', 'contended', 'fail-closed', 'fail-open', 'malformed'] as const;
export type LoggedOutcome = (typeof LOGGED_OUTCOMES)[number];

/**
 * One logged decision, as the decision sees it (before masking): never a message body, attribute
 * values or media URLs. `rule` is the answer's code; `reason` the sentence the answer (or the
 * annotation) carries, or why the guard could not decide.
 */
export interface DecisionRecord {
  event: string;
  outcome: LoggedOutcome;
  rule: string;
  reason: string;
  conversationSid?: string;
  /** The message's Author, or the participant's Identity or address. */
  author?: string;
  /** The channel the guard judged the author (or the participant added) by. */
  channel?: string;
}

/** A record as the log keeps it: when, and which instance decided. */
export interface LogRecord extends DecisionRecord {
  /** Epoch milliseconds. */
  at: number;
  instance: string;
}

/** What the log keeps of a field that could be long: enough to recognise it, never a whole payload. */
const MAX_FIELD_CHARS = { rule: 80, reason: 400, author: 120, conversationSid: 34, event: 40, channel: 16 } as const;

const clip = (value: string, max: number) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

const stringField = (event: RawEvent, name: string): string | undefined => {
  const value = event[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

/** Who acted: the message's Author, or the participant's Identity or messaging address. */
function authorOf(event: RawEvent): string | undefined {
  return stringField(event, 'Author') ?? stringField(event, 'Identity') ?? stringField(event, 'MessagingBinding.AuthorAddress') ?? stringField(event, 'MessagingBinding.Address');
}

type Line = Omit<DecisionLog, 'event' | 'ms' | 'mode'>;

/**
 * The records a decision leaves in the rejection log, from the decision's own data (its log line's
 * fields and the notes it annotated with): none for a plain allow, one per note for an annotated
 * inbound message, one otherwise.
 */
export function decisionRecords(event: RawEvent, eventType: string, line: Line, notes: readonly Violation[] = []): DecisionRecord[] {
  const base = {
    event: eventType,
    ...optional('conversationSid', stringField(event, 'ConversationSid')),
    ...optional('author', authorOf(event)),
    ...optional('channel', typeof line.channel === 'string' ? line.channel : undefined),
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  switch (line.outcome) {
    case 'reject':
    case 'shadow-reject':
    case 'contended':
      return [{ ...base, outcome: line.outcome, rule: text(line.rule), reason: text(line.reason) }];
    case 'fail-closed':
    case 'fail-open':
      return [{ ...base, outcome: line.outcome, rule: 'guard.unavailable', reason: text(line.error) }];
    case 'malformed':
      return [{ ...base, outcome: 'malformed', rule: 'request.malformed', reason: text(line.error) }];
    case 'allow':
      return line.inbound === 'annotate' ? notes.map((note) => ({ ...base, outcome: 'annotate' as const, rule: note.code, reason: note.message })) : [];
    default:
      return [];
  }
}

const optional = <K extends string>(key: K, value: string | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, string>));

/** How the log keeps personal data: REJECTION_LOG. */
export type LogPrivacy = 'masked' | 'full';

/**
 * The record as kept: long fields clipped, and under `masked` every phone number and e-mail address
 * in the author and the reason masked (a reason may quote an identity, and an identity may be an
 * e-mail address).
 */
export function keptRecord(record: DecisionRecord, at: number, instance: string, privacy: LogPrivacy): LogRecord {
  // Clipped a little past the bound before masking (masking is linear, but a request may carry
  // megabytes), then to the bound: a number cut at the first clip lies past the second one.
  const keep = (value: string, max: number) => clip(privacy === 'masked' ? maskText(value.slice(0, max + 64)) : value, max);
  return {
    at,
    instance,
    event: clip(record.event, MAX_FIELD_CHARS.event),
    outcome: record.outcome,
    rule: clip(record.rule, MAX_FIELD_CHARS.rule),
    reason: keep(record.reason, MAX_FIELD_CHARS.reason),
    ...optional('conversationSid', record.conversationSid && clip(record.conversationSid, MAX_FIELD_CHARS.conversationSid)),
    ...optional('author', record.author && keep(record.author, MAX_FIELD_CHARS.author)),
    ...optional('channel', record.channel && clip(record.channel, MAX_FIELD_CHARS.channel)),
  };
}
