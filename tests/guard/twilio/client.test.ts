import { startEmulator, type Emulator } from '../../../emulator';
import { parseSettings } from '../../../src/guard/config/load';
import { listParticipants } from '../../../src/guard/facts/participants';
import { SlotRateLimiter } from '../../../src/guard/rate/slot-limiter';
import { StoreUnavailableError } from '../../../src/guard/store/document-store';
import { groupParts, SyncSlotStore } from '../../../src/guard/store/slot-store';
import { twilioClientFor, twilioVia } from '../../../src/guard/twilio/client';
import { GuardRequestClient, redirect } from '../../../src/guard/twilio/request-client';
import { DeadlineExceededError, withDeadline } from '../../../src/guard/deadline';
import { ACCOUNT_SID } from '../../support/events';
import { AUTH_TOKEN } from '../../support/twilio-request';
import { seedMembers } from '../../support/state-emulator';
import { collectGarbage, within } from '../../support/gc';
import { waitFor } from '../../support/wait';
import { appliedThenFailed, type AppliedThenFailed } from '../../support/applied-then-failed';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const productRequests = () => emulator.log.filter((e) => e.product !== 'control');

describe('redirect', () => {
  const base = 'http://127.0.0.1:4010';

  test.each([
    ['https://sync.twilio.com/v1/Services/default/Documents/guard_x', `${base}/sync/v1/Services/default/Documents/guard_x`],
    ['https://conversations.twilio.com/v1/Conversations/CH1/Participants?PageSize=100', `${base}/conversations/v1/Conversations/CH1/Participants?PageSize=100`],
    [
      'https://conversations.twilio.com/v1/Services/IS1/ParticipantConversations?Identity=bob&PageSize=50&Page=1&PageToken=PA1',
      `${base}/conversations/v1/Services/IS1/ParticipantConversations?Identity=bob&PageSize=50&Page=1&PageToken=PA1`,
    ],
  ])('%s', (from, to) => {
    expect(redirect(from, base)).toBe(to);
  });

  test('leaves anything that is not a Twilio API URL alone', () => {
    expect(redirect('https://example.com/v1/x', base)).toBe('https://example.com/v1/x');
    expect(redirect('http://sync.twilio.com/v1/x', base)).toBe('http://sync.twilio.com/v1/x');
  });

  test('TWILIO_API_BASE_URL loses its trailing slash, so paths never double it', () => {
    expect(parseSettings({ TWILIO_API_BASE_URL: `${base}/` }).TWILIO_API_BASE_URL).toBe(base);
  });
});

