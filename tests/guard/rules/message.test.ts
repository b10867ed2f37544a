import type { MediaItem, MessageAdd } from '../../../src/guard/event/types';
import { CHANNELS, type Channel } from '../../../src/guard/limits/channels';
import { checkMessageAdd } from '../../../src/guard/rules/message';
import { AUTHORS, CONVERSATION_SID } from '../../support/events';
import { file, files, MIME } from '../../support/media';
import { attachmentRow, DEFAULTS, settingsWith, TEXT_UNITS, textOfBytes, utf8 } from '../../support/settings';
import { expectViolation } from '../../support/violations';

describe('a WhatsApp voice note is the oga of the Flex table', () => {
  test.each([
    ['voice.ogg', 'audio/ogg; codecs=opus'],
    ['voice.ogg', 'audio/ogg'],
    [undefined, 'audio/ogg; codecs=opus'],
    ['voice.ogg', undefined],
    ['voice.oga', undefined],
  ])('%p (%p) from a WhatsApp author is accepted', (filename, contentType) => {
    const note: MediaItem = { sid: 'ME1', size: 12_345, ...(filename && { filename }), ...(contentType && { contentType }) };
    expect(checkMessageAdd(message('whatsapp', { media: [note] }), DEFAULTS)).toBeUndefined();
  });

  test('from an SMS author (no oga in its row) it is not', () => {
    const note: MediaItem = { sid: 'ME1', size: 12_345, filename: 'voice.ogg', contentType: 'audio/ogg; codecs=opus' };
    expect(checkMessageAdd(message('sms', { media: [note] }), DEFAULTS)).toMatchObject({ code: 'message.media.type', channel: 'sms' });
  });
});

function message(channel: Channel, fields: Partial<MessageAdd> = {}): MessageAdd {
  return { type: 'onMessageAdd', conversationSid: CONVERSATION_SID, author: AUTHORS[channel].Author, authorChannel: channel, authorEvidence: 'source', inbound: false, body: 'hello', attributes: '{}', media: [], ...fields };
}

/** A JSON object string of exactly `bytes` UTF-8 bytes: {"note":"…"}. */
function attributesOfBytes(bytes: number, unit: string): string {
  const frame = '{"note":""}';
  const json = `{"note":"${textOfBytes(bytes - utf8(frame), unit)}"}`;
  expect(utf8(json)).toBe(bytes);
  return json;
}

/** Every channel with every kind of text: the rows of the size tables below. */
const CHANNEL_TEXT = CHANNELS.flatMap((channel) => TEXT_UNITS.map(([kind, unit]) => [channel, kind, unit] as const));

describe('message body: MAX_CHAT_BODY_BYTES (UTF-8 bytes)', () => {
  const limit = DEFAULTS.MAX_CHAT_BODY_BYTES;

  test.each(CHANNEL_TEXT)('%s author, %s: a body of exactly the limit is allowed', (channel, _kind, unit) => {
    expect(checkMessageAdd(message(channel, { body: textOfBytes(limit, unit) }), DEFAULTS)).toBeUndefined();
  });

  test.each(CHANNEL_TEXT)('%s author, %s: one byte over the limit is rejected', (channel, _kind, unit) => {
    const violation = checkMessageAdd(message(channel, { body: textOfBytes(limit + 1, unit) }), DEFAULTS);
    expectViolation(violation, { code: 'message.body.bytes', limit, actual: limit + 1, variable: 'MAX_CHAT_BODY_BYTES' });
  });

  test('counts bytes, not characters: an emoji that crosses the limit rejects a body shorter than the limit in characters', () => {
    const body = 'a'.repeat(limit - 3) + '😀'; // limit - 1 UTF-16 units, limit + 1 bytes
    expect(body.length).toBeLessThan(limit);
    expectViolation(checkMessageAdd(message('web', { body }), DEFAULTS), { code: 'message.body.bytes', limit, actual: limit + 1 });
  });

  test('follows an override of MAX_CHAT_BODY_BYTES', () => {
    const settings = settingsWith({ MAX_CHAT_BODY_BYTES: '10' });
    expect(checkMessageAdd(message('sms', { body: textOfBytes(10, 'é') }), settings)).toBeUndefined();
    expectViolation(checkMessageAdd(message('sms', { body: textOfBytes(11, 'é') }), settings), { code: 'message.body.bytes', limit: 10, actual: 11 });
  });
});

