import twilio from 'twilio';
import { startEmulator, type Emulator } from '../../emulator';
import { twilioVia } from '../../src/guard/twilio/client';
import { ACCOUNT_SID, AUTHORIZATION, AUTH_TOKEN, call, errorOf, type Json } from './http';

const SERVICE = 'IS0123456789abcdef0123456789abcdef';
const ACCOUNT_PATH = '/conversations/v1/Configuration/Webhooks';
const SERVICE_PATH = `/conversations/v1/Services/${SERVICE}/Configuration/Webhooks`;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

/** A form POST with repeated fields, as twilio-node sends `Filters`. */
async function post(path: string, fields: Array<[string, string]>) {
  const res = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { Authorization: AUTHORIZATION, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

describe('account-level webhook configuration', () => {
  it('answers an unconfigured account with empty URLs and filters', async () => {
    const res = await call(emu, 'GET', ACCOUNT_PATH);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      account_sid: ACCOUNT_SID,
      pre_webhook_url: null,
      post_webhook_url: null,
      method: 'POST',
      filters: [],
      target: 'webhook',
      url: 'https://conversations.twilio.com/v1/Configuration/Webhooks',
    });
  });

  it('stores repeated Filters as a list and keeps fields that were not sent', async () => {
    const updated = await post(ACCOUNT_PATH, [
      ['PreWebhookUrl', 'https://example.com/pre'],
      ['Method', 'GET'],
      ['Filters', 'onMessageAdd'],
      ['Filters', 'onParticipantAdded'],
      ['Target', 'flex'],
    ]);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ pre_webhook_url: 'https://example.com/pre', post_webhook_url: null, method: 'GET', target: 'flex' });
    expect(updated.body.filters).toEqual(['onMessageAdd', 'onParticipantAdded']);

    await post(ACCOUNT_PATH, [['PostWebhookUrl', 'https://example.com/post']]);
    const fetched = await call(emu, 'GET', ACCOUNT_PATH);
    expect(fetched.body).toMatchObject({
      pre_webhook_url: 'https://example.com/pre',
      post_webhook_url: 'https://example.com/post',
      method: 'GET',
      filters: ['onMessageAdd', 'onParticipantAdded'],
      target: 'flex',
    });
  });

  it('clears a URL sent empty', async () => {
    await post(ACCOUNT_PATH, [['PreWebhookUrl', 'https://example.com/pre']]);
    expect((await post(ACCOUNT_PATH, [['PreWebhookUrl', '']])).body.pre_webhook_url).toBeNull();
  });

  it.each([
    [[['Method', 'PUT']], 'Method'],
    [[['Target', 'studio']], 'Target'],
    [[['Filters', 'onMessageAdd'], ['Filters', 'onMessageSent']], 'onMessageSent'],
    [[['PreWebhookUrl', 'example.com/pre']], 'PreWebhookUrl'],
  ] as Array<[Array<[string, string]>, string]>)('refuses %j with 400 and changes nothing', async (fields, named) => {
    const res = await post(ACCOUNT_PATH, fields);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorOf(20001, 400));
    expect(res.body.message).toContain(named);
    expect((await call(emu, 'GET', ACCOUNT_PATH)).body).toMatchObject({ method: 'POST', filters: [], target: 'webhook', pre_webhook_url: null });
  });
});

describe('service-level webhook configuration', () => {
  it('is kept per service, apart from the account-level one', async () => {
    const updated = await post(SERVICE_PATH, [
      ['PreWebhookUrl', 'https://example.com/pre'],
      ['PostWebhookUrl', 'https://example.com/post'],
      ['Filters', 'onConversationAdd'],
    ]);
    expect(updated.body).toEqual({
      account_sid: ACCOUNT_SID,
      chat_service_sid: SERVICE,
      pre_webhook_url: 'https://example.com/pre',
      post_webhook_url: 'https://example.com/post',
      filters: ['onConversationAdd'],
      method: 'POST',
      url: `https://conversations.twilio.com/v1/Services/${SERVICE}/Configuration/Webhooks`,
    });
    expect((await call(emu, 'GET', ACCOUNT_PATH)).body.pre_webhook_url).toBeNull();
    const other = `/conversations/v1/Services/IS${'f'.repeat(32)}/Configuration/Webhooks`;
    expect((await call(emu, 'GET', other)).body.filters).toEqual([]);
  });

  it('does not take a Target', async () => {
    const res = await post(SERVICE_PATH, [['Target', 'flex']]);
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('target');
  });

  it('answers 404 with a Twilio error for an unknown service', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await call(emu, method, '/conversations/v1/Services/IS123/Configuration/Webhooks', method === 'POST' ? { form: {} } : {});
      expect(res.status).toBe(404);
      expect(res.body).toEqual(errorOf(20404, 404));
    }
  });

  it('is cleared by reset', async () => {
    await post(SERVICE_PATH, [['Filters', 'onMessageAdd']]);
    emu.reset();
    expect((await call(emu, 'GET', SERVICE_PATH)).body.filters).toEqual([]);
  });
});

describe('webhook configuration through twilio-node', () => {
  const client = () => twilioVia(ACCOUNT_SID, AUTH_TOKEN, emu.url);

  it('updates and fetches the account-level configuration', async () => {
    const webhooks = client().conversations.v1.configuration.webhooks();
    const updated = await webhooks.update({
      preWebhookUrl: 'https://example.com/pre',
      postWebhookUrl: 'https://example.com/post',
      method: 'POST',
      filters: ['onMessageAdd', 'onParticipantAdded'],
      target: 'webhook',
    });
    expect(updated).toMatchObject({ preWebhookUrl: 'https://example.com/pre', filters: ['onMessageAdd', 'onParticipantAdded'], target: 'webhook' });
    const fetched = await webhooks.fetch();
    expect(fetched).toMatchObject({ postWebhookUrl: 'https://example.com/post', method: 'POST', filters: ['onMessageAdd', 'onParticipantAdded'] });
  });

  it('updates a service-level configuration and reports an unknown service as a RestException', async () => {
    const service = client().conversations.v1.services(SERVICE).configuration.webhooks();
    const updated = await service.update({ preWebhookUrl: 'https://example.com/pre', filters: ['onMessageAdd'] });
    expect(updated).toMatchObject({ chatServiceSid: SERVICE, preWebhookUrl: 'https://example.com/pre', filters: ['onMessageAdd'] });
    await expect(client().conversations.v1.services('IS1').configuration.webhooks().fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });
});
