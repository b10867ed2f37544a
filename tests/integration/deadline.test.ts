/**
 * DECISION_TIMEOUT and FAIL_MODE through the real local Functions runtime: when the remote facts hang
 * or fail, the guard answers well before Twilio's 5-second webhook timeout, the way FAIL_MODE says.
 */
import { startEmulator, type Emulator, type Fault } from '../../emulator';
import { CHAT_SERVICE_SID, messageAdd, participantAdd, type FormFields } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import { textOfChars } from '../support/settings';
import { conversationsRequests, runtimeEnv, seedMembers } from '../support/state-emulator';
import { waitFor } from '../support/wait';

/** Met only by requests that hang or are held: a slower machine can only make them later. */
const DECISION_TIMEOUT_MS = 300;
/**
 * Twilio's own wait for a webhook: the guard must answer before it. The 300 ms deadline plus a due
 * rejection-count flush (at most 1 s) is well under half of it, so half speed still holds.
 */
const TWILIO_TIMEOUT_MS = 5000;

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

function expectFailMode(res: RuntimeResponse, mode: 'open' | 'closed', error: RegExp) {
  if (mode === 'open') {
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
  } else {
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'guard.unavailable', limit: 0, actual: 0, message: expect.stringContaining('FAIL_MODE is closed') });
  }
  const line = res.logs.find((l) => l.outcome === `fail-${mode}`);
  expect(line).toMatchObject({ outcome: `fail-${mode}`, error: expect.stringMatching(error) });
  return line!;
}

/** One decision that reads both APIs, so the function's Twilio client and connections are ready. */
async function warmUp(runtime: Runtime) {
  await runtime.post(PRE_EVENT_PATH, chatJoin());
  emulator.reset();
}

const hangs: Array<[string, Fault, () => FormFields]> = [
  ['Conversations hangs (onMessageAdd)', { kind: 'hang', product: 'conversations' }, riskyMessage],
  ['Conversations hangs (onParticipantAdd)', { kind: 'hang', product: 'conversations' }, chatJoin],
  ['Sync hangs on the identity tally (onParticipantAdd)', { kind: 'hang', product: 'sync' }, chatJoin],
];

const answeredFaults: Array<[string, Fault, () => FormFields]> = [
  ['Conversations answers 500 (onMessageAdd)', { kind: 'status', status: 500, product: 'conversations' }, riskyMessage],
  ['Conversations answers 500 (onParticipantAdd)', { kind: 'status', status: 500, product: 'conversations' }, chatJoin],
];

describe.each(['open', 'closed'] as const)('FAIL_MODE=%s', (mode) => {
  describe(`DECISION_TIMEOUT=${DECISION_TIMEOUT_MS}ms`, () => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: mode, DECISION_TIMEOUT: `${DECISION_TIMEOUT_MS}ms` }));
      // Warm, as a deployed instance is: the Twilio client loaded, so that under this short deadline
      // every request the tests expect is sent, however busy the machine.
      await warmUp(runtime);
    });
    afterAll(() => runtime.stop());

    test.each(hangs)("%s: answered at the guard's deadline, per FAIL_MODE", async (_name, fault, request) => {
      const params = request();
      emulator.injectFault(fault);
      const res = await timed(runtime, params);

      expect(res.elapsed).toBeLessThan(TWILIO_TIMEOUT_MS);
      const line = expectFailMode(res, mode, new RegExp(`DECISION_TIMEOUT \\(${DECISION_TIMEOUT_MS} ms\\)`));
      // The guard waited for its own deadline (timers never fire early), and Twilio had still not answered.
      expect(line.ms).toBeGreaterThanOrEqual(DECISION_TIMEOUT_MS - 5);
      expect(emulator.log.some((e) => e.product === fault.product && e.status === 0)).toBe(true);
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

    test('a Conversations API slower than the deadline (held, then answering) also ends in FAIL_MODE', async () => {
      const params = riskyMessage();
      const hold = emulator.hold({ product: 'conversations' });
      const res = await timed(runtime, params);
      // The answer came while Twilio's was still held: the deadline, not Twilio, ended the decision.
      expect(hold.waiting).toBe(1);
      hold.release();
      expect(res.status).toBe(mode === 'open' ? 200 : 403);
      expectFailMode(res, mode, new RegExp(`DECISION_TIMEOUT \\(${DECISION_TIMEOUT_MS} ms\\)`));
    });
  });

  describe('default DECISION_TIMEOUT (3 s)', () => {
    let runtime: Runtime;
    beforeAll(async () => {
      runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: mode }));
    });
    afterAll(() => runtime.stop());

    test.each(answeredFaults)('%s: the error is named, per FAIL_MODE', async (_name, fault, request) => {
      const params = request();
      emulator.injectFault(fault);
      const res = await timed(runtime, params);
      expect(res.elapsed).toBeLessThan(TWILIO_TIMEOUT_MS);
      expectFailMode(res, mode, /500/);
    });

    test('a Conversations API within the deadline decides normally', async () => {
      const params = riskyMessage();
      emulator.setLatency(50, { product: 'conversations' });
      const res = await timed(runtime, params);
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'message.fanout.sms.body-chars' });
      expect(conversationsRequests(emulator).every((e) => e.delayMs === 50)).toBe(true);
    });
  });
});

