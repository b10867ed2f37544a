import type { ParticipantAdd } from '../../../src/guard/event/types';
import type { Channel } from '../../../src/guard/limits/channels';
import { checkParticipantAdd } from '../../../src/guard/rules/participant';
import { CONVERSATION_SID } from '../../support/events';
import { DEFAULTS, settingsWith, TEXT_UNITS, textOfBytes, textOfChars, utf8 } from '../../support/settings';
import { expectViolation } from '../../support/violations';

type NonChat = Exclude<Channel, 'web'>;

function chatParticipant(fields: Partial<ParticipantAdd> = {}): ParticipantAdd {
  return { type: 'onParticipantAdd', conversationSid: CONVERSATION_SID, identity: 'bob', channel: 'web', attributes: '{}', ...fields };
}

function messagingParticipant(channel: NonChat, fields: Partial<ParticipantAdd> = {}): ParticipantAdd {
  return { type: 'onParticipantAdd', conversationSid: CONVERSATION_SID, address: addressOfLength(channel, 20), proxyAddress: addressOfLength(channel, 20), channel, attributes: '{}', ...fields };
}

/** An address of the channel's shape with exactly `length` UTF-16 units, padded with `unit`. */
function addressOfLength(channel: NonChat, length: number, unit = '7'): string {
  const shape: Record<NonChat, (pad: (n: number) => string) => string> = {
    sms: (pad) => '+1' + pad(length - 2),
    whatsapp: (pad) => 'whatsapp:+1' + pad(length - 11),
    email: (pad) => pad(length - '@example.com'.length) + '@example.com',
    messenger: (pad) => 'messenger:' + pad(length - 10),
    gbm: (pad) => 'gbm:' + pad(length - 4),
  };
  const address = shape[channel]((n) => textOfChars(n, unit));
  expect(address.length).toBe(length);
  return address;
}

/** A JSON object string of exactly `bytes` UTF-8 bytes. */
function attributesOfBytes(bytes: number, unit: string): string {
  const json = `{"crm":"${textOfBytes(bytes - utf8('{"crm":""}'), unit)}"}`;
  expect(utf8(json)).toBe(bytes);
  return json;
}

describe('chat participant Identity: MAX_IDENTITY_CHARS (UTF-16 code units)', () => {
  const limit = DEFAULTS.MAX_IDENTITY_CHARS;

  test.each(TEXT_UNITS)('%s: an Identity of exactly the limit is allowed', (_kind, unit) => {
    expect(checkParticipantAdd(chatParticipant({ identity: textOfChars(limit, unit) }), DEFAULTS)).toBeUndefined();
  });

  test.each(TEXT_UNITS)('%s: one code unit over is rejected', (_kind, unit) => {
    const violation = checkParticipantAdd(chatParticipant({ identity: textOfChars(limit + 1, unit) }), DEFAULTS);
    expectViolation(violation, { code: 'participant.identity.length', limit, actual: limit + 1, variable: 'MAX_IDENTITY_CHARS' });
  });

  test('counts characters, not bytes: é takes 2 bytes but counts 1', () => {
    const identity = 'é'.repeat(limit);
    expect(utf8(identity)).toBeGreaterThan(limit);
    expect(checkParticipantAdd(chatParticipant({ identity }), DEFAULTS)).toBeUndefined();
  });

  test('an emoji counts 2: half the limit in emoji plus one letter is rejected', () => {
    const identity = '😀'.repeat(limit / 2) + 'a';
    expect([...identity].length).toBeLessThan(limit);
    expectViolation(checkParticipantAdd(chatParticipant({ identity }), DEFAULTS), { code: 'participant.identity.length', limit, actual: limit + 1 });
  });
});

const NON_CHAT: NonChat[] = ['sms', 'whatsapp', 'email', 'messenger', 'gbm'];

describe('MessagingBinding.Address and ProxyAddress: MAX_ADDRESS_CHARS', () => {
  const limit = DEFAULTS.MAX_ADDRESS_CHARS;

  test.each(NON_CHAT)('%s: an Address and a ProxyAddress of exactly the limit are allowed', (channel) => {
    const at = addressOfLength(channel, limit);
    expect(checkParticipantAdd(messagingParticipant(channel, { address: at, proxyAddress: at }), DEFAULTS)).toBeUndefined();
  });

  test.each(NON_CHAT)('%s: an Address one character over is rejected', (channel) => {
    const violation = checkParticipantAdd(messagingParticipant(channel, { address: addressOfLength(channel, limit + 1) }), DEFAULTS);
    expectViolation(violation, { code: 'participant.address.length', limit, actual: limit + 1, variable: 'MAX_ADDRESS_CHARS' });
    expect(violation!.message).toContain('MessagingBinding.Address');
  });

  test.each(NON_CHAT)('%s: a ProxyAddress one character over is rejected', (channel) => {
    const violation = checkParticipantAdd(messagingParticipant(channel, { proxyAddress: addressOfLength(channel, limit + 1) }), DEFAULTS);
    expectViolation(violation, { code: 'participant.proxy-address.length', limit, actual: limit + 1, variable: 'MAX_ADDRESS_CHARS' });
    expect(violation!.message).toContain('MessagingBinding.ProxyAddress');
  });

  test.each(TEXT_UNITS)('email address with %s in its local part: counted in UTF-16 units', (_kind, unit) => {
    expect(checkParticipantAdd(messagingParticipant('email', { address: addressOfLength('email', limit, unit) }), DEFAULTS)).toBeUndefined();
    expectViolation(checkParticipantAdd(messagingParticipant('email', { address: addressOfLength('email', limit + 1, unit) }), DEFAULTS), {
      code: 'participant.address.length',
      limit,
      actual: limit + 1,
    });
  });

  test('follows an override', () => {
    const settings = settingsWith({ MAX_ADDRESS_CHARS: '20' });
    expect(checkParticipantAdd(messagingParticipant('sms', { address: addressOfLength('sms', 20) }), settings)).toBeUndefined();
    expectViolation(checkParticipantAdd(messagingParticipant('sms', { address: addressOfLength('sms', 21) }), settings), { code: 'participant.address.length', limit: 20, actual: 21 });
  });
});

describe('participant Attributes: MAX_PARTICIPANT_ATTRIBUTES_BYTES (UTF-8 bytes)', () => {
  const limit = DEFAULTS.MAX_PARTICIPANT_ATTRIBUTES_BYTES;
  const participants = [['web', chatParticipant], ...NON_CHAT.map((c) => [c, (f: Partial<ParticipantAdd>) => messagingParticipant(c, f)] as const)] as const;
  const rows = participants.flatMap(([channel, make]) => TEXT_UNITS.map(([kind, unit]) => [channel, kind, unit, make] as const));

  test.each(rows)('%s participant, %s: Attributes of exactly the limit are allowed', (_channel, _kind, unit, make) => {
    expect(checkParticipantAdd(make({ attributes: attributesOfBytes(limit, unit) }), DEFAULTS)).toBeUndefined();
  });

  test.each(rows)('%s participant, %s: one byte over is rejected', (_channel, _kind, unit, make) => {
    const violation = checkParticipantAdd(make({ attributes: attributesOfBytes(limit + 1, unit) }), DEFAULTS);
    expectViolation(violation, { code: 'participant.attributes.bytes', limit, actual: limit + 1, variable: 'MAX_PARTICIPANT_ATTRIBUTES_BYTES' });
  });
});
