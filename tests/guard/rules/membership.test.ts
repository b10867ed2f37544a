import type { ParticipantAdd } from '../../../src/guard/event/types';
import { toFact, type ParticipantFact } from '../../../src/guard/facts/participants';
import { CHANNELS, type Channel } from '../../../src/guard/limits/channels';
import { checkMembership } from '../../../src/guard/rules/membership';
import { ADDRESSES, CONVERSATION_SID } from '../../support/events';
import { DEFAULTS, settingsWith } from '../../support/settings';
import { expectViolation } from '../../support/violations';

type NonChat = Exclude<Channel, 'web'>;
const NON_CHAT = CHANNELS.filter((c): c is NonChat => c !== 'web');

let n = 0;
const number = () => `+1555${String(++n).padStart(7, '0')}`;

/** Participants as the REST listing reports them (through the same mapping the guard uses). */
const chat = (count: number): ParticipantFact[] => Array.from({ length: count }, () => toFact(`user-${++n}`, null));
const messaging = (channel: NonChat, count: number): ParticipantFact[] =>
  Array.from({ length: count }, () => toFact(undefined, { type: channel, address: `${channel === 'sms' ? '' : channel + ':'}${number()}`, proxy_address: ADDRESSES[channel].proxy }));
/** Native Group MMS members: an SMS address, no proxy address. */
const groupMms = (count: number): ParticipantFact[] => Array.from({ length: count }, () => toFact(undefined, { type: 'sms', address: number() }));
/** Chat participants speaking through a projected address (Group MMS). */
const projected = (count: number): ParticipantFact[] => Array.from({ length: count }, () => toFact(`mms-user-${++n}`, { type: 'sms', projected_address: '+15559870001' }));

function joining(channel: Channel, fields: Partial<ParticipantAdd> = {}): ParticipantAdd {
  const base: ParticipantAdd = { type: 'onParticipantAdd', conversationSid: CONVERSATION_SID, channel, attributes: '{}' };
  if (channel === 'web') return { ...base, identity: 'bob', ...fields };
  return { ...base, address: `${channel === 'sms' ? '' : channel + ':'}${number()}`, proxyAddress: ADDRESSES[channel].proxy, ...fields };
}

describe('the documented defaults', () => {
  test('1000 participants, 50 non-chat, 10 in a Group MMS, 1000 conversations per identity', () => {
    expect(DEFAULTS).toMatchObject({ MAX_PARTICIPANTS: 1000, MAX_NON_CHAT_PARTICIPANTS: 50, MAX_GROUP_MMS_PARTICIPANTS: 10, MAX_CONVERSATIONS_PER_IDENTITY: 1000 });
  });
});

describe('the REST listing maps to participant facts', () => {
  test('chat, SMS, WhatsApp, Group MMS and projected participants', () => {
    expect(toFact('alice', null)).toEqual({ identity: 'alice', channel: 'web' });
    expect(toFact(undefined, { type: 'sms', address: '+1', proxy_address: '+2' })).toMatchObject({ channel: 'sms', address: '+1', proxyAddress: '+2' });
    expect(toFact(undefined, { type: 'whatsapp', address: 'whatsapp:+1', proxy_address: 'whatsapp:+2' })).toMatchObject({ channel: 'whatsapp' });
    expect(toFact(undefined, { type: 'sms', address: '+1', proxy_address: null as unknown as string })).toMatchObject({ channel: 'sms', proxyAddress: undefined });
    expect(toFact('carol', { type: 'sms', projected_address: '+3' })).toMatchObject({ identity: 'carol', channel: 'web', projectedAddress: '+3' });
  });
});

describe('participants per conversation: MAX_PARTICIPANTS', () => {
  const limit = DEFAULTS.MAX_PARTICIPANTS;

  test.each(CHANNELS)('%s: 999 existing + 1 = 1000 is allowed', (channel) => {
    const existing = [...chat(limit - 1 - 10), ...messaging('sms', 10)];
    expect(existing).toHaveLength(limit - 1);
    expect(checkMembership(joining(channel), existing, DEFAULTS)).toBeUndefined();
  });

  test.each(CHANNELS)('%s: 1000 existing + 1 is rejected', (channel) => {
    const existing = [...chat(limit - 10), ...messaging('sms', 10)];
    expectViolation(checkMembership(joining(channel), existing, DEFAULTS), { code: 'participant.count', limit, actual: limit + 1, variable: 'MAX_PARTICIPANTS' });
  });

  test('follows an override', () => {
    const settings = settingsWith({ MAX_PARTICIPANTS: '5' });
    expect(checkMembership(joining('web'), chat(4), settings)).toBeUndefined();
    expectViolation(checkMembership(joining('web'), chat(5), settings), { code: 'participant.count', limit: 5, actual: 6 });
  });
});

