import type { PreEvent } from '../event/types';
import { CHANNELS, type Channel } from '../limits/channels';
import { parseWindow, type Window } from './window';

/**
 * The variables rate rules come from, and the settings they are read from. Spelled out here rather
 * than taken from config/variables, which imports this module (through its parsers): the compiler
 * still checks them against VARIABLES wherever Settings is passed in or a rule's variable is reported.
 */
export type RateVariable = 'RATE_LIMIT_ACTIONS_PER_CONVERSATION' | 'RATE_LIMIT_CONVERSATIONS_PER_SERVICE' | 'RATE_LIMIT_MESSAGES_PER_AUTHOR' | 'RATE_LIMITS';
export type RateSettings = { readonly [K in Exclude<RateVariable, 'RATE_LIMITS'>]: Window | undefined } & { readonly RATE_LIMITS: readonly RateRule[] };

/** What a rate rule counts by. */
export const RATE_KEYS = ['conversation', 'service', 'author', 'participant'] as const;
export type RateKey = (typeof RATE_KEYS)[number];

/** The actions a rate rule counts: onMessageAdd, onParticipantAdd, onConversationAdd. */
export const RATE_EVENTS = { message: 'onMessageAdd', participant: 'onParticipantAdd', conversation: 'onConversationAdd' } as const;
export type RateEvent = keyof typeof RATE_EVENTS;

export interface RateRule {
  /** Stable name; the rejection code is `rate.<name>`. */
  name: string;
  window: Window;
  per: RateKey;
  on: readonly RateEvent[];
  /** Only actions whose author (or joining participant) is on this channel. */
  from?: Channel;
  /** The variable that defines the rule. */
  variable: RateVariable;
}

/** Events a rule counts when it does not say: what its key can be read from. */
const DEFAULT_EVENTS: Record<RateKey, RateEvent[]> = {
  conversation: ['message', 'participant'],
  service: ['conversation'],
  author: ['message'],
  participant: ['participant'],
};

/** The actions that carry each key (see {@link keyOf}): a rule counting others could never match. */
const KEYED_EVENTS: Record<RateKey, RateEvent[]> = {
  conversation: ['message', 'participant'],
  service: ['message', 'participant', 'conversation'],
  author: ['message', 'conversation'],
  participant: ['participant'],
};

/**
 * Parses the general form: rules separated by `;`, each
 * `<name>=<count>/<period> per <conversation|service|author|participant> [on <message,participant,conversation>] [from <channel>]`,
 * e.g. `email-actions=30/1s per conversation from email; inbound-email=25/1s per service on message from email`.
 */
export function parseRateRules(text: string): RateRule[] {
  const rules = text
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseRateRule);
  // The name keys the rule's counters (and its rejection code): two rules of one name would count
  // into the same Sync documents with different limits.
  const seen = new Set<string>();
  for (const rule of rules) {
    const builtIn = Object.entries(NAMED_RULES).find(([, name]) => name === rule.name);
    if (builtIn) throw new RangeError(`"${rule.name}" is the rule of ${builtIn[0]}; give this rule another name`);
    if (seen.has(rule.name)) throw new RangeError(`"${rule.name}" is used by more than one rule`);
    seen.add(rule.name);
  }
  return rules;
}

/** The rules the three named variables define, by variable. */
const NAMED_RULES = {
  RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'actions-per-conversation',
  RATE_LIMIT_CONVERSATIONS_PER_SERVICE: 'conversations-per-service',
  RATE_LIMIT_MESSAGES_PER_AUTHOR: 'messages-per-author',
} as const;

const RULE = /^([a-z0-9][a-z0-9-]*)\s*=\s*(.+?)\s+per\s+(\w+)(?:\s+on\s+([a-z,\s]+?))?(?:\s+from\s+(\w+))?$/i;

