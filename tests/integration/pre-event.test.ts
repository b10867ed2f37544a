/**
 * The built function (dist/functions/conversations/pre-event.protected.js) served by the local
 * Functions runtime that `twilio-run start` uses, called the way Twilio calls a Conversations
 * pre-event webhook: form-encoded, flat dotted keys, JSON strings for Media and Attributes, signed.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { CHANNELS, type Channel } from '../../src/guard/limits/channels';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import * as events from '../support/events';
import { ACCOUNT_SID, AUTHORS, CHAT_SERVICE_SID, conversationAdd, type FormFields } from '../support/events';
import { file, mediaField } from '../support/media';
import { attachmentRow, DEFAULTS, textOfBytes, textOfChars } from '../support/settings';
import { AUTH_TOKEN } from '../support/twilio-request';
import { expectViolation } from '../support/violations';

// Remote rules (participants, Sync rate counters) read Twilio's REST API: here the bundled emulator,
// through TWILIO_API_BASE_URL, with a conversation seeded in the webhook's Conversations service.
let emulator: Emulator;
let conversation: string;
let env: Record<string, string>;
beforeAll(async () => {
  emulator = await startEmulator();
  conversation = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID, friendlyName: 'integration' });
  env = { ACCOUNT_SID, AUTH_TOKEN, TWILIO_API_BASE_URL: emulator.url };
});
afterAll(() => emulator?.close());

const messageAdd = (fields: FormFields = {}, channel: Channel = 'web') => events.messageAdd({ ConversationSid: conversation, ...fields }, channel);
const participantAdd = (fields: FormFields = {}) => events.participantAdd({ ConversationSid: conversation, ...fields });
const smsParticipantAdd = (channel: Exclude<Channel, 'web'>, fields: FormFields = {}) => events.smsParticipantAdd(channel, { ConversationSid: conversation, ...fields });

function decisions(res: RuntimeResponse) {
  return res.logs.filter((line) => 'outcome' in line);
}

/** The one decision line of a request. */
function decision(res: RuntimeResponse) {
  const lines = decisions(res);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

function expectJson(res: RuntimeResponse, status: number) {
  expect({ status: res.status, body: res.text }).toEqual({ status, body: expect.any(String) });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
}

function expectAllowed(res: RuntimeResponse) {
  expectJson(res, 200);
  expect(res.json).toEqual({});
}

describe('enforce mode (default settings)', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(env);
  });
  afterAll(() => runtime?.stop());
  const post = (params: Record<string, string>, options?: Parameters<Runtime['post']>[2]) => runtime.post(PRE_EVENT_PATH, params, options);

  describe('message body, MAX_CHAT_BODY_BYTES', () => {
    const limit = DEFAULTS.MAX_CHAT_BODY_BYTES;

    test('one byte over (é, 2 bytes each): 403 application/json with code, message, limit, actual', async () => {
      const res = await post(messageAdd({ Body: textOfBytes(limit + 1, 'é') }));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'message.body.bytes', limit, actual: limit + 1, variable: 'MAX_CHAT_BODY_BYTES' });
      expect(decision(res)).toMatchObject({ event: 'onMessageAdd', conversation, outcome: 'reject', rule: 'message.body.bytes', mode: 'enforce', ms: expect.any(Number) });
    });

    test('exactly the limit (😀, 4 bytes each): 200 {}', async () => {
      const res = await post(messageAdd({ Body: textOfBytes(limit, '😀') }));
      expectAllowed(res);
      expect(decision(res)).toMatchObject({ event: 'onMessageAdd', conversation, outcome: 'allow', mode: 'enforce' });
    });
  });

  describe('signature', () => {
    test('forged: 401, and the request is not judged', async () => {
      const res = await post(messageAdd({ Body: textOfBytes(DEFAULTS.MAX_CHAT_BODY_BYTES + 1) }), { sign: 'forged' });
      expectJson(res, 401);
      expect(res.json).toMatchObject({ code: 'request.signature', message: expect.stringContaining('does not match') });
      const line = decision(res);
      expect(line).toMatchObject({ outcome: 'unauthorized', reason: 'invalid' });
      expect(line).not.toHaveProperty('rule');
    });

    test('unsigned: 401', async () => {
      const res = await post(messageAdd(), { sign: false });
      expectJson(res, 401);
      expect(res.json).toEqual({ code: 'request.signature', message: 'The request has no X-Twilio-Signature header.' });
      expect(decision(res)).toMatchObject({ outcome: 'unauthorized', reason: 'missing' });
    });

    test('the signed URL is http://localhost:<port>/conversations/pre-event, what the runtime calls its own URL', async () => {
      expectAllowed(await post(messageAdd(), { signedUrl: `http://localhost:${runtime.port}${PRE_EVENT_PATH}` }));
      const elsewhere = await post(messageAdd(), { signedUrl: `http://127.0.0.1:${runtime.port}${PRE_EVENT_PATH}` });
      expectJson(elsewhere, 401);
      expect((elsewhere.json as { message: string }).message).toContain(`http://localhost:${runtime.port}${PRE_EVENT_PATH}`);
    });
  });

  describe('signed requests the guard cannot read: FAIL_MODE=open (default) lets them through, never a 400', () => {
    test.each([
      ['Media that is not JSON', { Media: 'photo.png' }, 'Media'],
      ['Media that is not an array', { Media: '{"Sid":"ME1","Size":10}' }, 'Media'],
      ['a non-numeric Media Size', { Media: '[{"Sid":"ME1","ContentType":"image/png","Filename":"a.png","Size":"10kB"}]' }, 'Media[0].Size'],
    ])('%s: 200 {}, logged as malformed with the field', async (_case, fields, field) => {
      const res = await post(messageAdd(fields));
      expectAllowed(res);
      expect(decision(res)).toMatchObject({ outcome: 'malformed', field, status: 200 });
    });

    test('a missing ConversationSid: 200 {}, logged as malformed', async () => {
      const { ConversationSid: _sid, ...fields } = messageAdd();
      const res = await post(fields);
      expectAllowed(res);
      expect(decision(res)).toMatchObject({ outcome: 'malformed', field: 'ConversationSid' });
    });
  });

  test('an EventType the guard does not judge (onMessageUpdated): 200 {}', async () => {
    const res = await post(messageAdd({ EventType: 'onMessageUpdated', Body: textOfBytes(DEFAULTS.MAX_CHAT_BODY_BYTES + 1) }));
    expectAllowed(res);
    expect(decision(res)).toMatchObject({ event: 'onMessageUpdated', outcome: 'ignored' });
  });

  describe('each event type', () => {
    test('onParticipantAdd: an Identity one character over MAX_IDENTITY_CHARS (😀 counts 2) is rejected', async () => {
      const limit = DEFAULTS.MAX_IDENTITY_CHARS;
      expectAllowed(await post(participantAdd({ Identity: textOfChars(limit, '😀') })));
      const res = await post(participantAdd({ Identity: textOfChars(limit + 1, '😀') }));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'participant.identity.length', limit, actual: limit + 1, variable: 'MAX_IDENTITY_CHARS' });
      expect(decision(res)).toMatchObject({ event: 'onParticipantAdd', conversation, outcome: 'reject', rule: 'participant.identity.length' });
    });

    test('onParticipantAdd: a WhatsApp MessagingBinding.Address over MAX_ADDRESS_CHARS is rejected', async () => {
      const limit = DEFAULTS.MAX_ADDRESS_CHARS;
      const address = 'whatsapp:+1' + '5'.repeat(limit + 1 - 'whatsapp:+1'.length);
      const res = await post(smsParticipantAdd('whatsapp', { 'MessagingBinding.Address': address }));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'participant.address.length', limit, actual: limit + 1 });
    });

    test('onConversationAdd: Attributes one byte over MAX_CONVERSATION_ATTRIBUTES_BYTES are rejected', async () => {
      const limit = DEFAULTS.MAX_CONVERSATION_ATTRIBUTES_BYTES;
      const attributes = (bytes: number) => `{"topic":"${textOfBytes(bytes - '{"topic":""}'.length, 'é')}"}`;
      expectAllowed(await post(conversationAdd({ Attributes: attributes(limit) })));
      const res = await post(conversationAdd({ Attributes: attributes(limit + 1) }));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'conversation.attributes.bytes', limit, actual: limit + 1, variable: 'MAX_CONVERSATION_ATTRIBUTES_BYTES' });
      expect(decision(res)).toMatchObject({ event: 'onConversationAdd', outcome: 'reject', rule: 'conversation.attributes.bytes' });
    });

    test('onConversationAdd created by an inbound SMS (1:1 autocreation): its MessageBody is an inbound message, annotated nowhere but let through', async () => {
      const limit = DEFAULTS.MAX_CHAT_BODY_BYTES;
      const res = await post(events.autocreation('sms', { MessageBody: textOfBytes(limit + 1) }));
      expectAllowed(res);
      expect(decision(res)).toMatchObject({ event: 'onConversationAdd', outcome: 'allow', inbound: 'annotate', rules: ['message.body.bytes'] });
    });
  });

  describe('INBOUND_POLICY=reject: the author channel decides the attachment limits', () => {
    let rejecting: Runtime;
    beforeAll(async () => {
      rejecting = await startRuntime({ ...env, INBOUND_POLICY: 'reject' }, { forkProcess: false });
    });
    afterAll(() => rejecting?.stop());
    const post = (params: Record<string, string>) => rejecting.post(PRE_EVENT_PATH, params);
    // Email files are bounded by the whole email (MAX_EMAIL_BYTES), tested below.
    const rows = CHANNELS.filter((c) => c !== 'email').map((channel) => [channel, AUTHORS[channel].Author, attachmentRow(DEFAULTS, channel)] as const);

    test.each(rows)('%s author %s: a file of exactly the row size is allowed, one byte more is rejected', async (channel, _author, row) => {
      const ext = row.extensions[0]!;
      expectAllowed(await post(messageAdd({ Media: mediaField([file(ext, row.maxFileBytes)]) }, channel)));
      const res = await post(messageAdd({ Media: mediaField([file(ext, row.maxFileBytes + 1)]) }, channel));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'message.media.file-size', limit: row.maxFileBytes, actual: row.maxFileBytes + 1, variable: row.names.fileBytes, channel });
    });

    test.each([
      ['whatsapp' as Channel, 'gif'],
      ['sms' as Channel, 'txt'],
    ])('%s author: a .%s file (accepted from chat) is rejected', async (channel, extension) => {
      expect(attachmentRow(DEFAULTS, 'web').extensions).toContain(extension);
      expectAllowed(await post(messageAdd({ Media: mediaField([file(extension, 10)]) }, 'web')));
      const res = await post(messageAdd({ Media: mediaField([file(extension, 10)]) }, channel));
      expectJson(res, 403);
      expect(res.json).toMatchObject({ code: 'message.media.type', channel, variable: attachmentRow(DEFAULTS, channel).names.extensions });
    });

    test('whatsapp author: one file more than ATTACHMENTS_WHATSAPP_MAX_FILES is rejected', async () => {
      const row = attachmentRow(DEFAULTS, 'whatsapp');
      const res = await post(messageAdd({ Media: mediaField(Array.from({ length: row.maxFiles + 1 }, () => file('jpg', 10))) }, 'whatsapp'));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'message.media.count', limit: row.maxFiles, actual: row.maxFiles + 1, channel: 'whatsapp' });
    });

    test(`email author ${AUTHORS.email.Author}: body plus attachment of exactly MAX_EMAIL_BYTES is allowed, one byte more is rejected`, async () => {
      const limit = DEFAULTS.MAX_EMAIL_BYTES;
      const body = textOfBytes(999, 'é');
      expectAllowed(await post(messageAdd({ Body: body, Media: mediaField([file('pdf', limit - 999)]) }, 'email')));
      const res = await post(messageAdd({ Body: body, Media: mediaField([file('pdf', limit - 998)]) }, 'email'));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'message.email.bytes', limit, actual: limit + 1, variable: 'MAX_EMAIL_BYTES', channel: 'email' });
    });

    test('the same address-like Author sent from the SDK is a chat identity', async () => {
      expectAllowed(await post(messageAdd({ Source: 'SDK', Media: mediaField([file('gif', 10)]) }, 'whatsapp')));
    });
  });

  describe('rules on remote facts (participants read from the emulated REST API)', () => {
    describe('a chat message reaching an SMS participant: MAX_SMS_BODY_CHARS (UTF-16 units, 😀 counts 2)', () => {
      const limit = DEFAULTS.MAX_SMS_BODY_CHARS;
      let withSms: string;
      beforeAll(() => {
        withSms = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
        emulator.seed.participant(withSms, { identity: AUTHORS.web.Author });
        emulator.seed.participant(withSms, { address: '+15551239999', proxyAddress: '+15559870000' });
      });

      test('exactly the limit is allowed', async () => {
        const res = await runtime.post(PRE_EVENT_PATH, events.messageAdd({ ConversationSid: withSms, Body: textOfChars(limit, '😀') }));
        expectAllowed(res);
        expect(decision(res)).toMatchObject({ outcome: 'allow' });
      });

      test('one unit over is rejected', async () => {
        const res = await runtime.post(PRE_EVENT_PATH, events.messageAdd({ ConversationSid: withSms, Body: textOfChars(limit + 1, '😀') }));
        expectJson(res, 403);
        expectViolation(res.json as Record<string, unknown>, { code: 'message.fanout.sms.body-chars', limit, actual: limit + 1, variable: 'MAX_SMS_BODY_CHARS', channel: 'sms' });
      });

      test('the same body in a conversation without SMS participants is allowed', async () => {
        expectAllowed(await runtime.post(PRE_EVENT_PATH, messageAdd({ Body: textOfChars(limit + 1, '😀') })));
      });
    });

    test('MAX_NON_CHAT_PARTICIPANTS: the last non-chat seat is allowed, one more is rejected', async () => {
      const limit = DEFAULTS.MAX_NON_CHAT_PARTICIPANTS;
      const full = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
      const phone = (i: number) => `+1555700${String(i).padStart(4, '0')}`;
      for (let i = 0; i < limit - 1; i += 1) emulator.seed.participant(full, { address: phone(i), proxyAddress: '+15559870000' });
      const joining = (i: number) => events.smsParticipantAdd('sms', { ConversationSid: full, 'MessagingBinding.Address': phone(i) });

      expectAllowed(await runtime.post(PRE_EVENT_PATH, joining(limit - 1)));
      emulator.seed.participant(full, { address: phone(limit - 1), proxyAddress: '+15559870000' });
      const res = await runtime.post(PRE_EVENT_PATH, joining(limit));
      expectJson(res, 403);
      expectViolation(res.json as Record<string, unknown>, { code: 'participant.non-chat.count', limit, actual: limit + 1, variable: 'MAX_NON_CHAT_PARTICIPANTS', channel: 'sms' });
      expect(decision(res)).toMatchObject({ event: 'onParticipantAdd', conversation: full, outcome: 'reject', rule: 'participant.non-chat.count' });
    });

    test('the emulated API failing, its one retry too: FAIL_MODE=open (default) lets the action through, logged as fail-open', async () => {
      emulator.injectFault({ kind: 'status', status: 503, product: 'conversations' });
      try {
        const res = await runtime.post(PRE_EVENT_PATH, participantAdd({ Identity: 'carol' }));
        expectAllowed(res);
        expect(decision(res)).toMatchObject({ outcome: 'fail-open', error: expect.any(String) });
      } finally {
        emulator.clearFaults();
      }
    });
  });
});

