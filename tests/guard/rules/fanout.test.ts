import type { Settings } from '../../../src/guard/config/variables';
import type { MediaItem, MessageAdd } from '../../../src/guard/event/types';
import { CHANNELS, type Channel } from '../../../src/guard/limits/channels';
import { channelsAtRisk, checkDelivery, checkFanout } from '../../../src/guard/rules/fanout';
import { smsSegments } from '../../../src/guard/text/sms-segments';
import { ADDRESSES, AUTHORS, CONVERSATION_SID } from '../../support/events';
import { file, files } from '../../support/media';
import { attachmentRow, DEFAULTS, settingsWith, TEXT_UNITS, textOfChars } from '../../support/settings';
import { expectViolation } from '../../support/violations';

type NonChat = Exclude<Channel, 'web'>;
const NON_CHAT = CHANNELS.filter((c): c is NonChat => c !== 'web');
const MiB = 1024 * 1024;

function message(fields: Partial<MessageAdd> = {}, authorChannel: Channel = 'web'): MessageAdd {
  return { type: 'onMessageAdd', conversationSid: CONVERSATION_SID, author: AUTHORS[authorChannel].Author, authorChannel, authorEvidence: 'source', inbound: false, body: 'hello', attributes: '{}', media: [], ...fields };
}

/** A participant of `channel` as the participant listing reports it (chat participants have no address). */
const recipient = (channel: Channel, address?: string) => ({ channel, address: channel === 'web' ? undefined : (address ?? `${ADDRESSES[channel].address}-recipient`) });

/** The violation a message gets in a conversation of one chat author and one `channel` recipient. */
const deliveredTo = (channel: Channel, fields: Partial<MessageAdd>, settings: Settings = DEFAULTS) => checkFanout(message(fields), [recipient('web'), recipient(channel)], settings);

describe('the documented defaults', () => {
  test('SMS and WhatsApp bodies 1600 characters, MMS 10 files / 2 MiB / 5 MiB, WhatsApp 1 file / 16 MiB, segments off', () => {
    expect(DEFAULTS).toMatchObject({
      MAX_SMS_BODY_CHARS: 1600,
      MAX_WHATSAPP_BODY_CHARS: 1600,
      MMS_MAX_FILES: 10,
      MMS_MAX_FILE_BYTES: 2 * MiB,
      MMS_MAX_TOTAL_BYTES: 5 * MiB,
      WHATSAPP_MAX_FILES: 1,
      WHATSAPP_MAX_FILE_BYTES: 16 * MiB,
    });
    expect(DEFAULTS.MAX_SMS_SEGMENTS).toBeUndefined();
    expect(DEFAULTS.MMS_EXTENSIONS).toEqual(expect.arrayContaining(['jpg', 'jpeg', 'png', 'mp3', 'amr', 'mp4', 'pdf']));
    expect(DEFAULTS.MMS_EXTENSIONS).not.toContain('gif');
    expect(DEFAULTS.MMS_EXTENSIONS).not.toContain('heic');
  });
});

describe.each([
  ['sms', 'MAX_SMS_BODY_CHARS'],
  ['whatsapp', 'MAX_WHATSAPP_BODY_CHARS'],
] as const)('body delivered to a %s participant: %s (UTF-16 code units)', (channel, variable) => {
  const limit = DEFAULTS[variable];
  const code = `message.fanout.${channel}.body-chars`;

  test.each(TEXT_UNITS)('%s: a body of exactly the limit is delivered', (_kind, unit) => {
    expect(deliveredTo(channel, { body: textOfChars(limit, unit) })).toBeUndefined();
  });

  test.each(TEXT_UNITS)('%s: one code unit over is rejected', (_kind, unit) => {
    expectViolation(deliveredTo(channel, { body: textOfChars(limit + 1, unit) }), { code, limit, actual: limit + 1, variable, channel });
  });

  test('an emoji counts 2: 799 emoji and 2 letters (1600 units) pass, 800 emoji and 1 letter (1601) do not', () => {
    const atLimit = '😀'.repeat(799) + 'ab';
    const over = '😀'.repeat(800) + 'a';
    expect([atLimit.length, over.length]).toEqual([1600, 1601]);
    expect([...over].length).toBeLessThan(limit); // fewer code points than the limit: only units count
    expect(deliveredTo(channel, { body: atLimit })).toBeUndefined();
    expectViolation(deliveredTo(channel, { body: over }), { code, limit, actual: 1601, variable, channel });
  });

  test('follows an override', () => {
    const settings = settingsWith({ [variable]: '10' });
    expect(deliveredTo(channel, { body: '😀'.repeat(5) }, settings)).toBeUndefined();
    expectViolation(deliveredTo(channel, { body: '😀'.repeat(5) + 'a' }, settings), { code, limit: 10, actual: 11, variable, channel });
  });
});

