/**
 * Rate limit configuration: the `<count>/<period>` form of the three named variables and the general
 * form of RATE_LIMITS, read the way a deployment reads them (parseSettings), plus which events each
 * rule counts and under which key.
 */
import { parseSettings } from '../../../src/guard/config/load';
import { VARIABLES, type VariableName } from '../../../src/guard/config/variables';
import { configError } from '../../support/settings';
import { parseEvent } from '../../../src/guard/event/parse';
import { keyOf, parseRateRules, rateRulesOf, type RateRule } from '../../../src/guard/rate/rules';
import { ttlOf } from '../../../src/guard/rate/slot-limiter';
import { describeWindow, MAX_PERIOD_MS, parseWindow, slidingWindow } from '../../../src/guard/rate/window';
import { CHAT_SERVICE_SID, CONVERSATION_SID, conversationAdd, messageAdd, participantAdd, smsParticipantAdd } from '../../support/events';

const NAMED = ['RATE_LIMIT_ACTIONS_PER_CONVERSATION', 'RATE_LIMIT_CONVERSATIONS_PER_SERVICE', 'RATE_LIMIT_MESSAGES_PER_AUTHOR'] as const;

describe('<count>/<period>', () => {
  test.each([
    ['30/1s', 30, 1_000],
    ['5/10 seconds', 5, 10_000],
    ['200/1h', 200, 3_600_000],
    ['10/1.5s', 10, 1_500],
    ['1/1 minute', 1, 60_000],
    [' 30 / 1s ', 30, 1_000],
    ['25/1 s', 25, 1_000],
  ])('%p is %p per %p ms', (text, limit, windowMs) => {
    expect(parseWindow(text)).toEqual({ limit, windowMs });
  });

  test.each(['off', 'OFF', ' Off '])('%p turns the limit off', (text) => {
    expect(parseWindow(text)).toBeUndefined();
  });

  test.each(['30', 'x/1s', '0/1s', '30/soon', '30/-1s', '30/', '/1s', '1.5/1s', '-1/1s', '30/0', '30/0.5ms', '', '30/1', '10/500', '10/999ms', '10/0.5s'])('%p is refused', (text) => {
    expect(() => parseWindow(text)).toThrow(RangeError);
  });

  test('slidingWindow takes the same periods as the variables', () => {
    expect(slidingWindow(10, '10 s')).toEqual({ limit: 10, windowMs: 10_000 });
    expect(() => slidingWindow(10, '250')).toThrow('period "250" has no unit: write it as 250s, 250m or 250h');
    expect(() => slidingWindow(10, '500ms')).toThrow('period "500ms" is under one second; the shortest is 1s');
    expect(() => slidingWindow(0, '1s')).toThrow(/at least 1/);
    expect(() => slidingWindow(2.5, '1s')).toThrow(/whole number/);
    expect(() => slidingWindow(1, 'whenever')).toThrow(/duration/);
  });

  test('a period longer than Sync keeps a slot (one year less 5 minutes) is refused, saying the longest; the longest is kept whole', () => {
    for (const text of ['1/400d', '1/1y', '12/1y', '1/365d', '1/525596m']) expect(() => parseWindow(text)).toThrow(/longer than Sync keeps a rate slot; the longest is 525595 minutes/);
    const longest = parseWindow('1/525595m')!;
    expect(longest.windowMs).toBe(MAX_PERIOD_MS);
    expect(ttlOf(longest) * 1000).toBe(longest.windowMs + 300_000);
    expect(ttlOf(longest)).toBeLessThanOrEqual(31_536_000);
  });

  test.each([
    ['RATE_LIMIT_ACTIONS_PER_CONVERSATION', '1/1y'],
    ['RATE_LIMITS', 'yearly=12/400d per author'],
  ])('%s=%p is a configuration error naming the variable, the value and the form', (variable, value) => {
    expect(() => parseSettings({ [variable]: value })).toThrow(`${variable}="${value}" is not valid; expected`);
    expect(() => parseSettings({ [variable]: value })).toThrow('longer than Sync keeps a rate slot; the longest is 525595 minutes');
  });

  test('a window reads back in words, as rejection messages print it', () => {
    expect(describeWindow(parseWindow('30/1s')!)).toBe('30 per 1 second');
    expect(describeWindow(parseWindow('200/1h')!)).toBe('200 per 1 hour');
    expect(describeWindow(parseWindow('10/1.5s')!)).toBe('10 per 1.5 seconds');
    expect(describeWindow(parseWindow('10/61s')!)).toBe('10 per 61 seconds');
    expect(describeWindow(parseWindow('10/90s')!)).toBe('10 per 1.5 minutes');
    expect(describeWindow(parseWindow('5/2 days')!)).toBe('5 per 2 days');
  });
});

