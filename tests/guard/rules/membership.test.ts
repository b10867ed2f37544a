import type { ParticipantAdd } from '../../../src/guard/event/types';
import type { ParticipantFact } from '../../../src/guard/facts/participants';
import type { Channel } from '../../../src/guard/limits/channels';
import { checkMembership } from '../../../src/guard/rules/membership';
import { CONVERSATION_SID } from '../../support/events';
import { DEFAULTS, settingsWith } from '../../support/settings';
import { expectViolation } from '../../support/violations';

const PROXY = '+15559870000';
const chat = (i: number): ParticipantFact => ({ identity: `user-${i}`, channel: 'web' });
const sms = (i: number): ParticipantFact => ({ address: `+1555700${String(i).padStart(4, '0')}`, proxyAddress: PROXY, channel: 'sms' });
const many = (n: number, make: (i: number) => ParticipantFact) => Array.from({ length: n }, (_, i) => make(i));

function joining(fields: Partial<ParticipantAdd>): ParticipantAdd {
  return { type: 'onParticipantAdd', conversationSid: CONVERSATION_SID, channel: 'web', attributes: '', ...fields };
}
const joiningChat = joining({ identity: 'newcomer' });
const joiningSms = joining({ address: '+15551110000', proxyAddress: PROXY, channel: 'sms' });

describe('MAX_PARTICIPANTS', () => {
  const limit = DEFAULTS.MAX_PARTICIPANTS;

  test('joining as the last allowed participant is allowed', () => {
    expect(checkMembership(joiningChat, many(limit - 1, chat), DEFAULTS)).toBeUndefined();
  });

  test('one more is rejected', () => {
    expectViolation(checkMembership(joiningChat, many(limit, chat), DEFAULTS), { code: 'participant.count', limit, actual: limit + 1, variable: 'MAX_PARTICIPANTS' });
  });
});

describe('MAX_NON_CHAT_PARTICIPANTS', () => {
  const limit = DEFAULTS.MAX_NON_CHAT_PARTICIPANTS;

  test.each(['sms', 'whatsapp', 'email', 'messenger', 'gbm'] as Channel[])('a %s participant may take the last non-chat seat, not one more', (channel) => {
    const newcomer = joining({ address: `${channel}:newcomer`, proxyAddress: `${channel}:proxy`, channel });
    expect(checkMembership(newcomer, [...many(limit - 1, sms), ...many(5, chat)], DEFAULTS)).toBeUndefined();
    expectViolation(checkMembership(newcomer, [...many(limit, sms), ...many(5, chat)], DEFAULTS), {
      code: 'participant.non-chat.count',
      limit,
      actual: limit + 1,
      variable: 'MAX_NON_CHAT_PARTICIPANTS',
      channel,
    });
  });

  test('a chat participant is not counted against it', () => {
    expect(checkMembership(joiningChat, many(limit, sms), DEFAULTS)).toBeUndefined();
  });
});

describe('MAX_GROUP_MMS_PARTICIPANTS', () => {
  const limit = DEFAULTS.MAX_GROUP_MMS_PARTICIPANTS;
  const projected = (i: number): ParticipantFact => ({ identity: `agent-${i}`, projectedAddress: PROXY, channel: 'web' });
  const native = (i: number): ParticipantFact => ({ address: `+1555800${String(i).padStart(4, '0')}`, channel: 'sms' });

  test('a chat participant with a projected address joins a group of limit - 1, not of limit', () => {
    const newcomer = joining({ identity: 'agent', projectedAddress: PROXY });
    expect(checkMembership(newcomer, many(limit - 1, native), DEFAULTS)).toBeUndefined();
    expectViolation(checkMembership(newcomer, many(limit, native), DEFAULTS), { code: 'participant.group-mms.count', limit, actual: limit + 1, variable: 'MAX_GROUP_MMS_PARTICIPANTS' });
  });

  test('any participant joining a conversation that is a Group MMS is counted', () => {
    expect(checkMembership(joiningChat, [projected(0), ...many(limit - 2, native)], DEFAULTS)).toBeUndefined();
    expect(checkMembership(joiningChat, [projected(0), ...many(limit - 1, native)], DEFAULTS)).toMatchObject({ code: 'participant.group-mms.count' });
  });

  test('SMS participants with a proxy address are not a Group MMS', () => {
    expect(checkMembership(joiningSms, many(limit + 5, sms), DEFAULTS)).toBeUndefined();
  });
});

describe('MAX_CONVERSATIONS_PER_IDENTITY', () => {
  const limit = DEFAULTS.MAX_CONVERSATIONS_PER_IDENTITY;

  test('an identity in limit - 1 conversations may join one more', () => {
    expect(checkMembership(joiningChat, [], DEFAULTS, { count: limit - 1, includes: false })).toBeUndefined();
  });

  test('an identity already in limit conversations may not join another', () => {
    expectViolation(checkMembership(joiningChat, [], DEFAULTS, { count: limit, includes: false }), {
      code: 'participant.identity.conversations',
      limit,
      actual: limit + 1,
      variable: 'MAX_CONVERSATIONS_PER_IDENTITY',
    });
  });

  test('re-joining a conversation it is already counted in adds nothing', () => {
    expect(checkMembership(joiningChat, [], DEFAULTS, { count: limit, includes: true })).toBeUndefined();
  });

  test('follows an override', () => {
    const settings = settingsWith({ MAX_CONVERSATIONS_PER_IDENTITY: '3' });
    expectViolation(checkMembership(joiningChat, [], settings, { count: 3, includes: false }), { code: 'participant.identity.conversations', limit: 3, actual: 4 });
  });
});