describe('body length on channels without a character limit', () => {
  test.each(['web', 'email', 'messenger', 'gbm'] as const)('a %s recipient takes a 1601-character body', (channel) => {
    expect(deliveredTo(channel, { body: textOfChars(1601) })).toBeUndefined();
  });
});

describe('MAX_SMS_SEGMENTS', () => {
  const gsm = (n: number) => 'a'.repeat(n);
  const ucs = (n: number) => 'ж'.repeat(n); // Cyrillic: outside GSM-7, one UTF-16 unit

  test('off by default: a 1600-character GSM-7 body of 11 segments reaches SMS participants', () => {
    const body = gsm(1600);
    expect(smsSegments(body).segments).toBe(11);
    expect(deliveredTo('sms', { body })).toBeUndefined();
  });

  test('0 means off too', () => {
    expect(deliveredTo('sms', { body: gsm(1600) }, settingsWith({ MAX_SMS_SEGMENTS: '0' }))).toBeUndefined();
  });

  describe.each([
    // cap, GSM-7 characters that fit, UCS-2 characters that fit
    [1, 160, 70],
    [2, 306, 134],
    [3, 459, 201],
  ])('MAX_SMS_SEGMENTS=%i', (cap, gsmFits, ucsFits) => {
    const settings = settingsWith({ MAX_SMS_SEGMENTS: String(cap) });
    const code = 'message.fanout.sms.segments';

    test(`GSM-7: ${gsmFits} characters pass, ${gsmFits + 1} are rejected`, () => {
      expect(deliveredTo('sms', { body: gsm(gsmFits) }, settings)).toBeUndefined();
      const violation = deliveredTo('sms', { body: gsm(gsmFits + 1) }, settings);
      expectViolation(violation, { code, limit: cap, actual: cap + 1, variable: 'MAX_SMS_SEGMENTS', channel: 'sms' });
      expect(violation!.message).toContain('GSM-7');
    });

    test(`UCS-2: ${ucsFits} characters pass, ${ucsFits + 1} are rejected`, () => {
      expect(deliveredTo('sms', { body: ucs(ucsFits) }, settings)).toBeUndefined();
      const violation = deliveredTo('sms', { body: ucs(ucsFits + 1) }, settings);
      expectViolation(violation, { code, limit: cap, actual: cap + 1, variable: 'MAX_SMS_SEGMENTS', channel: 'sms' });
      expect(violation!.message).toContain('UCS-2');
    });

    test('one character outside GSM-7 switches the whole body to UCS-2', () => {
      expect(deliveredTo('sms', { body: gsm(ucsFits + 1) }, settings)).toBeUndefined();
      expectViolation(deliveredTo('sms', { body: gsm(ucsFits) + 'ж' }, settings), { code, limit: cap, actual: cap + 1 });
    });

    test('WhatsApp participants are not held to SMS segments', () => {
      expect(deliveredTo('whatsapp', { body: ucs(ucsFits + 1) }, settings)).toBeUndefined();
      expect(deliveredTo('whatsapp', { body: gsm(gsmFits + 1) }, settings)).toBeUndefined();
    });
  });

  test('an emoji makes the body UCS-2 and counts 2 units: 2 × 67 units are 2 segments, one more makes 3', () => {
    const settings = settingsWith({ MAX_SMS_SEGMENTS: '2' });
    expect(deliveredTo('sms', { body: gsm(2 * 67 - 2) + '😀' }, settings)).toBeUndefined();
    const violation = deliveredTo('sms', { body: gsm(2 * 67 - 1) + '😀' }, settings);
    expectViolation(violation, { code: 'message.fanout.sms.segments', limit: 2, actual: 3 });
    expect(violation!.message).toContain('UCS-2');
  });

  test('GSM-7 extension characters count 2 septets: 80 € fill one segment, 81 need two', () => {
    const settings = settingsWith({ MAX_SMS_SEGMENTS: '1' });
    expect(deliveredTo('sms', { body: '€'.repeat(80) }, settings)).toBeUndefined();
    expectViolation(deliveredTo('sms', { body: '€'.repeat(81) }, settings), { code: 'message.fanout.sms.segments', limit: 1, actual: 2 });
  });

  test('the character limit is checked first: 1601 characters name body-chars even with a segment cap', () => {
    const violation = deliveredTo('sms', { body: gsm(1601) }, settingsWith({ MAX_SMS_SEGMENTS: '1' }));
    expect(violation?.code).toBe('message.fanout.sms.body-chars');
  });
});