describe('message Attributes: MAX_MESSAGE_ATTRIBUTES_BYTES (UTF-8 bytes)', () => {
  const limit = DEFAULTS.MAX_MESSAGE_ATTRIBUTES_BYTES;

  test.each(CHANNEL_TEXT)('%s author, %s: Attributes of exactly the limit are allowed', (channel, _kind, unit) => {
    expect(checkMessageAdd(message(channel, { attributes: attributesOfBytes(limit, unit) }), DEFAULTS)).toBeUndefined();
  });

  test.each(CHANNEL_TEXT)('%s author, %s: one byte over is rejected', (channel, _kind, unit) => {
    const violation = checkMessageAdd(message(channel, { attributes: attributesOfBytes(limit + 1, unit) }), DEFAULTS);
    expectViolation(violation, { code: 'message.attributes.bytes', limit, actual: limit + 1, variable: 'MAX_MESSAGE_ATTRIBUTES_BYTES' });
  });
});

describe('attachments: the author channel row of the Flex attachment table', () => {
  // The email row allows bigger files than a whole email may be (MAX_EMAIL_BYTES); that rule has its
  // own tests below, and is lifted here so the row's own numbers can be reached.
  const rowOnly = settingsWith({ MAX_EMAIL_BYTES: String(Number.MAX_SAFE_INTEGER) });

  describe.each(CHANNELS)('%s author', (channel) => {
    const row = attachmentRow(DEFAULTS, channel);
    const ext = row.extensions[0]!;

    test(`as many files as ${row.names.files} allows are accepted, one more is rejected`, () => {
      expect(checkMessageAdd(message(channel, { media: files(row.maxFiles, ext, 1024) }), rowOnly)).toBeUndefined();
      const violation = checkMessageAdd(message(channel, { media: files(row.maxFiles + 1, ext, 1024) }), rowOnly);
      expectViolation(violation, { code: 'message.media.count', limit: row.maxFiles, actual: row.maxFiles + 1, variable: row.names.files, channel });
    });

    test(`a file of exactly ${row.names.fileBytes} is accepted, one byte more is rejected`, () => {
      expect(checkMessageAdd(message(channel, { media: [file(ext, row.maxFileBytes)] }), rowOnly)).toBeUndefined();
      const violation = checkMessageAdd(message(channel, { media: [file(ext, row.maxFileBytes + 1)] }), rowOnly);
      expectViolation(violation, { code: 'message.media.file-size', limit: row.maxFileBytes, actual: row.maxFileBytes + 1, variable: row.names.fileBytes, channel });
    });

    test(`files totalling exactly ${row.names.totalBytes} are accepted, one byte more is rejected`, () => {
      // Enough files to reach the total without breaking the per-file size; the file count is raised
      // where the default count would be hit first.
      const full = Math.ceil(row.maxTotalBytes / row.maxFileBytes);
      const sizes = [...Array(full - 1).fill(row.maxFileBytes), row.maxTotalBytes - row.maxFileBytes * (full - 1)] as number[];
      const settings = settingsWith({ MAX_EMAIL_BYTES: String(Number.MAX_SAFE_INTEGER), [row.names.files]: String(Math.max(row.maxFiles, full + 1)) });
      const atLimit = sizes.map((size) => file(ext, size));
      expect(checkMessageAdd(message(channel, { media: atLimit }), settings)).toBeUndefined();
      const violation = checkMessageAdd(message(channel, { media: [...atLimit, file(ext, 1)] }), settings);
      expectViolation(violation, { code: 'message.media.total-size', limit: row.maxTotalBytes, actual: row.maxTotalBytes + 1, variable: row.names.totalBytes, channel });
    });

    const everyType = Object.keys(MIME).map((extension) => [extension, row.extensions.includes(extension)] as const);
    test.each(everyType)(`.%s (with its content type): accepted = %s, per ${row.names.extensions}`, (extension, accepted) => {
      const violation = checkMessageAdd(message(channel, { media: [file(extension, 1024)] }), DEFAULTS);
      if (accepted) expect(violation).toBeUndefined();
      else
        expect(violation).toMatchObject({
          code: 'message.media.type',
          variable: row.names.extensions,
          channel,
          accepted: row.extensions,
          message: expect.stringContaining(`file-`),
        });
    });

    test('a file whose content type is not accepted is rejected even with an accepted extension', () => {
      const item: MediaItem = { ...file(ext, 1024), contentType: 'application/x-msdownload' };
      expect(checkMessageAdd(message(channel, { media: [item] }), DEFAULTS)).toMatchObject({ code: 'message.media.type', channel, message: expect.stringContaining('application/x-msdownload') });
    });

    test('the content type decides when there is one: an accepted type under any filename is allowed', () => {
      const item: MediaItem = { ...file(ext, 1024), filename: 'IMG_0001.dat' };
      expect(checkMessageAdd(message(channel, { media: [item] }), DEFAULTS)).toBeUndefined();
    });

    test('an accepted extension does not excuse a content type the channel does not take', () => {
      const item: MediaItem = { ...file(ext, 1024), contentType: 'application/x-msdownload' };
      expect(checkMessageAdd(message(channel, { media: [item] }), DEFAULTS)).toMatchObject({ code: 'message.media.type', channel, message: expect.stringContaining('application/x-msdownload') });
    });

    test('without a content type the extension decides', () => {
      const accepted: MediaItem = { sid: 'ME1', filename: `a.${ext}`, size: 10 };
      const refused: MediaItem = { sid: 'ME2', filename: 'setup.exe', size: 10 };
      expect(checkMessageAdd(message(channel, { media: [accepted] }), DEFAULTS)).toBeUndefined();
      expect(checkMessageAdd(message(channel, { media: [refused] }), DEFAULTS)).toMatchObject({ code: 'message.media.type', channel, message: expect.stringContaining('setup.exe') });
    });

    test('a file with neither a filename nor a content type is rejected: its type cannot be checked', () => {
      expect(checkMessageAdd(message(channel, { media: [{ sid: 'ME1', size: 10 }] }), DEFAULTS)).toMatchObject({ code: 'message.media.type', channel });
    });

    test(`${row.names.extensions}=* accepts any type`, () => {
      const settings = settingsWith({ [row.names.extensions]: '*' });
      expect(checkMessageAdd(message(channel, { media: [{ filename: 'setup.exe', contentType: 'application/x-msdownload', size: 10 }] }), settings)).toBeUndefined();
    });
  });

  test('an extension list override replaces the default list', () => {
    const settings = settingsWith({ ATTACHMENTS_SMS_EXTENSIONS: 'gif' });
    expect(checkMessageAdd(message('sms', { media: [file('gif', 10)] }), settings)).toBeUndefined();
    expect(checkMessageAdd(message('sms', { media: [file('png', 10)] }), settings)).toMatchObject({ code: 'message.media.type', accepted: ['gif'] });
  });

  test('a content type with parameters and other casing is still recognised', () => {
    const item: MediaItem = { filename: 'notes.TXT', contentType: 'Text/Plain; charset=utf-8', size: 10 };
    expect(checkMessageAdd(message('web', { media: [item] }), DEFAULTS)).toBeUndefined();
  });
});