describe('shadow mode', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ ...env, GUARD_MODE: 'shadow' });
  });
  afterAll(() => runtime?.stop());

  test('an over-limit message is allowed (200 {}) and logged as shadow-reject', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, messageAdd({ Body: textOfBytes(DEFAULTS.MAX_CHAT_BODY_BYTES + 1, '😀') }));
    expectAllowed(res);
    expect(decision(res)).toMatchObject({ outcome: 'shadow-reject', mode: 'shadow', rule: 'message.body.bytes', event: 'onMessageAdd', conversation });
  });
});

describe('WEBHOOK_BASE_URL (a tunnel in front of the runtime)', () => {
  const base = 'https://guard-tests.example.ngrok.app';
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ ...env, WEBHOOK_BASE_URL: base });
  });
  afterAll(() => runtime?.stop());

  test('the signature must cover the tunnel URL, not the local one', async () => {
    expectAllowed(await runtime.post(PRE_EVENT_PATH, messageAdd(), { signedUrl: base + PRE_EVENT_PATH }));
    const local = await runtime.post(PRE_EVENT_PATH, messageAdd(), { signedUrl: `http://localhost:${runtime.port}${PRE_EVENT_PATH}` });
    expectJson(local, 401);
    expect((local.json as { message: string }).message).toContain(base + PRE_EVENT_PATH);
  });
});