describe('media delivered to SMS participants (MMS)', () => {
  const limits = { files: DEFAULTS.MMS_MAX_FILES, file: DEFAULTS.MMS_MAX_FILE_BYTES, total: DEFAULTS.MMS_MAX_TOTAL_BYTES };

  test(`${limits.files} files pass, ${limits.files + 1} are rejected`, () => {
    expect(deliveredTo('sms', { media: files(limits.files, 'jpg', 1000) })).toBeUndefined();
    expectViolation(deliveredTo('sms', { media: files(limits.files + 1, 'jpg', 1000) }), {
      code: 'message.fanout.sms.media.count',
      limit: limits.files,
      actual: limits.files + 1,
      variable: 'MMS_MAX_FILES',
      channel: 'sms',
    });
  });

  test('a file of exactly 2 MiB passes, one byte more is rejected', () => {
    expect(deliveredTo('sms', { media: [file('png', limits.file)] })).toBeUndefined();
    expectViolation(deliveredTo('sms', { media: [file('png', limits.file + 1)] }), {
      code: 'message.fanout.sms.media.file-size',
      limit: limits.file,
      actual: limits.file + 1,
      variable: 'MMS_MAX_FILE_BYTES',
      channel: 'sms',
    });
  });

  test('files of exactly 5 MiB in all pass, one byte more is rejected although every file is under 2 MiB', () => {
    const atLimit = [file('jpg', limits.file), file('jpg', limits.file), file('pdf', limits.total - 2 * limits.file)];
    const over = [file('jpg', limits.file), file('jpg', limits.file), file('pdf', limits.total - 2 * limits.file + 1)];
    expect(over.every((m) => m.size! <= limits.file)).toBe(true);
    expect(deliveredTo('sms', { media: atLimit })).toBeUndefined();
    expectViolation(deliveredTo('sms', { media: over }), {
      code: 'message.fanout.sms.media.total-size',
      limit: limits.total,
      actual: limits.total + 1,
      variable: 'MMS_MAX_TOTAL_BYTES',
      channel: 'sms',
    });
  });

  test.each(['jpg', 'jpeg', 'png', 'mp3', 'amr', 'mp4', 'pdf'])('a .%s file is delivered', (ext) => {
    expect(deliveredTo('sms', { media: [file(ext, 1000)] })).toBeUndefined();
  });

  test.each(['gif', 'heic', 'txt', 'oga'])('a .%s file is rejected', (ext) => {
    const violation = deliveredTo('sms', { media: [file(ext, 1000)] });
    expect(violation).toMatchObject({ code: 'message.fanout.sms.media.type', variable: 'MMS_EXTENSIONS', channel: 'sms', accepted: DEFAULTS.MMS_EXTENSIONS });
    expect(violation!.message).toContain(`.${ext}`);
  });

  test('a gif a chat participant may receive is still refused when an SMS participant would get it', () => {
    const gif = [file('gif', 1000)];
    expect(checkFanout(message({ media: gif }), [recipient('web'), recipient('web')], DEFAULTS)).toBeUndefined();
    expect(checkFanout(message({ media: gif }), [recipient('web'), recipient('sms')], DEFAULTS)?.code).toBe('message.fanout.sms.media.type');
  });

  test('a file whose name says jpg but whose content type is image/gif is rejected', () => {
    const disguised: MediaItem = { filename: 'photo.jpg', contentType: 'image/gif', size: 1000 };
    expect(deliveredTo('sms', { media: [disguised] })?.code).toBe('message.fanout.sms.media.type');
  });
});

