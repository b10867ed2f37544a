import type { MessageAdd } from '../../../src/guard/event/types';
import type { Channel } from '../../../src/guard/limits/channels';
import { channelsAtRisk, checkFanout } from '../../../src/guard/rules/fanout';
import { ADDRESSES, AUTHORS, CONVERSATION_SID } from '../../support/events';
import { file, files } from '../../support/media';
import { DEFAULTS, settingsWith, TEXT_UNITS, textOfChars } from '../../support/settings';
import { expectViolation } from '../../support/violations';

type NonChat = Exclude<Channel, 'web'>;

function chatMessage(fields: Partial<MessageAdd> = {}): MessageAdd {
  return { type: 'onMessageAdd', conversationSid: CONVERSATION_SID, author: AUTHORS.web.Author, authorChannel: 'web', body: 'hello', attributes: '', media: [], ...fields };
}

const recipient = (channel: NonChat) => ({ channel, address: ADDRESSES[channel].address });
const chatRecipient = { channel: 'web' as const, address: undefined };

describe.each([
  ['sms', 'MAX_SMS_BODY_CHARS'],
  ['whatsapp', 'MAX_WHATSAPP_BODY_CHARS'],
] as const)('body delivered to %s participants: %s (UTF-16 code units)', (channel, variable) => {
  const limit = DEFAULTS[variable];
  const recipients = [chatRecipient, recipient(channel)];

  test.each(TEXT_UNITS)('%s: exactly the limit is allowed', (_kind, unit) => {
    expect(checkFanout(chatMessage({ body: textOfChars(limit, unit) }), recipients, DEFAULTS)).toBeUndefined();
  });

  test.each(TEXT_UNITS)('%s: one unit over is rejected', (_kind, unit) => {
    expectViolation(checkFanout(chatMessage({ body: textOfChars(limit + 1, unit) }), recipients, DEFAULTS), {
      code: `message.fanout.${channel}.body-chars`,
      limit,
      actual: limit + 1,
      variable,
      channel,
    });
  });

  test('an emoji counts 2: half the limit in emoji plus one letter is over', () => {
    const body = '😀'.repeat(limit / 2) + 'a';
    expect([...body].length).toBeLessThan(limit);
    expect(checkFanout(chatMessage({ body }), recipients, DEFAULTS)).toMatchObject({ code: `message.fanout.${channel}.body-chars`, actual: limit + 1 });
  });

  test('the author does not receive their own message', () => {
    const own = chatMessage({ author: ADDRESSES[channel].address, authorChannel: channel, body: textOfChars(limit + 1) });
    expect(checkFanout(own, [recipient(channel)], DEFAULTS)).toBeUndefined();
  });
});

test.each(['email', 'messenger', 'gbm'] as const)('no body length limit for %s participants', (channel) => {
  expect(checkFanout(chatMessage({ body: textOfChars(DEFAULTS.MAX_SMS_BODY_CHARS + 1) }), [recipient(channel)], DEFAULTS)).toBeUndefined();
});

test('chat participants only: nothing is delivered over SMS or WhatsApp', () => {
  expect(checkFanout(chatMessage({ body: textOfChars(DEFAULTS.MAX_SMS_BODY_CHARS + 1), media: [file('gif', 10)] }), [chatRecipient, chatRecipient], DEFAULTS)).toBeUndefined();
});

describe('media delivered to SMS participants (MMS)', () => {
  const sms = [recipient('sms')];

  test('a file of exactly MMS_MAX_FILE_BYTES is delivered, one byte more is rejected', () => {
    expect(checkFanout(chatMessage({ media: [file('png', DEFAULTS.MMS_MAX_FILE_BYTES)] }), sms, DEFAULTS)).toBeUndefined();
    expectViolation(checkFanout(chatMessage({ media: [file('png', DEFAULTS.MMS_MAX_FILE_BYTES + 1)] }), sms, DEFAULTS), {
      code: 'message.fanout.sms.media.file-size',
      limit: DEFAULTS.MMS_MAX_FILE_BYTES,
      actual: DEFAULTS.MMS_MAX_FILE_BYTES + 1,
      variable: 'MMS_MAX_FILE_BYTES',
      channel: 'sms',
    });
  });

  test('files totalling exactly MMS_MAX_TOTAL_BYTES are delivered, one byte more is rejected', () => {
    const per = DEFAULTS.MMS_MAX_FILE_BYTES;
    const full = Math.ceil(DEFAULTS.MMS_MAX_TOTAL_BYTES / per);
    const sizes = [...Array(full - 1).fill(per), DEFAULTS.MMS_MAX_TOTAL_BYTES - per * (full - 1)] as number[];
    expect(full + 1).toBeLessThanOrEqual(DEFAULTS.MMS_MAX_FILES);
    const atLimit = sizes.map((size) => file('jpg', size));
    expect(checkFanout(chatMessage({ media: atLimit }), sms, DEFAULTS)).toBeUndefined();
    expectViolation(checkFanout(chatMessage({ media: [...atLimit, file('jpg', 1)] }), sms, DEFAULTS), {
      code: 'message.fanout.sms.media.total-size',
      limit: DEFAULTS.MMS_MAX_TOTAL_BYTES,
      actual: DEFAULTS.MMS_MAX_TOTAL_BYTES + 1,
      variable: 'MMS_MAX_TOTAL_BYTES',
    });
  });

  test('MMS_MAX_FILES files are delivered, one more is rejected', () => {
    expect(checkFanout(chatMessage({ media: files(DEFAULTS.MMS_MAX_FILES, 'png', 10) }), sms, DEFAULTS)).toBeUndefined();
    expectViolation(checkFanout(chatMessage({ media: files(DEFAULTS.MMS_MAX_FILES + 1, 'png', 10) }), sms, DEFAULTS), {
      code: 'message.fanout.sms.media.count',
      limit: DEFAULTS.MMS_MAX_FILES,
      actual: DEFAULTS.MMS_MAX_FILES + 1,
      variable: 'MMS_MAX_FILES',
    });
  });

  test('a type outside MMS_EXTENSIONS (a chat .gif) is rejected', () => {
    const extensions = DEFAULTS.MMS_EXTENSIONS;
    expect(extensions).not.toContain('gif');
    expect(checkFanout(chatMessage({ media: [file('gif', 10)] }), sms, DEFAULTS)).toMatchObject({ code: 'message.fanout.sms.media.type', variable: 'MMS_EXTENSIONS', accepted: extensions });
  });
});