describe('chat media ceiling: MAX_CHAT_MEDIA_BYTES', () => {
  const ceiling = DEFAULTS.MAX_CHAT_MEDIA_BYTES;
  // The web row's per-file size is below the ceiling by default; raised, the ceiling still holds.
  const raised = settingsWith({ ATTACHMENTS_WEB_MAX_FILE_BYTES: String(ceiling * 2), ATTACHMENTS_WEB_MAX_TOTAL_BYTES: String(ceiling * 2) });

  test('a chat file of exactly the ceiling is accepted, one byte more is rejected', () => {
    expect(checkMessageAdd(message('web', { media: [file('pdf', ceiling)] }), raised)).toBeUndefined();
    const violation = checkMessageAdd(message('web', { media: [file('pdf', ceiling + 1)] }), raised);
    expectViolation(violation, { code: 'message.media.chat-file-size', limit: ceiling, actual: ceiling + 1, variable: 'MAX_CHAT_MEDIA_BYTES', channel: 'web' });
  });

  test('does not apply to files from other channels', () => {
    const smsRaised = settingsWith({ ATTACHMENTS_SMS_MAX_FILE_BYTES: String(ceiling * 2), ATTACHMENTS_SMS_MAX_TOTAL_BYTES: String(ceiling * 2) });
    expect(checkMessageAdd(message('sms', { media: [file('pdf', ceiling + 1)] }), smsRaised)).toBeUndefined();
  });
});

describe('email size: MAX_EMAIL_BYTES (body and attachments)', () => {
  const limit = DEFAULTS.MAX_EMAIL_BYTES;

  test.each(TEXT_UNITS)('body (%s) plus attachment of exactly the limit is accepted, one byte more is rejected', (_kind, unit) => {
    const body = textOfBytes(1000, unit);
    expect(checkMessageAdd(message('email', { body, media: [file('pdf', limit - 1000)] }), DEFAULTS)).toBeUndefined();
    const violation = checkMessageAdd(message('email', { body, media: [file('pdf', limit - 999)] }), DEFAULTS);
    expectViolation(violation, { code: 'message.email.bytes', limit, actual: limit + 1, variable: 'MAX_EMAIL_BYTES', channel: 'email' });
  });

  const small = settingsWith({ MAX_EMAIL_BYTES: '100' });
  const others = CHANNELS.filter((c) => c !== 'email');
  test.each(others)('does not apply to a %s author', (channel) => {
    expect(checkMessageAdd(message(channel, { body: textOfBytes(101) }), small)).toBeUndefined();
  });

  test('an email body alone counts too', () => {
    expect(checkMessageAdd(message('email', { body: textOfBytes(100, 'é') }), small)).toBeUndefined();
    expectViolation(checkMessageAdd(message('email', { body: textOfBytes(101, 'é') }), small), { code: 'message.email.bytes', limit: 100, actual: 101, channel: 'email' });
  });
});