describe('the three named variables', () => {
  test('defaults: every rate rule off (Twilio enforces its own 30/s itself), so a plain message costs nothing remote', () => {
    const settings = parseSettings({});
    expect(settings.RATE_LIMIT_ACTIONS_PER_CONVERSATION).toBeUndefined();
    expect(settings.RATE_LIMIT_CONVERSATIONS_PER_SERVICE).toBeUndefined();
    expect(settings.RATE_LIMIT_MESSAGES_PER_AUTHOR).toBeUndefined();
    expect(settings.RATE_LIMITS).toEqual([]);
    expect(rateRulesOf(settings)).toEqual([]);
  });

  test('once set, the two rules that mirror Twilio\'s own limit count per conversation and per service', () => {
    const settings = parseSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '20/1s', RATE_LIMIT_CONVERSATIONS_PER_SERVICE: '20/1s' });
    expect(rateRulesOf(settings).map((r) => [r.name, r.per, r.on, r.variable])).toEqual([
      ['actions-per-conversation', 'conversation', ['message', 'participant'], 'RATE_LIMIT_ACTIONS_PER_CONVERSATION'],
      ['conversations-per-service', 'service', ['conversation'], 'RATE_LIMIT_CONVERSATIONS_PER_SERVICE'],
    ]);
  });

  test.each(NAMED.flatMap((name) => [
    [name, '30/1s', { limit: 30, windowMs: 1_000 }],
    [name, '5/10 seconds', { limit: 5, windowMs: 10_000 }],
    [name, '200/1h', { limit: 200, windowMs: 3_600_000 }],
    [name, '10/1.5s', { limit: 10, windowMs: 1_500 }],
    [name, 'off', undefined],
  ] as const))('%s=%p', (name, raw, expected) => {
    const settings = parseSettings({ [name]: raw });
    expect(settings[name]).toEqual(expected);
    const rule = rateRulesOf(settings).find((r) => r.variable === name);
    if (expected) expect(rule?.window).toEqual(expected);
    else expect(rule).toBeUndefined();
  });

  test('RATE_LIMIT_MESSAGES_PER_AUTHOR, once set, counts messages by author', () => {
    const rule = rateRulesOf(parseSettings({ RATE_LIMIT_MESSAGES_PER_AUTHOR: '20/1 minute' })).find((r) => r.name === 'messages-per-author');
    expect(rule).toMatchObject({ per: 'author', on: ['message'], window: { limit: 20, windowMs: 60_000 }, variable: 'RATE_LIMIT_MESSAGES_PER_AUTHOR' });
  });

  test.each(NAMED.flatMap((name) => ['30', 'x/1s', '0/1s', '30/soon', '30/-1s'].map((value) => [name, value] as const)))(
    'a configuration error names %s, the value %p and the expected form',
    (name, value) => {
      const error = configError({ [name]: value });
      expect(error.problems).toEqual([{ variable: name, value, expected: expect.stringContaining(VARIABLES[name].parser.form) }]);
      expect(error.message).toContain(`${name}=${JSON.stringify(value)} is not valid`);
      expect(error.message).toContain('expected <count>/<period> such as 30/1s, 5/10 seconds or 200/1h (the period from 1s to 525595m, one year less 5 minutes), or off');
    },
  );
});