function parseRateRule(entry: string): RateRule {
  const match = RULE.exec(entry);
  if (!match) throw new RangeError(`"${entry}" is not <name>=<count>/<period> per <key> [on <events>] [from <channel>]`);
  const [, name, rate, per, on, from] = match;
  const window = parseWindow(rate!);
  if (!window) throw new RangeError(`"${entry}": a rule in RATE_LIMITS cannot be off; remove it instead`);
  if (!(RATE_KEYS as readonly string[]).includes(per!)) throw new RangeError(`"${entry}": per must be one of ${RATE_KEYS.join(', ')}`);
  const events = on ? on.split(',').map((e) => e.trim()).filter(Boolean) : DEFAULT_EVENTS[per as RateKey];
  const unknown = events.find((e) => !Object.prototype.hasOwnProperty.call(RATE_EVENTS, e));
  if (unknown) throw new RangeError(`"${entry}": "${unknown}" is not one of ${Object.keys(RATE_EVENTS).join(', ')}`);
  if (from !== undefined && !(CHANNELS as readonly string[]).includes(from)) throw new RangeError(`"${entry}": from must be one of ${CHANNELS.join(', ')}`);
  const keyless = (events as RateEvent[]).find((e) => !KEYED_EVENTS[per as RateKey].includes(e));
  if (keyless) throw new RangeError(`"${entry}": a ${keyless} action carries no ${per} to count by, so this rule could never count it; use on ${KEYED_EVENTS[per as RateKey].join(',')}`);
  return { name: name!.toLowerCase(), window, per: per as RateKey, on: events as RateEvent[], ...(from && { from: from as Channel }), variable: 'RATE_LIMITS' };
}

/** The rules in force: the three named variables, then the general form. */
export function rateRulesOf(settings: RateSettings): RateRule[] {
  const named: Array<[RateVariable, Window | undefined, string, RateKey]> = [
    ['RATE_LIMIT_ACTIONS_PER_CONVERSATION', settings.RATE_LIMIT_ACTIONS_PER_CONVERSATION, NAMED_RULES.RATE_LIMIT_ACTIONS_PER_CONVERSATION, 'conversation'],
    ['RATE_LIMIT_CONVERSATIONS_PER_SERVICE', settings.RATE_LIMIT_CONVERSATIONS_PER_SERVICE, NAMED_RULES.RATE_LIMIT_CONVERSATIONS_PER_SERVICE, 'service'],
    ['RATE_LIMIT_MESSAGES_PER_AUTHOR', settings.RATE_LIMIT_MESSAGES_PER_AUTHOR, NAMED_RULES.RATE_LIMIT_MESSAGES_PER_AUTHOR, 'author'],
  ];
  const builtIn = named.flatMap(([variable, window, name, per]) => (window ? [{ name, window, per, on: DEFAULT_EVENTS[per], variable }] : []));
  return [...builtIn, ...settings.RATE_LIMITS];
}

/** The key an event is counted under for a rule, or undefined when the rule does not apply to it. */
export function keyOf(rule: RateRule, event: PreEvent): string | undefined {
  if (!rule.on.some((e) => RATE_EVENTS[e] === event.type)) return undefined;
  if (rule.from && channelOf(event) !== rule.from) return undefined;
  switch (rule.per) {
    case 'conversation':
      return event.type === 'onConversationAdd' ? undefined : event.conversationSid;
    case 'service':
      return event.chatServiceSid ?? 'default';
    // An empty author or participant is no key: counting them all under '' would throttle strangers together.
    case 'author':
      return (event.type === 'onMessageAdd' ? event.author : event.type === 'onConversationAdd' ? event.firstMessage?.author : undefined) || undefined;
    case 'participant':
      return (event.type === 'onParticipantAdd' ? event.identity || event.address : undefined) || undefined;
  }
}

function channelOf(event: PreEvent): Channel {
  switch (event.type) {
    case 'onMessageAdd':
      return event.authorChannel;
    case 'onParticipantAdd':
      return event.channel;
    case 'onConversationAdd':
      return event.firstMessage?.authorChannel ?? 'web';
  }
}
