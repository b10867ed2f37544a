/**
 * The post-event function under the same faults as the pre-event: Twilio ignores its answer, but it
 * must still give one, 200 `{}`, before Twilio's 5-second webhook timeout, and log what failed
 * (`outcome: 'error'`). tests/integration/post-event.test.ts covers Sync answering 503.
 */
import { startEmulator, type Emulator, type Fault } from '../../emulator';
import { syncName } from '../../src/guard/store/names';
import { ACCOUNT_SID, CHAT_SERVICE_SID } from '../support/events';
import { POST_EVENT_PATH, sendRaw } from '../support/fuzz-webhook';
import { startRuntime, type Runtime } from '../support/runtime';
import { runtimeEnv, seedMembers } from '../support/state-emulator';
import { AUTH_TOKEN, formBody } from '../support/twilio-request';

/**
 * Twilio's webhook timeout: an answer after it is no answer, so this bound is the point. The guard's
 * tally work stops at a 4 s timer; what follows it is milliseconds of work, so the second to spare
 * holds on a machine at half speed.
 */
const TWILIO_TIMEOUT_MS = 5000;

let emulator: Emulator;
let runtime: Runtime;
beforeAll(async () => {
  emulator = await startEmulator();
  runtime = await startRuntime(runtimeEnv(emulator, { DECISION_TIMEOUT: '300ms' }), { forkProcess: false });
});
afterAll(async () => {
  await runtime?.stop();
  await emulator?.close();
});
beforeEach(() => emulator.reset());

/** onParticipantAdded of a new identity: reads and rebuilds its tally (Conversations, then Sync). */
function participantAdded(): Record<string, string> {
  const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
  seedMembers(emulator, sid, { chat: 2 });
  return {
    AccountSid: ACCOUNT_SID,
    ChatServiceSid: CHAT_SERVICE_SID,
    EventType: 'onParticipantAdded',
    ConversationSid: sid,
    Identity: `added-${sid.slice(-6)}`,
    ParticipantSid: 'MB' + '2'.repeat(32),
  };
}

const ANSWERED: Array<[string, Fault]> = [
  ['Sync throttled (429 / 54009)', { kind: 'status', status: 429, code: 54009, product: 'sync' }],
  ['Sync answers 200 with broken JSON', { kind: 'invalid-json', product: 'sync' }],
  ['Conversations answers 500', { kind: 'status', status: 500, product: 'conversations' }],
  ['Conversations answers 200 with broken JSON', { kind: 'invalid-json', product: 'conversations' }],
];

test.each(ANSWERED)('%s: 200 {} and the failure logged', async (_name, fault) => {
  const params = participantAdded();
  emulator.injectFault(fault);
  const started = performance.now();
  const res = await runtime.post(POST_EVENT_PATH, params);
  expect(performance.now() - started).toBeLessThan(TWILIO_TIMEOUT_MS);
  expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: {} });
  expect(res.logs).toContainEqual(expect.objectContaining({ event: 'onParticipantAdded', outcome: 'error' }));
});

// Sent raw, after the cases above: an unanswered request would hold up the runtime harness's queue.
// Both at once, so the test waits out one budget, not two. The tally reads Sync first, so the request
// whose Sync document hangs never reaches ParticipantConversations, and only the other one meets that
// fault (each also reads its conversation's one page of participants, for the page index).
test('Sync or Conversations does not answer: 200 {} before Twilio gives up (5 s)', async () => {
  const syncHangs = participantAdded();
  const conversationsHangs = participantAdded();
  emulator.injectFault({ kind: 'hang', product: 'sync', pathIncludes: syncName('identity', CHAT_SERVICE_SID, syncHangs.Identity!) });
  emulator.injectFault({ kind: 'hang', product: 'conversations', pathIncludes: '/ParticipantConversations' });
  const answers = await Promise.all(
    [syncHangs, conversationsHangs].map(async (params) => {
      const request = { path: POST_EVENT_PATH, contentType: 'application/x-www-form-urlencoded', body: Buffer.from(formBody(params)), signature: 'valid' as const };
      const answer = await sendRaw(runtime.port, request, AUTH_TOKEN, TWILIO_TIMEOUT_MS);
      return { status: answer.status, body: JSON.parse(answer.text) as unknown };
    }),
  );
  expect(answers).toEqual([
    { status: 200, body: {} },
    { status: 200, body: {} },
  ]);
  // Each fault was met: the two requests hung where they were meant to.
  const hung = emulator.log.filter((entry) => entry.status === 0).map((entry) => entry.product);
  expect(hung.sort()).toEqual(['conversations', 'sync']);
});
