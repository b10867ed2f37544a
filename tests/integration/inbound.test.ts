/**
 * INBOUND_POLICY through the local runtime: a message Twilio already accepted from SMS, WhatsApp,
 * email, Messenger or GBM is never dropped by default. It is let through with what it breaks written
 * into its Attributes (annotate), dropped (reject), or let through untouched (ignore).
 */
import { startEmulator, type Emulator } from '../../emulator';
import type { Channel } from '../../src/guard/limits/channels';
import * as events from '../support/events';
import { ACCOUNT_SID, CHAT_SERVICE_SID, type FormFields } from '../support/events';
import { file, mediaField } from '../support/media';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import { AUTH_TOKEN } from '../support/twilio-request';

type NonChat = Exclude<Channel, 'web'>;
const NON_CHAT: NonChat[] = ['sms', 'whatsapp', 'email', 'messenger', 'gbm'];
const MiB = 1024 * 1024;

/**
 * One file one byte over each author row's per-file size, as Twilio's defaults set it: written out
 * here, not read from the guard's table (SMS 2 MB, WhatsApp and web 16 MB, email 150 MB, Messenger
 * 25 MB, GBM 5 MB; email's 150 MB file is also past the 20 MB email cap, the rule met first).
 */
const OVER: Record<NonChat, { ext: string; bytes: number; code: string; limit: number }> = {
  sms: { ext: 'jpg', bytes: 2 * MiB + 1, code: 'message.media.file-size', limit: 2 * MiB },
  whatsapp: { ext: 'jpg', bytes: 16 * MiB + 1, code: 'message.media.file-size', limit: 16 * MiB },
  email: { ext: 'pdf', bytes: 20 * MiB + 1, code: 'message.email.bytes', limit: 20 * MiB },
  messenger: { ext: 'jpg', bytes: 25 * MiB + 1, code: 'message.media.file-size', limit: 25 * MiB },
  gbm: { ext: 'jpg', bytes: 5 * MiB + 1, code: 'message.media.file-size', limit: 5 * MiB },
};

let emulator: Emulator;
let conversation: string;
beforeAll(async () => {
  emulator = await startEmulator();
  conversation = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID, friendlyName: 'inbound' });
});
afterAll(() => emulator?.close());

const env = (policy?: string) => ({ ACCOUNT_SID, AUTH_TOKEN, TWILIO_API_BASE_URL: emulator.url, ...(policy && { INBOUND_POLICY: policy }) });

/** A message from `channel` with one file over its row, and Attributes of its own. */
const overRow = (channel: NonChat, fields: FormFields = {}) =>
  events.messageAdd({ ConversationSid: conversation, Attributes: '{"ticket":"T-42","lang":"en"}', Media: mediaField([file(OVER[channel].ext, OVER[channel].bytes)]), ...fields }, channel);

const decision = (res: RuntimeResponse) => res.logs.find((line) => 'outcome' in line)!;

