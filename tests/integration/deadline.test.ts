/**
 * DECISION_TIMEOUT and FAIL_MODE through the real local Functions runtime: when the remote facts hang
 * or fail, the guard answers well before Twilio's 5-second webhook timeout, the way FAIL_MODE says.
 */
import { startEmulator, type Emulator, type Fault } from '../../emulator';
import { CHAT_SERVICE_SID, messageAdd, participantAdd, type FormFields } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import { textOfChars } from '../support/settings';
import { conversationsRequests, runtimeEnv, seedMembers } from '../support/state-emulator';

const DECISION_TIMEOUT_MS = 300;
/** Far below Twilio's 5 s, generous for a loaded test machine (the answer includes a process fork). */
const ANSWER_WITHIN_MS = 2000;

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

async function timed(runtime: Runtime, params: FormFields): Promise<RuntimeResponse & { elapsed: number }> {
  const started = performance.now();
  const res = await runtime.post(PRE_EVENT_PATH, params);
  return { ...res, elapsed: performance.now() - started };
}

/** A message that needs the participant list: 1601 characters may not reach SMS participants. */
function riskyMessage(): FormFields {
  const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
  seedMembers(emulator, sid, { chat: 2, sms: 1 });
  return messageAdd({ ConversationSid: sid, Body: textOfChars(1601) });
}

/** A chat join: reads the participant list (Conversations) and the identity tally (Sync). */
function chatJoin(): FormFields {
  const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
  seedMembers(emulator, sid, { chat: 2 });
  return participantAdd({ ConversationSid: sid, Identity: 'bob' });
}

const failures: Array<[string, Fault, () => FormFields, RegExp]> = [
  ['Conversations hangs (onMessageAdd)', { kind: 'hang', product: 'conversations' }, riskyMessage, /DECISION_TIMEOUT \(300 ms\)/],
  ['Conversations hangs (onParticipantAdd)', { kind: 'hang', product: 'conversations' }, chatJoin, /DECISION_TIMEOUT \(300 ms\)/],
  ['Sync hangs on the identity tally (onParticipantAdd)', { kind: 'hang', product: 'sync' }, chatJoin, /DECISION_TIMEOUT \(300 ms\)/],
  ['Conversations answers 500 (onMessageAdd)', { kind: 'status', status: 500, product: 'conversations' }, riskyMessage, /500/],
  ['Conversations answers 500 (onParticipantAdd)', { kind: 'status', status: 500, product: 'conversations' }, chatJoin, /500/],
];

describe.each(['open', 'closed'] as const)('FAIL_MODE=%s, DECISION_TIMEOUT=300ms', (mode) => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: mode, DECISION_TIMEOUT: `${DECISION_TIMEOUT_MS}ms` }));
  });
  afterAll(() => runtime.stop());

  test.each(failures)('%s: answered within 2 s, per FAIL_MODE', async (_name, fault, request, error) => {
    const params = request();
    emulator.injectFault(fault);
    const res = await timed(runtime, params);

    expect(res.elapsed).toBeLessThan(ANSWER_WITHIN_MS);
    if (mode === 'open') {
      expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    } else {
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'guard.unavailable', limit: 0, actual: 0, message: expect.stringContaining('FAIL_MODE is closed') });
    }
    const line = res.logs.find((l) => l.outcome === `fail-${mode}`);
    expect(line).toMatchObject({ outcome: `fail-${mode}`, error: expect.stringMatching(error) });
    if (fault.kind === 'hang') {
      // The guard waited for its deadline, not for Twilio's.
      expect(line!.ms).toBeGreaterThanOrEqual(DECISION_TIMEOUT_MS - 5);
      expect(line!.ms).toBeLessThan(ANSWER_WITHIN_MS);
      expect(emulator.log.some((e) => e.product === fault.product && e.status === 0)).toBe(true); // still hanging
    }
  });

  test('a short text needs no remote fact, so a hanging Conversations API does not matter', async () => {
    const params = riskyMessage();
    emulator.injectFault({ kind: 'hang', product: 'conversations' });
    const res = await timed(runtime, { ...params, Body: 'hello' });
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'allow' }));
    expect(conversationsRequests(emulator)).toHaveLength(0);
  });

  test('a payload rule still rejects while the Conversations API hangs', async () => {
    const params = riskyMessage();
    emulator.injectFault({ kind: 'hang', product: 'conversations' });
    const res = await timed(runtime, { ...params, Body: textOfChars(32_769) });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'message.body.bytes' });
    expect(conversationsRequests(emulator)).toHaveLength(0);
  });

  test('a Conversations API slower than the deadline (latency, not a hang) also ends in FAIL_MODE', async () => {
    const params = riskyMessage();
    emulator.setLatency(1500, { product: 'conversations' });
    const res = await timed(runtime, params);
    expect(res.elapsed).toBeLessThan(1500);
    expect(res.status).toBe(mode === 'open' ? 200 : 403);
    expect(res.logs).toContainEqual(expect.objectContaining({ outcome: `fail-${mode}` }));
  });

  test('a Conversations API within the deadline decides normally', async () => {
    const params = riskyMessage();
    emulator.setLatency(50, { product: 'conversations' });
    const res = await timed(runtime, params);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'message.fanout.sms.body-chars' });
  });
});