describe('RATE_LIMITS, the general form', () => {
  const rules = (raw: string) => parseSettings({ RATE_LIMITS: raw }).RATE_LIMITS;

  test('a rule with a key, events and a channel', () => {
    expect(rules('email-actions=30/1s per conversation on message,participant from email')).toEqual([
      { name: 'email-actions', window: { limit: 30, windowMs: 1_000 }, per: 'conversation', on: ['message', 'participant'], from: 'email', variable: 'RATE_LIMITS' },
    ]);
  });

  test('several rules separated by ";", with spaces, an empty entry and a trailing ";"', () => {
    const parsed = rules(' email-actions=30/1s per conversation from email ;; inbound-email = 25/1s per service on message from email; joins=5/10 seconds per participant ;');
    expect(parsed.map((r) => [r.name, r.window, r.per, r.on, r.from])).toEqual([
      ['email-actions', { limit: 30, windowMs: 1_000 }, 'conversation', ['message', 'participant'], 'email'],
      ['inbound-email', { limit: 25, windowMs: 1_000 }, 'service', ['message'], 'email'],
      ['joins', { limit: 5, windowMs: 10_000 }, 'participant', ['participant'], undefined],
    ]);
  });

  test.each([
    ['conversation', ['message', 'participant']],
    ['service', ['conversation']],
    ['author', ['message']],
    ['participant', ['participant']],
  ])('without "on", a rule per %s counts %p', (per, on) => {
    expect(rules(`r=1/1s per ${per}`)[0]).toMatchObject({ per, on });
  });

  test('the general rules come after the named ones, and the rejection code is rate.<name>', () => {
    const all = rateRulesOf(parseSettings({ RATE_LIMIT_ACTIONS_PER_CONVERSATION: '20/1s', RATE_LIMITS: 'Email-Actions=2/1s per conversation from email' }));
    expect(all.map((r) => r.name)).toEqual(['actions-per-conversation', 'email-actions']);
  });

  test.each([
    ['unknown key', 'r=30/1s per room', /per must be one of conversation, service, author, participant/],
    ['a conversation add has no conversation yet', 'r=30/1s per conversation on conversation', /a conversation action carries no conversation to count by, so this rule could never count it; use on message,participant/],
    ['a message has no participant being added', 'r=30/1s per participant on message', /a message action carries no participant/],
    ['a join has no author', 'r=30/1s per author on message,participant', /a participant action carries no author/],
    ['a period without a unit', 'r=30/1 per conversation', /no unit/],
    ['unknown event', 'r=30/1s per conversation on messages', /"messages" is not one of message, participant, conversation/],
    ['inherited property as event', 'r=30/1s per conversation on constructor', /"constructor" is not one of/],
    ['unknown channel', 'r=30/1s per conversation from fax', /from must be one of web, sms, whatsapp, email, messenger, gbm/],
    ['missing name', '=30/1s per conversation', /is not <name>=<count>\/<period> per <key>/],
    ['no name at all', '30/1s per conversation', /is not <name>=<count>\/<period> per <key>/],
    ['missing key', 'r=30/1s', /is not <name>=<count>\/<period> per <key>/],
    ['bad rate', 'r=30 per conversation', /is not <count>\/<period>/],
    ['zero rate', 'r=0/1s per conversation', /at least 1/],
    ['off', 'r=off per conversation', /cannot be off/],
    ['the same name twice', 'r=30/1s per conversation; r=5/1s per conversation from email', /"r" is used by more than one rule/],
    ['a name of a named variable', 'actions-per-conversation=5/1s per conversation from email', /RATE_LIMIT_ACTIONS_PER_CONVERSATION/],
  ])('%s: parseRateRules says what is wrong', (_kind, raw, reason) => {
    expect(() => parseRateRules(raw)).toThrow(reason);
  });

  test.each([
    ['unknown key', 'r=30/1s per room'],
    ['unknown event', 'r=30/1s per conversation on messages'],
    ['unknown channel', 'r=30/1s per conversation from fax'],
    ['missing name', '=30/1s per conversation'],
    ['one bad rule among good ones', 'good=30/1s per conversation; bad=30/1s per room'],
  ])('%s: a configuration error names RATE_LIMITS, the value and the expected form', (_kind, raw) => {
    const error = configError({ RATE_LIMITS: raw });
    expect(error.problems).toEqual([{ variable: 'RATE_LIMITS', value: raw, expected: expect.stringContaining(VARIABLES.RATE_LIMITS.parser.form) }]);
    expect(error.message).toContain(`RATE_LIMITS=${JSON.stringify(raw)} is not valid`);
    expect(error.message).toContain('<name>=<count>/<period> per <conversation|service|author|participant> [on <message,participant,conversation>] [from <channel>]');
  });

  test('the error quotes the rule that is wrong and says why', () => {
    const error = configError({ RATE_LIMITS: 'good=30/1s per conversation; bad=30/1s per room' });
    expect(error.problems[0]!.expected).toContain('"bad=30/1s per room": per must be one of conversation, service, author, participant');
    expect(error.problems[0]!.expected).not.toContain('"good=');
  });

  test('every rate variable is in the rate group of the settings table', () => {
    for (const name of [...NAMED, 'RATE_LIMITS'] as VariableName[]) expect(VARIABLES[name].group).toBe('rate');
  });
});