describe('media delivered to WhatsApp participants', () => {
  const fileLimit = DEFAULTS.WHATSAPP_MAX_FILE_BYTES;

  test('one file passes, two are rejected', () => {
    expect(deliveredTo('whatsapp', { media: files(1, 'jpg', 1000) })).toBeUndefined();
    expectViolation(deliveredTo('whatsapp', { media: files(2, 'jpg', 1000) }), {
      code: 'message.fanout.whatsapp.media.count',
      limit: 1,
      actual: 2,
      variable: 'WHATSAPP_MAX_FILES',
      channel: 'whatsapp',
    });
  });

  test('a file of exactly 16 MiB passes, one byte more is rejected', () => {
    expect(deliveredTo('whatsapp', { media: [file('mp4', fileLimit)] })).toBeUndefined();
    expectViolation(deliveredTo('whatsapp', { media: [file('mp4', fileLimit + 1)] }), {
      code: 'message.fanout.whatsapp.media.file-size',
      limit: fileLimit,
      actual: fileLimit + 1,
      variable: 'WHATSAPP_MAX_FILE_BYTES',
      channel: 'whatsapp',
    });
  });

  test('a file over the MMS limits (3 MiB) still reaches WhatsApp', () => {
    expect(deliveredTo('whatsapp', { media: [file('jpg', 3 * MiB)] })).toBeUndefined();
    expect(deliveredTo('sms', { media: [file('jpg', 3 * MiB)] })?.code).toBe('message.fanout.sms.media.file-size');
  });

  test.each(['jpg', 'jpeg', 'png', 'mp3', 'amr', 'mp4', 'pdf'])('a .%s file is delivered', (ext) => {
    expect(deliveredTo('whatsapp', { media: [file(ext, 1000)] })).toBeUndefined();
  });

  test.each(['gif', 'heic', 'txt'])('a .%s file is rejected', (ext) => {
    expect(deliveredTo('whatsapp', { media: [file(ext, 1000)] })).toMatchObject({ code: 'message.fanout.whatsapp.media.type', variable: 'WHATSAPP_EXTENSIONS', channel: 'whatsapp' });
  });

  test('WHATSAPP_MAX_FILES=2 allows two files, three are rejected', () => {
    const settings = settingsWith({ WHATSAPP_MAX_FILES: '2' });
    expect(deliveredTo('whatsapp', { media: files(2, 'jpg', 1000) }, settings)).toBeUndefined();
    expectViolation(deliveredTo('whatsapp', { media: files(3, 'jpg', 1000) }, settings), { code: 'message.fanout.whatsapp.media.count', limit: 2, actual: 3 });
  });
});