describe('INBOUND_POLICY unset (annotate)', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(env(), { forkProcess: false });
  });
  afterAll(() => runtime?.stop());

  test.each(NON_CHAT)('%s: 200 with the message Attributes, every key kept, plus limitsGuard.violations', async (channel) => {
    const res = await runtime.post(PRE_EVENT_PATH, overRow(channel));
    expect(res.status).toBe(200);
    const body = res.json as { attributes: string };
    expect(Object.keys(body)).toEqual(['attributes']);
    expect(typeof body.attributes).toBe('string');
    expect(JSON.parse(body.attributes)).toEqual({
      ticket: 'T-42',
      lang: 'en',
      limitsGuard: { violations: [{ code: OVER[channel].code, message: expect.stringContaining('allows at most'), limit: OVER[channel].limit, actual: expect.any(Number) }] },
    });
    expect(decision(res)).toMatchObject({ outcome: 'allow', inbound: 'annotate', rules: [OVER[channel].code] });
  });

  test('an inbound MMS with two photos (the Flex SMS row takes one): let through, annotated with message.media.count', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, events.messageAdd({ ConversationSid: conversation, Attributes: '{}', Media: mediaField([file('jpg', 100_000), file('jpg', 120_000)]) }, 'sms'));
    expect(res.status).toBe(200);
    expect(JSON.parse((res.json as { attributes: string }).attributes).limitsGuard.violations).toEqual([expect.objectContaining({ code: 'message.media.count', limit: 1, actual: 2 })]);
  });

  test('a WhatsApp voice note (voice.ogg, audio/ogg; codecs=opus) breaks nothing: 200 {}', async () => {
    const note = JSON.stringify([{ Sid: 'ME' + '7'.repeat(32), Filename: 'voice.ogg', ContentType: 'audio/ogg; codecs=opus', Size: 48_213 }]);
    const res = await runtime.post(PRE_EVENT_PATH, events.messageAdd({ ConversationSid: conversation, Body: '', Media: note }, 'whatsapp'));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
  });

  test('a voice note that opens a conversation (1:1 autocreation from WhatsApp) is let through', async () => {
    const note = JSON.stringify([{ Sid: 'ME' + '8'.repeat(32), Filename: 'voice.ogg', ContentType: 'audio/ogg; codecs=opus', Size: 48_213 }]);
    const res = await runtime.post(PRE_EVENT_PATH, events.autocreation('whatsapp', { MessageBody: '', Media: note }));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(decision(res)).toMatchObject({ event: 'onConversationAdd', outcome: 'allow' });
  });

  test('a first message over a limit that opens a conversation cannot be annotated: 200 {}, its rules logged', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, events.autocreation('sms', { Media: mediaField([file('jpg', 100), file('jpg', 100)]) }));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(decision(res)).toMatchObject({ event: 'onConversationAdd', outcome: 'allow', inbound: 'annotate', rules: ['message.media.count'] });
  });

  test('Attributes that are not a JSON object cannot keep their keys: 200 {}, with a warning, never dropped', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, overRow('sms', { Attributes: '["not","an","object"]' }));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(decision(res)).toMatchObject({ outcome: 'allow', inbound: 'annotate', warning: expect.stringContaining('not annotated') });
  });

  test('the same file posted through the REST API (Source=API) is judged: its caller gets the 403', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, overRow('whatsapp', { Source: 'API' }));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'message.media.file-size', channel: 'whatsapp' });
  });

  test('a chat (SDK) author is judged whatever the policy', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, events.messageAdd({ ConversationSid: conversation, Media: mediaField([file('jpg', 16 * MiB + 1)]) }, 'web'));
    expect(res.status).toBe(403);
  });
});

describe('INBOUND_POLICY=reject', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(env('reject'), { forkProcess: false });
  });
  afterAll(() => runtime?.stop());

  test.each(NON_CHAT)('%s: 403 with the rule, as for any author', async (channel) => {
    const res = await runtime.post(PRE_EVENT_PATH, overRow(channel));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: OVER[channel].code, limit: OVER[channel].limit });
    expect(decision(res)).toMatchObject({ outcome: 'reject', rule: OVER[channel].code });
  });

  test('the first message of an autocreated conversation is rejected too', async () => {
    const res = await runtime.post(PRE_EVENT_PATH, events.autocreation('sms', { Media: mediaField([file('jpg', 100), file('jpg', 100)]) }));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'message.media.count', channel: 'sms' });
  });
});

describe('INBOUND_POLICY=ignore', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(env('ignore'), { forkProcess: false });
  });
  afterAll(() => runtime?.stop());

  test.each(NON_CHAT)('%s: 200 {}, untouched, the rule logged', async (channel) => {
    const res = await runtime.post(PRE_EVENT_PATH, overRow(channel));
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(decision(res)).toMatchObject({ outcome: 'allow', inbound: 'ignore', rules: [OVER[channel].code] });
  });
});
