import type { ConversationAdd } from '../../../src/guard/event/types';
import { CHANNELS, type Channel } from '../../../src/guard/limits/channels';
import { checkContent, checkFields } from '../../../src/guard/rules';
import type { Settings } from '../../../src/guard/config/variables';
import { AUTHORS } from '../../support/events';
import { file, files } from '../../support/media';
import { attachmentRow, DEFAULTS, settingsWith, TEXT_UNITS, textOfBytes, textOfChars, utf8 } from '../../support/settings';
import { expectViolation } from '../../support/violations';

/** Every payload rule of a conversation add: its fields, then its first message. */
const checkConversationAdd = (event: ConversationAdd, settings: Settings) => checkFields(event, settings) ?? checkContent(event, settings);

function conversation(fields: Partial<ConversationAdd> = {}): ConversationAdd {
  return { type: 'onConversationAdd', friendlyName: 'Support', uniqueName: 'support-1', attributes: '{}', ...fields };
}

function firstMessage(channel: Channel, fields: Partial<NonNullable<ConversationAdd['firstMessage']>> = {}): ConversationAdd {
  return conversation({ firstMessage: { author: AUTHORS[channel].Author, authorChannel: channel, authorEvidence: 'source', inbound: false, body: 'hello', media: [], ...fields } });
}

describe.each([
  ['FriendlyName', 'friendlyName', 'MAX_FRIENDLY_NAME_CHARS', 'conversation.friendly-name.length'],
  ['UniqueName', 'uniqueName', 'MAX_UNIQUE_NAME_CHARS', 'conversation.unique-name.length'],
] as const)('%s: %s (UTF-16 code units)', (name, field, variable, code) => {
  const limit = DEFAULTS[variable];

  test.each(TEXT_UNITS)('%s: exactly the limit is allowed', (_kind, unit) => {
    expect(checkConversationAdd(conversation({ [field]: textOfChars(limit, unit) }), DEFAULTS)).toBeUndefined();
  });

  test.each(TEXT_UNITS)('%s: one code unit over is rejected', (_kind, unit) => {
    const violation = checkConversationAdd(conversation({ [field]: textOfChars(limit + 1, unit) }), DEFAULTS);
    expectViolation(violation, { code, limit, actual: limit + 1, variable });
    expect(violation!.message).toContain(name);
  });

  test('é counts 1 although it takes 2 bytes', () => {
    expect(checkConversationAdd(conversation({ [field]: 'é'.repeat(limit) }), DEFAULTS)).toBeUndefined();
  });
});

describe('conversation Attributes: MAX_CONVERSATION_ATTRIBUTES_BYTES (UTF-8 bytes)', () => {
  const limit = DEFAULTS.MAX_CONVERSATION_ATTRIBUTES_BYTES;
  const attributesOfBytes = (bytes: number, unit: string) => {
    const json = `{"topic":"${textOfBytes(bytes - utf8('{"topic":""}'), unit)}"}`;
    expect(utf8(json)).toBe(bytes);
    return json;
  };

  test.each(TEXT_UNITS)('%s: exactly the limit is allowed', (_kind, unit) => {
    expect(checkConversationAdd(conversation({ attributes: attributesOfBytes(limit, unit) }), DEFAULTS)).toBeUndefined();
  });

  test.each(TEXT_UNITS)('%s: one byte over is rejected', (_kind, unit) => {
    expectViolation(checkConversationAdd(conversation({ attributes: attributesOfBytes(limit + 1, unit) }), DEFAULTS), {
      code: 'conversation.attributes.bytes',
      limit,
      actual: limit + 1,
      variable: 'MAX_CONVERSATION_ATTRIBUTES_BYTES',
    });
  });

  test('the per-message Attributes limit does not apply to a conversation', () => {
    expect(DEFAULTS.MAX_MESSAGE_ATTRIBUTES_BYTES).toBeLessThan(limit);
    expect(checkConversationAdd(conversation({ attributes: attributesOfBytes(DEFAULTS.MAX_MESSAGE_ATTRIBUTES_BYTES + 1, 'a') }), DEFAULTS)).toBeUndefined();
  });
});

describe('the first message of a conversation an inbound message creates', () => {
  const bodyLimit = DEFAULTS.MAX_CHAT_BODY_BYTES;
  const rows = CHANNELS.flatMap((channel) => TEXT_UNITS.map(([kind, unit]) => [channel, kind, unit] as const));

  test.each(rows)('%s author, %s: a MessageBody of exactly MAX_CHAT_BODY_BYTES is allowed', (channel, _kind, unit) => {
    expect(checkConversationAdd(firstMessage(channel, { body: textOfBytes(bodyLimit, unit) }), DEFAULTS)).toBeUndefined();
  });

  test.each(rows)('%s author, %s: one byte over is rejected', (channel, _kind, unit) => {
    expectViolation(checkConversationAdd(firstMessage(channel, { body: textOfBytes(bodyLimit + 1, unit) }), DEFAULTS), {
      code: 'message.body.bytes',
      limit: bodyLimit,
      actual: bodyLimit + 1,
      variable: 'MAX_CHAT_BODY_BYTES',
    });
  });

  test.each(CHANNELS)('%s author: Media follows the author channel row (file count)', (channel) => {
    const row = attachmentRow(DEFAULTS, channel);
    const ext = row.extensions[0]!;
    expect(checkConversationAdd(firstMessage(channel, { media: files(row.maxFiles, ext, 10) }), DEFAULTS)).toBeUndefined();
    expectViolation(checkConversationAdd(firstMessage(channel, { media: files(row.maxFiles + 1, ext, 10) }), DEFAULTS), {
      code: 'message.media.count',
      limit: row.maxFiles,
      actual: row.maxFiles + 1,
      variable: row.names.files,
      channel,
    });
  });

  test('a file type the author channel does not accept is rejected', () => {
    const sms = attachmentRow(DEFAULTS, 'sms');
    expect(sms.extensions).not.toContain('gif');
    expect(checkConversationAdd(firstMessage('sms', { media: [file('gif', 10)] }), DEFAULTS)).toMatchObject({ code: 'message.media.type', channel: 'sms' });
  });

  test('the conversation fields are checked before the first message', () => {
    const violation = checkConversationAdd(
      conversation({ friendlyName: textOfChars(DEFAULTS.MAX_FRIENDLY_NAME_CHARS + 1), firstMessage: { author: AUTHORS.sms.Author, authorChannel: 'sms', authorEvidence: 'source', inbound: false, body: textOfBytes(bodyLimit + 1), media: [] } }),
      DEFAULTS,
    );
    expect(violation?.code).toBe('conversation.friendly-name.length');
  });

  test('follows overrides', () => {
    const settings = settingsWith({ MAX_CHAT_BODY_BYTES: '5', MAX_FRIENDLY_NAME_CHARS: '3' });
    expect(checkConversationAdd(conversation({ friendlyName: '😀a', firstMessage: { author: '', authorChannel: 'web', authorEvidence: 'source', inbound: false, body: 'ééa', media: [] } }), settings)).toBeUndefined();
    expectViolation(checkConversationAdd(conversation({ friendlyName: '😀😀' }), settings), { code: 'conversation.friendly-name.length', limit: 3, actual: 4 });
    expectViolation(checkConversationAdd(conversation({ friendlyName: 'abc', firstMessage: { author: AUTHORS.sms.Author, authorChannel: 'sms', authorEvidence: 'source', inbound: false, body: 'ééé', media: [] } }), settings), {
      code: 'message.body.bytes',
      limit: 5,
      actual: 6,
    });
  });
});