describe('the deadline is real: nothing is written after the answer, and bookkeeping never decides', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: 'closed', DECISION_TIMEOUT: '500ms', RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1m' }), { forkProcess: false });
  });
  afterAll(() => runtime.stop());

  test('a join whose participant listing takes 1.5 s: 403 guard.unavailable at 0.5 s, and no Sync write lands, then or later', async () => {
    const params = chatJoin();
    emulator.setLatency(1500, { product: 'conversations', pathIncludes: '/Participants' });
    const res = await timed(runtime, params);
    const answeredAt = Date.now();
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'guard.unavailable' });
    expect(res.elapsed).toBeLessThan(ANSWER_WITHIN_MS);
    // The rate slots and the tally were read in round one; their writes would come after the listing.
    expect(emulator.log.some((e) => e.product === 'sync' && e.method === 'GET')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    const writes = emulator.log.filter((e) => e.product === 'sync' && e.method !== 'GET');
    // Only the rejection counters, flushed before the answer; no rate slot, no tally entry.
    expect(writes.map((e) => e.object)).toEqual([expect.stringContaining('guard_rejections_')]);
    expect(writes.every((e) => e.at < answeredAt)).toBe(true);
    // The listing was abandoned on the way: the emulator never served it.
    expect(emulator.log.filter((e) => e.path.endsWith('/Participants')).map((e) => e.status)).toEqual([499]);
    expect(Date.now()).toBeGreaterThan(answeredAt + 1_500);
  });

  test('Sync writes answering 429 while reads work: a join that breaks no limit is allowed, the failed tally write only logged', async () => {
    const params = participantAdd({ ConversationSid: emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID }), Identity: 'dora' });
    // Every write but the rate slot's (a Map item) fails: the identity tally is a Sync document.
    emulator.injectFault({ kind: 'status', status: 429, product: 'sync', method: 'POST', pathIncludes: '/Documents' });
    const res = await timed(runtime, params);
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ warning: expect.stringContaining('identity tally not updated') }));
    expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'allow' }));
  });

  test('the identity tally unreadable (Sync reads 503): the count is taken exactly from the REST API instead', async () => {
    const params = participantAdd({ ConversationSid: emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID }), Identity: 'erin' });
    emulator.injectFault({ kind: 'status', status: 503, product: 'sync', method: 'GET', pathIncludes: '/Documents' });
    const res = await timed(runtime, params);
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(conversationsRequests(emulator).some((e) => e.path.endsWith('/ParticipantConversations'))).toBe(true);
  });
});