describe('the deadline is real: nothing is written after the answer', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    // No rejection counters, so that every Sync write the emulator sees would be the decision's.
    runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: 'closed', DECISION_TIMEOUT: '500ms', RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1m', STATUS_COUNTERS: 'off', REJECTION_LOG: 'off' }));
  });
  afterAll(() => runtime.stop());

  test('a join whose participant listing Twilio holds past the deadline: 403 guard.unavailable, and no Sync write lands after the answer, then or after Twilio answers', async () => {
    const params = chatJoin();
    const listing = emulator.hold({ product: 'conversations', pathIncludes: '/Participants' });
    const syncWrites = () => emulator.log.filter((e) => e.product === 'sync' && e.method !== 'GET').map((e) => `${e.method} ${e.path} ${e.status}`);
    const res = await timed(runtime, params);
    // Only the join's ledger entry, sent beside the reads, landed before the answer (its Map created
    // first, this identity's first join): the refused join counts as a phantom until the tally's rebuild.
    const beforeAnswer = syncWrites();
    expect(beforeAnswer.every((w) => /^POST \/sync\/v1\/Services\/default\/Maps(\/guard_joins_\w+\/Items)? (201|404)$/.test(w))).toBe(true);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ code: 'guard.unavailable' });
    expect(res.elapsed).toBeLessThan(TWILIO_TIMEOUT_MS);
    // The rate slots and the tally were read in round one; their writes would come after the listing.
    expect(emulator.log.some((e) => e.product === 'sync' && e.method === 'GET')).toBe(true);
    expect(listing.waiting).toBe(1);

    // The guard abandoned the listing at its deadline: Twilio sees the client go (499), then answers.
    await waitFor(() => emulator.log.some((e) => e.path.endsWith('/Participants') && e.status === 499), { what: 'the guard to abandon the listing' });
    listing.release();
    // A decision still running would write right after its listing: give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(syncWrites()).toEqual(beforeAnswer);
  });
});

describe('bookkeeping never decides (FAIL_MODE=closed, default DECISION_TIMEOUT)', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { FAIL_MODE: 'closed', RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1m' }));
  });
  afterAll(() => runtime.stop());

  test('Sync writes answering 429 while reads work: a join that breaks no limit is allowed, the failed tally write only logged', async () => {
    const params = participantAdd({ ConversationSid: emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID }), Identity: 'dora' });
    // Every write but the rate slot's (a Map item) fails: the identity tally is a Sync document.
    emulator.injectFault({ kind: 'status', status: 429, product: 'sync', method: 'POST', pathIncludes: '/Documents' });
    const res = await timed(runtime, params);
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ warning: expect.stringContaining('identity tally not updated') }));
    expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'allow' }));
  });

  test('a tally write Twilio holds past the deadline: the join every rule admitted is allowed, and the write, abandoned at the answer, never lands', async () => {
    const params = participantAdd({ ConversationSid: emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID }), Identity: 'fay' });
    // The rate slot is a Map item; the identity tally the only Sync document written.
    const tallyWrite = emulator.hold({ product: 'sync', method: 'POST', pathIncludes: '/Documents' });
    const res = await timed(runtime, params);
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(res.logs).toContainEqual(expect.objectContaining({ warning: expect.stringContaining('identity tally not updated in time') }));
    expect(res.logs).toContainEqual(expect.objectContaining({ outcome: 'allow' }));
    expect(tallyWrite.waiting).toBe(1);
    // The guard abandoned the write at its answer: Twilio sees the client go (499), then answers.
    await waitFor(() => emulator.log.some((e) => e.path.includes('/Documents') && e.method === 'POST' && e.status === 499), { what: 'the guard to abandon the tally write' });
    tallyWrite.release();
    expect(emulator.log.filter((e) => e.path.includes('/Documents') && e.method === 'POST').map((e) => e.status)).toEqual([499]);
  });

  test('the identity tally unreadable (Sync reads 503): the count is taken exactly from the REST API instead', async () => {
    const params = participantAdd({ ConversationSid: emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID }), Identity: 'erin' });
    emulator.injectFault({ kind: 'status', status: 503, product: 'sync', method: 'GET', pathIncludes: '/Documents' });
    const res = await timed(runtime, params);
    expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
    expect(conversationsRequests(emulator).some((e) => e.path.endsWith('/ParticipantConversations'))).toBe(true);
  });
});