describe('Flex switches', () => {
  test('FLEX_ONE_ATTACHMENT_PER_MESSAGE=true allows one file on every channel, even where the row allows more', () => {
    const email = attachmentRow(DEFAULTS, 'email');
    expect(email.maxFiles).toBeGreaterThan(1);
    const two = files(2, 'pdf', 10);
    expect(checkMessageAdd(message('email', { media: two }), DEFAULTS)).toBeUndefined();
    const settings = settingsWith({ FLEX_ONE_ATTACHMENT_PER_MESSAGE: 'true' });
    expect(checkMessageAdd(message('email', { media: files(1, 'pdf', 10) }), settings)).toBeUndefined();
    expectViolation(checkMessageAdd(message('email', { media: two }), settings), { code: 'message.media.flex-one-per-message', limit: 1, actual: 2, variable: 'FLEX_ONE_ATTACHMENT_PER_MESSAGE' });
  });

  describe('FLEX_NO_TEXT_WITH_IMAGE=true', () => {
    const settings = settingsWith({ FLEX_NO_TEXT_WITH_IMAGE: 'true' });
    const images = attachmentRow(DEFAULTS, 'web').extensions.filter((e) => MIME[e]!.startsWith('image/'));

    test.each(images)('text with a .%s image is rejected', (extension) => {
      expect(checkMessageAdd(message('web', { body: 'see attached', media: [file(extension, 10)] }), settings)).toMatchObject({
        code: 'message.text-with-image',
        variable: 'FLEX_NO_TEXT_WITH_IMAGE',
        message: expect.stringContaining('text and an image'),
      });
    });

    test('an image without text, text with a PDF, and whitespace with an image are allowed', () => {
      expect(checkMessageAdd(message('web', { body: '', media: [file('png', 10)] }), settings)).toBeUndefined();
      expect(checkMessageAdd(message('web', { body: 'the invoice', media: [file('pdf', 10)] }), settings)).toBeUndefined();
      expect(checkMessageAdd(message('web', { body: ' \n', media: [file('png', 10)] }), settings)).toBeUndefined();
    });

    test('off by default', () => {
      expect(checkMessageAdd(message('web', { body: 'see attached', media: [file('png', 10)] }), DEFAULTS)).toBeUndefined();
    });
  });
});

test('with several limits broken, the body is reported first', () => {
  const violation = checkMessageAdd(
    message('sms', { body: textOfBytes(DEFAULTS.MAX_CHAT_BODY_BYTES + 1), media: files(attachmentRow(DEFAULTS, 'sms').maxFiles + 1, 'png', 10) }),
    DEFAULTS,
  );
  expect(violation?.code).toBe('message.body.bytes');
});

describe('a filename without an extension', () => {
  test('is judged by its content type: image/jpeg from SMS is accepted, an executable refused', () => {
    const bare = (contentType: string): MediaItem => ({ sid: 'ME1', filename: 'IMG_0001', contentType, size: 1000 });
    expect(checkMessageAdd(message('sms', { media: [bare('image/jpeg')] }), DEFAULTS)).toBeUndefined();
    expectViolation(checkMessageAdd(message('sms', { media: [bare('application/x-msdownload')] }), DEFAULTS), { code: 'message.media.type', limit: 0, actual: 1 });
  });

  test('with neither an extension nor a content type, the type is unknown and refused where types are listed', () => {
    expectViolation(checkMessageAdd(message('sms', { media: [{ sid: 'ME1', filename: 'IMG_0001', size: 1000 }] }), DEFAULTS), { code: 'message.media.type', limit: 0, actual: 1 });
  });
});

test('a file without a Size is judged on count and type only', () => {
  expect(checkMessageAdd(message('sms', { media: [{ sid: 'ME1', filename: 'a.jpg', contentType: 'image/jpeg' }] }), DEFAULTS)).toBeUndefined();
  expectViolation(checkMessageAdd(message('sms', { media: [{ sid: 'ME1', filename: 'a.jpg', contentType: 'image/jpeg' }, { sid: 'ME2', filename: 'b.jpg', contentType: 'image/jpeg' }] }), DEFAULTS), { code: 'message.media.count', limit: 1, actual: 2 });
});