describe('non-chat participants: MAX_NON_CHAT_PARTICIPANTS', () => {
  const limit = DEFAULTS.MAX_NON_CHAT_PARTICIPANTS;

  test.each(NON_CHAT)('%s: 49 non-chat + 1 is allowed', (channel) => {
    expect(checkMembership(joining(channel), [...messaging('sms', limit - 1 - 9), ...messaging('whatsapp', 9)], DEFAULTS)).toBeUndefined();
  });

  test.each(NON_CHAT)('%s: 50 non-chat + 1 is rejected', (channel) => {
    const existing = [...messaging('sms', limit - 10), ...messaging('whatsapp', 5), ...messaging('email', 5)];
    expectViolation(checkMembership(joining(channel), existing, DEFAULTS), {
      code: 'participant.non-chat.count',
      limit,
      actual: limit + 1,
      variable: 'MAX_NON_CHAT_PARTICIPANTS',
      channel,
    });
  });

  test('chat participants do not count: 500 chat + 49 SMS + 1 SMS is allowed', () => {
    expect(checkMembership(joining('sms'), [...chat(500), ...messaging('sms', limit - 1)], DEFAULTS)).toBeUndefined();
  });

  test('a chat participant may join a conversation that already has 50 non-chat participants', () => {
    expect(checkMembership(joining('web'), messaging('whatsapp', limit), DEFAULTS)).toBeUndefined();
  });

  test('a chat participant with a projected address does not count as non-chat', () => {
    const settings = settingsWith({ MAX_GROUP_MMS_PARTICIPANTS: '1000' });
    expect(checkMembership(joining('sms', { proxyAddress: undefined }), [...projected(1), ...groupMms(limit - 1)], settings)).toBeUndefined();
  });
});

describe('Group MMS: MAX_GROUP_MMS_PARTICIPANTS', () => {
  const limit = DEFAULTS.MAX_GROUP_MMS_PARTICIPANTS;
  const expected = { code: 'participant.group-mms.count', limit, actual: limit + 1, variable: 'MAX_GROUP_MMS_PARTICIPANTS', channel: 'sms' };

  test('a projected chat participant and 8 Group MMS members + 1 = 10 is allowed', () => {
    expect(checkMembership(joining('sms', { proxyAddress: undefined }), [...projected(1), ...groupMms(limit - 2)], DEFAULTS)).toBeUndefined();
  });

  test('a projected chat participant and 9 Group MMS members + 1 is rejected', () => {
    expectViolation(checkMembership(joining('sms', { proxyAddress: undefined }), [...projected(1), ...groupMms(limit - 1)], DEFAULTS), expected);
  });

  test('a conversation with only projected chat participants is a Group MMS: 9 + 1 allowed, 10 + 1 rejected', () => {
    expect(checkMembership(joining('web', { projectedAddress: '+15559870001' }), projected(limit - 1), DEFAULTS)).toBeUndefined();
    expectViolation(checkMembership(joining('web', { projectedAddress: '+15559870001' }), projected(limit), DEFAULTS), expected);
  });

  test('an SMS member without proxy address makes a Group MMS: 9 + 1 allowed, 10 + 1 rejected', () => {
    expect(checkMembership(joining('web'), [...groupMms(1), ...chat(limit - 2)], DEFAULTS)).toBeUndefined();
    expectViolation(checkMembership(joining('web'), [...groupMms(1), ...chat(limit - 1)], DEFAULTS), expected);
  });

  test('the one joining can make it a Group MMS: a projected chat participant or a proxy-less SMS member joining 10 chat participants is rejected', () => {
    expectViolation(checkMembership(joining('web', { projectedAddress: '+15559870001' }), chat(limit), DEFAULTS), expected);
    expectViolation(checkMembership(joining('sms', { proxyAddress: undefined }), chat(limit), DEFAULTS), expected);
  });

  test('an ordinary SMS conversation (proxy addresses) is not a Group MMS: 10 + 1 is allowed', () => {
    expect(checkMembership(joining('sms'), [...messaging('sms', 5), ...chat(5)], DEFAULTS)).toBeUndefined();
    expect(checkMembership(joining('web'), [...messaging('sms', 5), ...chat(20)], DEFAULTS)).toBeUndefined();
  });

  test('follows an override', () => {
    const settings = settingsWith({ MAX_GROUP_MMS_PARTICIPANTS: '3' });
    expect(checkMembership(joining('web'), groupMms(2), settings)).toBeUndefined();
    expectViolation(checkMembership(joining('web'), groupMms(3), settings), { code: 'participant.group-mms.count', limit: 3, actual: 4 });
  });
});

describe('conversations per chat identity: MAX_CONVERSATIONS_PER_IDENTITY', () => {
  const limit = DEFAULTS.MAX_CONVERSATIONS_PER_IDENTITY;
  const existing = chat(3);

  test('999 conversations, this one not among them: allowed', () => {
    expect(checkMembership(joining('web'), existing, DEFAULTS, { count: limit - 1, includes: false })).toBeUndefined();
  });

  test('1000 conversations, this one not among them: rejected', () => {
    const violation = checkMembership(joining('web'), existing, DEFAULTS, { count: limit, includes: false });
    expectViolation(violation, { code: 'participant.identity.conversations', limit, actual: limit + 1, variable: 'MAX_CONVERSATIONS_PER_IDENTITY' });
    expect(violation!.message).toContain('"bob"');
  });

  test('1000 conversations including this one: allowed (already a member)', () => {
    expect(checkMembership(joining('web'), existing, DEFAULTS, { count: limit, includes: true })).toBeUndefined();
  });

  test('no identity facts (an SMS participant): no identity cap', () => {
    expect(checkMembership(joining('sms'), existing, DEFAULTS, undefined)).toBeUndefined();
  });

  test('follows an override', () => {
    const settings = settingsWith({ MAX_CONVERSATIONS_PER_IDENTITY: '3' });
    expect(checkMembership(joining('web'), existing, settings, { count: 2, includes: false })).toBeUndefined();
    expectViolation(checkMembership(joining('web'), existing, settings, { count: 3, includes: false }), { code: 'participant.identity.conversations', limit: 3, actual: 4 });
  });

  test('the conversation caps come first', () => {
    const full = settingsWith({ MAX_PARTICIPANTS: '3' });
    expect(checkMembership(joining('web'), existing, full, { count: limit, includes: false })?.code).toBe('participant.count');
  });
});