describe('twilioClientFor with TWILIO_API_BASE_URL', () => {
  test('sends Conversations and Sync requests to that origin with the context credentials', async () => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    const conversation = await client.conversations.v1.conversations.create({ friendlyName: 'x' });
    expect(conversation.accountSid).toBe(ACCOUNT_SID);
    await client.sync.v1.services('default').documents.create({ uniqueName: 'probe', data: { a: 1 } });
    expect(productRequests().map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /conversations/v1/Conversations 201',
      'POST /sync/v1/Services/default/Documents 201',
    ]);
  });

  test('builds a client offline with placeholder credentials when the context has none', async () => {
    const client = twilioClientFor({}, emulator.url);
    const conversation = await client.conversations.v1.conversations.create({});
    expect(conversation.accountSid).toMatch(/^AC0{32}$/);
  });

  test('reuses the client for the same origin and credentials, and builds another when they change', () => {
    const a = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    expect(twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url)).toBe(a);
    expect(twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, 'http://127.0.0.1:1')).not.toBe(a);
  });

  test('follows next-page links through the same origin', async () => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 150 });
    expect(await listParticipants(client, sid)).toHaveLength(150);
    const requests = productRequests();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.path).toBe(`/conversations/v1/Conversations/${sid}/Participants`);
    expect(requests[1]!.query.PageToken).toBeDefined();
  });

  test('retries a 429 once, after a pause: a transient one is not seen by the caller', async () => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    const sid = emulator.seed.conversation({});
    emulator.injectFault({ kind: 'status', status: 429, product: 'conversations', times: 1 });
    await expect(listParticipants(client, sid)).resolves.toEqual([]);
    expect(productRequests().map((e) => e.status)).toEqual([429, 200]);
  });

  test('a read answered 5xx is retried once: a GET changes nothing, so repeating it is safe', async () => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    const sid = emulator.seed.conversation({});
    emulator.injectFault({ kind: 'status', status: 500, product: 'conversations', method: 'GET', times: 1 });
    await expect(listParticipants(client, sid)).resolves.toEqual([]);
    expect(productRequests().map((e) => `${e.method} ${e.status}`)).toEqual(['GET 500', 'GET 200']);
  });

  test('a write answered 429 is retried once: Twilio processes no request it answers 429', async () => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    emulator.injectFault({ kind: 'status', status: 429, product: 'sync', method: 'POST', times: 1 });
    await expect(client.sync.v1.services('default').documents.create({ uniqueName: 'probe', data: { a: 1 } })).resolves.toMatchObject({ uniqueName: 'probe' });
    expect(productRequests().map((e) => `${e.method} ${e.status}`)).toEqual(['POST 429', 'POST 201']);
  });

  test.each(['POST', 'GET'])('a Sync %s answered 429 / 54009 (the object\'s own rate limit) is not retried: the caller sees it at once', async (method) => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    emulator.injectFault({ kind: 'status', status: 429, code: 54009, product: 'sync', method, times: 1 });
    const request = method === 'POST' ? client.sync.v1.services('default').documents.create({ uniqueName: 'probe', data: { a: 1 } }) : client.sync.v1.services('default').documents('probe').fetch();
    await expect(request).rejects.toMatchObject({ status: 429, code: 54009 });
    expect(productRequests().map((e) => `${e.method} ${e.status}`)).toEqual([`${method} 429`]);
  });

  test.each([500, 502, 503, 504])('a write answered %i is not retried: the caller sees the failure', async (status) => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    emulator.injectFault({ kind: 'status', status, product: 'sync', method: 'POST', times: 1 });
    await expect(client.sync.v1.services('default').documents.create({ uniqueName: 'probe', data: { a: 1 } })).rejects.toMatchObject({ status });
    expect(productRequests().map((e) => `${e.method} ${e.status}`)).toEqual([`POST ${status}`]);
  });

  test('a second 429 reaches the caller: one retry only', async () => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    const sid = emulator.seed.conversation({});
    emulator.injectFault({ kind: 'status', status: 503, product: 'conversations', times: 2 });
    await expect(listParticipants(client, sid)).rejects.toMatchObject({ status: 503 });
    expect(productRequests()).toHaveLength(2);
  });

  test('no request starts once the decision deadline has passed, and none is retried past it', async () => {
    const client = twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url);
    const sid = emulator.seed.conversation({});
    const held = emulator.hold({ product: 'conversations' });
    await expect(withDeadline(50, () => listParticipants(client, sid))).rejects.toBeInstanceOf(DeadlineExceededError);
    // Twilio answers only once it has seen the client go (a request it answers first would be served).
    await waitFor(() => productRequests().every((e) => e.status !== 0), { what: 'the abandoned request to close' });
    held.release();
    // A retry or a late start would show within this; a busy machine can only hide it, not fake it.
    await new Promise((resolve) => setTimeout(resolve, 250));
    // At most the one request in flight at the deadline, and it was abandoned (499), never served.
    expect(productRequests().length).toBeLessThanOrEqual(1);
    expect(productRequests().every((e) => e.status === 499)).toBe(true);
  });

  test('a request that gets no answer ends at its own timeout, inside a decision, even after a garbage collection', async () => {
    emulator.injectFault({ kind: 'hang', product: 'conversations' });
    const request = withDeadline(5_000, () => new GuardRequestClient(emulator.url).request({ method: 'GET', uri: 'https://conversations.twilio.com/v1/Conversations', timeout: 50 }));
    await collectGarbage();
    await expect(within(request, 1_000)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('a write Twilio applied before answering 500', () => {
  let proxy: AppliedThenFailed;
  beforeAll(async () => {
    proxy = await appliedThenFailed(emulator.url);
  });
  afterAll(() => proxy.close());

  test('a rate slot it created is not asked for again, so not taken for another instance\'s: the action holds one slot, and the failure reaches the limiter', async () => {
    const limiter = new SlotRateLimiter(new SyncSlotStore(twilioVia(ACCOUNT_SID, AUTH_TOKEN, proxy.url), 'default'));
    const window = { limit: 2, windowMs: 60_000 };
    // The rule's Map for this key is there: the slot's create is the one request.
    const group = groupParts(SlotRateLimiter.groupOf('probe', window, 0));
    await twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url).sync.v1.services('default').syncMaps.create({ uniqueName: group.map });
    const reservation = await limiter.reserve('probe', window);
    proxy.failAfterApplying({ method: 'POST', pathIncludes: '/Items' });
    await expect(limiter.commit('probe', window, reservation)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(proxy.replaced).toBe(1);
    // Twilio saw one create, applied it, and holds one slot: a repeat would have met 409 and taken a second.
    expect(productRequests().filter((e) => e.method === 'POST' && e.path.endsWith('/Items')).map((e) => e.status)).toEqual([201]);
    const items = await twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, emulator.url).sync.v1.services('default').syncMaps(group.map).syncMapItems.list();
    expect(items.map((item) => item.key)).toEqual([expect.stringMatching(new RegExp(`^${group.prefix.replace(/\./g, '\\.')}\\d+$`))]);
  });
});

describe('twilioClientFor without TWILIO_API_BASE_URL', () => {
  test('with the context credentials, a deadline-aware client of its own for Twilio itself', () => {
    const runtimeClient = { fromRuntime: true };
    const context = { ACCOUNT_SID: 'AC' + 'b'.repeat(32), AUTH_TOKEN: 'c'.repeat(32), getTwilioClient: () => runtimeClient };
    const client = twilioClientFor(context, undefined);
    expect(client).not.toBe(runtimeClient);
    expect(client.accountSid).toBe(context.ACCOUNT_SID);
  });

  test('without credentials in the context, the runtime’s context.getTwilioClient()', () => {
    const runtimeClient = { fromRuntime: true };
    expect(twilioClientFor({ getTwilioClient: () => runtimeClient }, undefined)).toBe(runtimeClient);
  });

  test('explains what is missing when the context has neither', () => {
    expect(() => twilioClientFor({}, undefined)).toThrow(/getTwilioClient.*TWILIO_API_BASE_URL/);
  });
});