describe("deployed: Twilio's gateway has checked the signature before the function runs", () => {
  // Deployed functions get their service's SID; the local runtime leaves SERVICE_SID unset.
  const SERVICE_SID = 'ZS' + '0123456789abcdef'.repeat(2);
  let runtime: Runtime;
  beforeAll(async () => {
    // A tunnel URL left behind would make every signature check fail: behind the gateway none runs.
    runtime = await startRuntime({ ...env, SERVICE_SID, WEBHOOK_BASE_URL: 'https://stale-tunnel.example.ngrok.app' }, { forkProcess: false });
  });
  afterAll(() => runtime?.stop());

  test('a request the function itself could not verify is judged, not refused with 401', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, messageAdd({ Body: textOfBytes(DEFAULTS.MAX_CHAT_BODY_BYTES + 1) }), { sign: 'forged' });
    expectJson(res, 403);
    expect(res.json).toMatchObject({ code: 'message.body.bytes' });
    expectAllowed(await runtime.post(PRE_EVENT_PATH, messageAdd(), { sign: false }));
  });
});

describe('a bad configuration value with FAIL_MODE=closed', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ ...env, FAIL_MODE: 'closed', MAX_CHAT_BODY_BYTES: 'lots' });
  });
  afterAll(() => runtime?.stop());

  test('a valid request is answered 403 guard.unavailable, and the log names the bad value', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, messageAdd());
    expectJson(res, 403);
    expect(res.json).toMatchObject({ code: 'guard.unavailable', limit: 0, actual: 0, message: expect.stringContaining('FAIL_MODE is closed') });
    const line = decision(res);
    expect(line).toMatchObject({ outcome: 'fail-closed' });
    expect(line.error).toContain('MAX_CHAT_BODY_BYTES="lots"');
  });

  test.each([
    ['a participant', participantAdd()],
    ['a conversation', conversationAdd()],
    ['a malformed Media', messageAdd({ Media: '{' })],
    ['an unknown event', messageAdd({ EventType: 'onMessageUpdated' })],
  ])('%s: never a 5xx', async (_case, params) => {
    const res = await runtime.post(PRE_EVENT_PATH, params);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(decisions(res)).toHaveLength(1);
  });

  test('unsigned requests are still refused before the configuration matters', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, messageAdd(), { sign: false });
    expectJson(res, 401);
  });
});