describe('media delivered to WhatsApp participants', () => {
  const whatsapp = [recipient('whatsapp')];

  test('a file of exactly WHATSAPP_MAX_FILE_BYTES is delivered, one byte more is rejected', () => {
    expect(checkFanout(chatMessage({ media: [file('mp4', DEFAULTS.WHATSAPP_MAX_FILE_BYTES)] }), whatsapp, DEFAULTS)).toBeUndefined();
    expectViolation(checkFanout(chatMessage({ media: [file('mp4', DEFAULTS.WHATSAPP_MAX_FILE_BYTES + 1)] }), whatsapp, DEFAULTS), {
      code: 'message.fanout.whatsapp.media.file-size',
      limit: DEFAULTS.WHATSAPP_MAX_FILE_BYTES,
      actual: DEFAULTS.WHATSAPP_MAX_FILE_BYTES + 1,
      variable: 'WHATSAPP_MAX_FILE_BYTES',
      channel: 'whatsapp',
    });
  });

  test('WHATSAPP_MAX_FILES files are delivered, one more is rejected', () => {
    expect(checkFanout(chatMessage({ media: files(DEFAULTS.WHATSAPP_MAX_FILES, 'pdf', 10) }), whatsapp, DEFAULTS)).toBeUndefined();
    expectViolation(checkFanout(chatMessage({ media: files(DEFAULTS.WHATSAPP_MAX_FILES + 1, 'pdf', 10) }), whatsapp, DEFAULTS), {
      code: 'message.fanout.whatsapp.media.count',
      limit: DEFAULTS.WHATSAPP_MAX_FILES,
      actual: DEFAULTS.WHATSAPP_MAX_FILES + 1,
      variable: 'WHATSAPP_MAX_FILES',
    });
  });

  test('a type outside WHATSAPP_EXTENSIONS is rejected', () => {
    expect(DEFAULTS.WHATSAPP_EXTENSIONS).not.toContain('txt');
    expect(checkFanout(chatMessage({ media: [file('txt', 10)] }), whatsapp, DEFAULTS)).toMatchObject({ code: 'message.fanout.whatsapp.media.type', variable: 'WHATSAPP_EXTENSIONS' });
  });
});

describe('MAX_SMS_SEGMENTS (off by default)', () => {
  const sms = [recipient('sms')];
  const capped = settingsWith({ MAX_SMS_SEGMENTS: '2' });

  test('off: a long body is limited by MAX_SMS_BODY_CHARS only', () => {
    expect(DEFAULTS.MAX_SMS_SEGMENTS).toBeUndefined();
    expect(checkFanout(chatMessage({ body: textOfChars(DEFAULTS.MAX_SMS_BODY_CHARS) }), sms, DEFAULTS)).toBeUndefined();
  });

  test('GSM-7: 2 × 153 characters are 2 segments, one more makes 3', () => {
    expect(checkFanout(chatMessage({ body: 'a'.repeat(2 * 153) }), sms, capped)).toBeUndefined();
    expectViolation(checkFanout(chatMessage({ body: 'a'.repeat(2 * 153 + 1) }), sms, capped), { code: 'message.fanout.sms.segments', limit: 2, actual: 3, variable: 'MAX_SMS_SEGMENTS', channel: 'sms' });
  });

  test('an emoji makes the body UCS-2: 2 × 67 units are 2 segments, one more makes 3', () => {
    expect(checkFanout(chatMessage({ body: 'a'.repeat(2 * 67 - 2) + '😀' }), sms, capped)).toBeUndefined();
    const violation = checkFanout(chatMessage({ body: 'a'.repeat(2 * 67 - 1) + '😀' }), sms, capped);
    expectViolation(violation, { code: 'message.fanout.sms.segments', limit: 2, actual: 3 });
    expect(violation!.message).toContain('UCS-2');
  });

  test('not applied to WhatsApp participants', () => {
    expect(checkFanout(chatMessage({ body: 'a'.repeat(2 * 153 + 1) }), [recipient('whatsapp')], capped)).toBeUndefined();
  });
});

describe('channelsAtRisk: whether the participants need to be read at all', () => {
  test('a short text message endangers no channel', () => {
    expect(channelsAtRisk(chatMessage({ body: 'hi', media: [file('png', 10)] }), DEFAULTS)).toEqual([]);
  });

  test('a body over the SMS and WhatsApp lengths endangers both', () => {
    expect(channelsAtRisk(chatMessage({ body: textOfChars(Math.max(DEFAULTS.MAX_SMS_BODY_CHARS, DEFAULTS.MAX_WHATSAPP_BODY_CHARS) + 1) }), DEFAULTS).sort()).toEqual(['sms', 'whatsapp']);
  });

  test('a .gif endangers the channels that do not take it', () => {
    const atRisk = channelsAtRisk(chatMessage({ media: [file('gif', 10)] }), DEFAULTS);
    expect(atRisk).toEqual(expect.arrayContaining(['sms', 'whatsapp', 'messenger', 'gbm']));
    expect(atRisk).not.toContain('email');
  });
});