describe('which actions a rule counts, and under which key', () => {
  const rule = (raw: string): RateRule => parseRateRules(raw)[0]!;
  const SMS_AUTHOR = '+15551230001';

  test('per conversation: messages and joins of a conversation, not the creation of one', () => {
    const r = rule('r=1/1s per conversation');
    expect(keyOf(r, parseEvent(messageAdd()))).toBe(CONVERSATION_SID);
    expect(keyOf(r, parseEvent(participantAdd()))).toBe(CONVERSATION_SID);
    expect(keyOf(r, parseEvent(conversationAdd()))).toBeUndefined();
  });

  test('per service: the ChatServiceSid, or "default" when Twilio sends none', () => {
    const r = rule('r=1/1s per service');
    expect(keyOf(r, parseEvent(conversationAdd()))).toBe(CHAT_SERVICE_SID);
    const { ChatServiceSid: _omitted, ...withoutService } = conversationAdd();
    expect(keyOf(r, parseEvent(withoutService))).toBe('default');
    expect(keyOf(r, parseEvent(messageAdd()))).toBeUndefined();
  });

  test('per author: the message author, and the author of the first message of an inbound conversation', () => {
    const r = rule('r=1/1s per author on message,conversation');
    expect(keyOf(r, parseEvent(messageAdd({ Author: 'carol' })))).toBe('carol');
    expect(keyOf(r, parseEvent(conversationAdd({ 'MessagingBinding.AuthorAddress': SMS_AUTHOR, MessageBody: 'hi' })))).toBe(SMS_AUTHOR);
    expect(keyOf(r, parseEvent(conversationAdd()))).toBeUndefined();
  });

  test('per participant: the joining identity, or the address of an SMS participant', () => {
    const r = rule('r=1/1s per participant');
    expect(keyOf(r, parseEvent(participantAdd({ Identity: 'dave' })))).toBe('dave');
    expect(keyOf(r, parseEvent(smsParticipantAdd('sms')))).toBe(SMS_AUTHOR);
  });

  test('an empty author or participant is not a key: such actions are not lumped into one counter', () => {
    expect(keyOf(rule('r=1/1s per author'), parseEvent(messageAdd({ Author: '' })))).toBeUndefined();
    expect(keyOf(rule('r=1/1s per participant'), parseEvent(participantAdd({ Identity: '' })))).toBeUndefined();
  });

  test('"from <channel>" keeps only actions from that channel', () => {
    const r = rule('r=1/1s per conversation from email');
    expect(keyOf(r, parseEvent(messageAdd({}, 'email')))).toBe(CONVERSATION_SID);
    expect(keyOf(r, parseEvent(messageAdd({}, 'web')))).toBeUndefined();
    expect(keyOf(r, parseEvent(messageAdd({}, 'sms')))).toBeUndefined();
    expect(keyOf(r, parseEvent(smsParticipantAdd('email')))).toBe(CONVERSATION_SID);
    expect(keyOf(r, parseEvent(participantAdd()))).toBeUndefined();
  });

  test('"on" limits the events: a rule on message ignores joins', () => {
    const r = rule('r=1/1s per conversation on message');
    expect(keyOf(r, parseEvent(messageAdd()))).toBe(CONVERSATION_SID);
    expect(keyOf(r, parseEvent(participantAdd()))).toBeUndefined();
  });
});