describe.each(['email', 'messenger', 'gbm'] as const)('media delivered to a %s participant follows its attachment-table row', (channel) => {
  // The email row's 150 MB sits above the 20 MB of a whole email: raise that to reach the row's own numbers.
  const deliveredTo = (to: Channel, fields: Partial<MessageAdd>) => checkFanout(message(fields), [recipient('web'), recipient(to)], settingsWith({ MAX_EMAIL_BYTES: String(1024 ** 3) }));
  const row = attachmentRow(DEFAULTS, channel);
  const prefix = `message.fanout.${channel}.media`;
  const accepted = row.extensions[0]!;
  const refused = ['gif', 'txt', 'heic', 'oga', 'amr'].find((ext) => !row.extensions.includes(ext))!;

  test(`${row.maxFiles} file(s) pass, ${row.maxFiles + 1} are rejected`, () => {
    expect(deliveredTo(channel, { media: files(row.maxFiles, accepted, 1000) })).toBeUndefined();
    expectViolation(deliveredTo(channel, { media: files(row.maxFiles + 1, accepted, 1000) }), {
      code: `${prefix}.count`,
      limit: row.maxFiles,
      actual: row.maxFiles + 1,
      variable: row.names.files,
      channel,
    });
  });

  test('a file of exactly the per-file limit passes, one byte more is rejected', () => {
    expect(deliveredTo(channel, { media: [file(accepted, row.maxFileBytes)] })).toBeUndefined();
    expectViolation(deliveredTo(channel, { media: [file(accepted, row.maxFileBytes + 1)] }), {
      code: `${prefix}.file-size`,
      limit: row.maxFileBytes,
      actual: row.maxFileBytes + 1,
      variable: row.names.fileBytes,
      channel,
    });
  });

  if (row.maxFiles > 1) {
    test('files of exactly the total limit pass, one byte more is rejected', () => {
      // Two files, each within the per-file limit, that together make the total (then one byte more).
      const first = Math.min(row.maxFileBytes, Math.ceil(row.maxTotalBytes / 2));
      const second = row.maxTotalBytes - first;
      expect(second + 1).toBeLessThanOrEqual(row.maxFileBytes);
      expect(deliveredTo(channel, { media: [file(accepted, first), file(accepted, second)] })).toBeUndefined();
      expectViolation(deliveredTo(channel, { media: [file(accepted, first), file(accepted, second + 1)] }), {
        code: `${prefix}.total-size`,
        limit: row.maxTotalBytes,
        actual: row.maxTotalBytes + 1,
        variable: row.names.totalBytes,
        channel,
      });
    });
  }

  test(`every listed extension (${row.extensions.join(', ')}) is delivered`, () => {
    for (const ext of row.extensions) expect(deliveredTo(channel, { media: [file(ext, 1000)] })).toBeUndefined();
  });

  test('an unlisted extension is rejected', () => {
    expect(refused).toBeDefined();
    expect(deliveredTo(channel, { media: [file(refused, 1000)] })).toMatchObject({ code: `${prefix}.type`, variable: row.names.extensions, channel });
  });

  test('the body has no character limit here', () => {
    expect(deliveredTo(channel, { body: textOfChars(5000) })).toBeUndefined();
  });
});

describe('who receives a message', () => {
  const long = textOfChars(DEFAULTS.MAX_SMS_BODY_CHARS + 1);

  test.each(['sms', 'whatsapp'] as const)('a %s author does not receive their own message', (channel) => {
    const author = AUTHORS[channel].Author;
    const own = message({ body: long, media: files(2, 'gif', 1000) }, channel);
    expect(checkFanout(own, [recipient(channel, author), recipient('web')], DEFAULTS)).toBeUndefined();
  });

  test.each(['sms', 'whatsapp'] as const)('another %s participant of the conversation still does', (channel) => {
    const author = AUTHORS[channel].Author;
    const own = message({ body: long }, channel);
    expect(checkFanout(own, [recipient(channel, author), recipient(channel)], DEFAULTS)?.code).toBe(`message.fanout.${channel}.body-chars`);
  });

  test('a chat-only conversation has no fan-out limits', () => {
    const anything = message({ body: textOfChars(20_000, '😀'), media: [...files(11, 'gif', 3 * MiB), file('heic', 20 * MiB)] });
    expect(checkFanout(anything, Array.from({ length: 999 }, () => recipient('web')), DEFAULTS)).toBeUndefined();
    expect(checkFanout(anything, [], DEFAULTS)).toBeUndefined();
  });

  test('every channel present is checked: a message fine for SMS is refused for WhatsApp', () => {
    const two = message({ media: files(2, 'jpg', 1000) });
    expect(checkFanout(two, [recipient('sms')], DEFAULTS)).toBeUndefined();
    expect(checkFanout(two, [recipient('sms'), recipient('whatsapp')], DEFAULTS)?.code).toBe('message.fanout.whatsapp.media.count');
  });
});

