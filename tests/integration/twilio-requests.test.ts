/**
 * The request shapes Twilio sends (tests/fixtures/twilio-requests, each citing its source), replayed
 * through the local runtime signed and form-encoded, with FAIL_MODE=closed so that no fail-open can
 * hide a wrong answer: each is judged by the channel its author really uses, and none breaks a limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { CHANNELS, type Channel } from '../../src/guard/limits/channels';
import { ACCOUNT_SID } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { AUTH_TOKEN } from '../support/twilio-request';

interface Fixture {
  source: string;
  kind: 'captured' | 'documented';
  note: string;
  authorChannel: Channel;
  params: Record<string, string>;
}

const FOLDER = join(__dirname, '..', 'fixtures', 'twilio-requests');
const fixtures = readdirSync(FOLDER)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => [name.replace(/\.json$/, ''), JSON.parse(readFileSync(join(FOLDER, name), 'utf8')) as Fixture] as const);

describe('the fixtures', () => {
  test('cover every pre-event the guard judges in full, and inbound SMS, WhatsApp and email', () => {
    const events = new Set(fixtures.map(([, f]) => f.params.EventType));
    expect([...events].sort()).toEqual(['onConversationAdd', 'onMessageAdd', 'onParticipantAdd']);
    const sources = new Set(fixtures.map(([, f]) => f.params.Source));
    for (const source of ['SDK', 'API', 'SMS', 'WHATSAPP', 'EMAIL']) expect(sources).toContain(source);
  });

  test.each(fixtures)('%s cites its source and holds only form strings', (_name, fixture) => {
    expect(fixture.source).toMatch(/^https:\/\//);
    expect(['captured', 'documented']).toContain(fixture.kind);
    expect(fixture.note.length).toBeGreaterThan(20);
    expect(CHANNELS).toContain(fixture.authorChannel);
    for (const value of Object.values(fixture.params)) expect(typeof value).toBe('string');
  });
});

describe('replayed through the local runtime, FAIL_MODE=closed', () => {
  let emulator: Emulator;
  let runtime: Runtime;
  beforeAll(async () => {
    emulator = await startEmulator();
    runtime = await startRuntime({ ACCOUNT_SID, AUTH_TOKEN, TWILIO_API_BASE_URL: emulator.url, FAIL_MODE: 'closed' }, { forkProcess: false });
  });
  afterAll(async () => {
    await runtime?.stop();
    await emulator?.close();
  });

  /** The fixture aimed at a conversation of the emulator, in the service the request names. */
  function replayable(fixture: Fixture): Record<string, string> {
    const params = { ...fixture.params };
    if (params.ConversationSid) {
      const conversation = emulator.seed.conversation(params.ChatServiceSid ? { serviceSid: params.ChatServiceSid } : {});
      // The chat identity an API message is posted as is one of the conversation's participants.
      if (params.Source === 'API' && params.Author) emulator.seed.participant(conversation, { identity: params.Author });
      params.ConversationSid = conversation;
    }
    return params;
  }

  /** What the defaults find in a fixture: two photos in one MMS break the Flex SMS row (one file). */
  const ANNOTATED: Record<string, string[]> = { 'onMessageAdd-sms-inbound-mms': ['message.media.count'] };

  test.each(fixtures)('%s: 200, judged by its author\'s channel', async (name, fixture) => {
    const res = await runtime.post(PRE_EVENT_PATH, replayable(fixture));
    const decision = res.logs.find((line) => 'outcome' in line);
    expect(decision).toMatchObject({ event: fixture.params.EventType, outcome: 'allow', channel: fixture.authorChannel });
    const annotated = ANNOTATED[name];
    if (!annotated) return expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.status).toBe(200);
    const { violations } = JSON.parse((res.json as { attributes: string }).attributes).limitsGuard;
    expect(violations.map((v: { code: string }) => v.code)).toEqual(annotated);
  });

  test.each(fixtures.filter(([, f]) => f.params.EventType === 'onMessageAdd'))('%s: a body one byte over MAX_CHAT_BODY_BYTES meets its author\'s policy', async (_name, fixture) => {
    const res = await runtime.post(PRE_EVENT_PATH, { ...replayable(fixture), Body: 'x'.repeat(32 * 1024 + 1) });
    const inbound = fixture.authorChannel !== 'web' && fixture.params.Source !== 'API';
    if (inbound) {
      // Already accepted from the carrier: let through with the violation in its Attributes.
      expect(res.status).toBe(200);
      expect(JSON.parse((res.json as { attributes: string }).attributes).limitsGuard.violations[0]).toMatchObject({ code: 'message.body.bytes', limit: 32768, actual: 32769 });
    } else {
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'message.body.bytes', limit: 32768, actual: 32769 });
    }
  });
});