describe('channelsAtRisk decides whether the participant list is needed', () => {
  const cases: Array<[string, Partial<MessageAdd>, Settings]> = [
    ['a short text', { body: 'hello' }, DEFAULTS],
    ['an empty body', { body: '' }, DEFAULTS],
    ['1600 characters', { body: textOfChars(1600) }, DEFAULTS],
    ['1601 characters', { body: textOfChars(1601) }, DEFAULTS],
    ['161 GSM-7 characters with MAX_SMS_SEGMENTS=1', { body: textOfChars(161) }, settingsWith({ MAX_SMS_SEGMENTS: '1' })],
    ['one small jpg', { media: [file('jpg', 1000)] }, DEFAULTS],
    ['two small jpgs', { media: files(2, 'jpg', 1000) }, DEFAULTS],
    ['a gif', { media: [file('gif', 1000)] }, DEFAULTS],
    ['a heic', { media: [file('heic', 1000)] }, DEFAULTS],
    ['a 3 MiB png', { media: [file('png', 3 * MiB)] }, DEFAULTS],
    ['a 6 MiB pdf', { media: [file('pdf', 6 * MiB)] }, DEFAULTS],
    ['a 17 MiB mp4', { media: [file('mp4', 17 * MiB)] }, DEFAULTS],
    ['11 files', { media: files(11, 'jpg', 1000) }, DEFAULTS],
    ['a txt', { media: [file('txt', 10)] }, DEFAULTS],
  ];

  test.each(cases)('%s: a channel is at risk exactly when a recipient on it would be refused', (_name, fields, settings) => {
    const atRisk = channelsAtRisk(message(fields), settings);
    for (const channel of NON_CHAT) {
      const refused = checkFanout(message(fields), [recipient(channel)], settings) !== undefined;
      expect([channel, atRisk.includes(channel)]).toEqual([channel, refused]);
    }
    expect(atRisk).not.toContain('web');
  });

  test('nothing is at risk for a short text or a single small jpg: no participant list is fetched', () => {
    expect(channelsAtRisk(message({ body: 'hello' }), DEFAULTS)).toEqual([]);
    expect(channelsAtRisk(message({ media: [file('jpg', 1000)] }), DEFAULTS)).toEqual([]);
  });

  test('the channels at risk are named', () => {
    expect(channelsAtRisk(message({ body: textOfChars(1601) }), DEFAULTS).sort()).toEqual(['sms', 'whatsapp']);
    expect(channelsAtRisk(message({ media: [file('gif', 1000)] }), DEFAULTS).sort()).toEqual(['gbm', 'messenger', 'sms', 'whatsapp']);
    expect(channelsAtRisk(message({ media: files(2, 'jpg', 1000) }), DEFAULTS).sort()).toEqual(['gbm', 'messenger', 'whatsapp']);
  });
});

describe('checkDelivery names its channel in the code', () => {
  test.each(NON_CHAT)('%s', (channel) => {
    const violation = checkDelivery({ body: '', media: files(11, 'jpg', 1000) }, channel, DEFAULTS);
    expect(violation?.code).toBe(`message.fanout.${channel}.media.count`);
    expect(violation?.channel).toBe(channel);
  });
});

describe('an email recipient: MAX_EMAIL_BYTES, body and attachments together', () => {
  const limit = DEFAULTS.MAX_EMAIL_BYTES;
  test('exactly 20 MB in all is delivered, one byte more is rejected', () => {
    const body = 'hello';
    expect(deliveredTo('email', { body, media: [file('pdf', limit - body.length)] })).toBeUndefined();
    expectViolation(deliveredTo('email', { body, media: [file('pdf', limit - body.length + 1)] }), { code: 'message.fanout.email.bytes', limit, actual: limit + 1, variable: 'MAX_EMAIL_BYTES', channel: 'email' });
  });
});
