/**
 * Property-based fuzzing of both functions, served by the real local Functions runtime and backed by
 * the emulator: thousands of random and malformed webhook requests (see tests/support/fuzz-requests.ts)
 * and, for every one of them, the answer is a documented 2xx/4xx (never a 5xx), arrives within
 * DECISION_TIMEOUT plus a margin, and is the documented JSON whenever the function answers. The
 * runtime is still up and deciding correctly afterwards, and no error ever escaped a function.
 *
 *   FUZZ_HTTP_RUNS=5000 FUZZ_SEED=42 npx jest tests/reliability/webhook-fuzz.test.ts
 *
 * FUZZ_HTTP_RUNS: requests per warm runtime (two of them; default 150). FUZZ_FORKED_RUNS: requests
 * to a runtime that forks a process per request, as twilio-run does by default (default 1: a smoke
 * test of that mode, each request starting a Node process).
 * FUZZ_SEED: fast-check's seed (default fixed, printed); a failure prints the seed and path to replay.
 */
import { verbose } from '../support/verbose';
import fc from 'fast-check';
import { startEmulator, type Emulator } from '../../emulator';
import { CHAT_SERVICE_SID, messageAdd } from '../support/events';
import { webhookRequest, type FuzzOptions, type FuzzWorld } from '../support/fuzz-requests';
import { judgeAnswer, sendRaw, type RawWebhookRequest } from '../support/fuzz-webhook';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { runtimeEnv, seedMembers } from '../support/state-emulator';
import { AUTH_TOKEN, formBody } from '../support/twilio-request';

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 150);
const FORKED_RUNS = Number(process.env.FUZZ_FORKED_RUNS ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);
/** Sync's share (40%, 800 ms) keeps the liveness checks' rate-rule writes far from it on a busy machine. */
const DECISION_TIMEOUT_MS = 2000;
/**
 * No hang: answered before Twilio's own 5 s wait. The deadline plus a due rejection-count flush (at
 * most 1 s) and parsing a few MB leave about 2 s to spare, so a machine at half speed still holds.
 */
const ANSWER_WITHIN_MS = 5000;
/** A forked request also starts a Node process (twilio-run's local default; deployed instances are warm). */
const FORKED_ANSWER_WITHIN_MS = ANSWER_WITHIN_MS + 3000;

jest.setTimeout(Math.max(120_000, (RUNS * 2 + FORKED_RUNS * 50) * 30));

let emulator: Emulator;
let world: FuzzWorld;

beforeAll(async () => {
  emulator = await startEmulator();
  const conversation = (members: Parameters<typeof seedMembers>[2]) => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, members);
    return sid;
  };
  world = {
    conversations: [
      conversation({ chat: 2, sms: 1, whatsapp: 1 }),
      conversation({ chat: 120 }), // two pages of participants
      conversation({ chat: 1, groupMms: 2, projected: 1 }),
      conversation({}),
    ],
  };
});
afterAll(() => emulator?.close());

verbose(`webhook fuzzing: FUZZ_SEED=${SEED}, FUZZ_HTTP_RUNS=${RUNS} per in-process runtime, FUZZ_FORKED_RUNS=${FORKED_RUNS}`);

interface Tally {
  requests: number;
  kinds: Record<string, number>;
  slowestMs: number;
}

/** Sends every generated request, failing (and shrinking) on the first answer that breaks the contract. */
async function fuzz(runtime: Runtime, runs: number, withinMs: number, options: FuzzOptions): Promise<Tally> {
  const tally: Tally = { requests: 0, kinds: {}, slowestMs: 0 };
  await fc.assert(
    fc.asyncProperty(webhookRequest(world, options), async (req: RawWebhookRequest) => {
      tally.requests += 1;
      const answer = await sendRaw(runtime.port, req, AUTH_TOKEN, withinMs);
      tally.slowestMs = Math.max(tally.slowestMs, answer.elapsedMs);
      const verdict = judgeAnswer(req, answer);
      if (!verdict.ok) throw new Error(verdict.problem);
      tally.kinds[verdict.kind] = (tally.kinds[verdict.kind] ?? 0) + 1;
    }),
    { numRuns: runs, seed: SEED },
  );
  return tally;
}

function report(name: string, tally: Tally) {
  const kinds = Object.entries(tally.kinds)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, n]) => `  ${String(n).padStart(6)}  ${kind}`)
    .join('\n');
  verbose(`${name}: ${tally.requests} requests, slowest answer ${Math.round(tally.slowestMs)} ms\n${kinds}`);
}

/** The runtime still decides, both ways, after the fuzzing. */
async function expectStillDeciding(runtime: Runtime) {
  // A conversation of its own, so no rate rule counts what the fuzzing sent.
  const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
  for (const [body, status, code] of [
    ['hello', 200, undefined],
    ['a'.repeat(32_769), 403, 'message.body.bytes'],
  ] as const) {
    const req: RawWebhookRequest = {
      path: PRE_EVENT_PATH,
      contentType: 'application/x-www-form-urlencoded',
      body: Buffer.from(formBody(messageAdd({ ConversationSid: sid, Body: body, Author: 'liveness-check', ClientIdentity: 'liveness-check' }))),
      signature: 'valid',
    };
    const answer = await sendRaw(runtime.port, req, AUTH_TOKEN, ANSWER_WITHIN_MS);
    expect({ status: answer.status, code: (JSON.parse(answer.text) as { code?: string }).code }).toEqual({ status, code });
  }
}

/** Output of the runtime that shows an error thrown out of a function (the runtime logs those). */
const escapedErrors = (runtime: Runtime) => runtime.output.filter((line) => line.includes('dist/functions'));

describe.each<{ name: string; env: Record<string, string>; options: FuzzOptions }>([
  {
    name: 'signatures checked, FAIL_MODE=open, rate rules on',
    env: { FAIL_MODE: 'open', MAX_SMS_SEGMENTS: '3', RATE_LIMIT_MESSAGES_PER_AUTHOR: '20/1s', RATE_LIMITS: 'email-actions=5/1s per conversation from email' },
    options: { signatures: true },
  },
  {
    name: 'SIGNATURE_CHECK=off (every value reaches the parser), FAIL_MODE=closed, Flex switches on',
    env: { SIGNATURE_CHECK: 'off', FAIL_MODE: 'closed', FLEX_ONE_ATTACHMENT_PER_MESSAGE: 'true', FLEX_NO_TEXT_WITH_IMAGE: 'true', MAX_PARTICIPANTS: '100' },
    options: { signatures: false },
  },
])('in-process runtime, $name', ({ name, env, options }) => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(
      runtimeEnv(emulator, { RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1s', RATE_LIMIT_CONVERSATIONS_PER_SERVICE: '30/1s', DECISION_TIMEOUT: `${DECISION_TIMEOUT_MS}ms`, ...env }),
      { forkProcess: false },
    );
  });
  afterAll(() => runtime?.stop());

  test(`${RUNS} random requests: documented 2xx/4xx answers, each within ${ANSWER_WITHIN_MS} ms`, async () => {
    const tally = await fuzz(runtime, RUNS, ANSWER_WITHIN_MS, options);
    report(name, tally);
    expect(tally.requests).toBeGreaterThanOrEqual(RUNS);
    // The fuzzing reached the rules, not only the signature check and the parser.
    expect(Object.keys(tally.kinds).some((k) => k.startsWith('403 '))).toBe(true);
    // Unreadable requests were made, and answered per FAIL_MODE (never 400: see judgeAnswer).
    if (env.FAIL_MODE === 'closed') expect(tally.kinds['403 request.malformed']).toBeGreaterThan(0);
  });

  test('afterwards the runtime still decides, and no error escaped a function', async () => {
    await expectStillDeciding(runtime);
    expect(escapedErrors(runtime)).toEqual([]);
  });
});

describe('bodies the runtime refuses before the function runs', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { DECISION_TIMEOUT: `${DECISION_TIMEOUT_MS}ms` }), { forkProcess: false });
  });
  afterAll(() => runtime?.stop());

  test.each([
    ['a form over the 6 MB body limit', `Body=${'a'.repeat(6 * 1024 * 1024 + 1)}`, 413],
    ['a form of more than 1000 fields', Array.from({ length: 1001 }, (_, i) => `f${i}=x`).join('&'), 413],
  ])('%s: a 4xx, and the runtime keeps answering', async (_name, body, status) => {
    const answer = await sendRaw(runtime.port, { path: PRE_EVENT_PATH, contentType: 'application/x-www-form-urlencoded', body: Buffer.from(body), signature: 'missing' }, AUTH_TOKEN, ANSWER_WITHIN_MS);
    expect(answer.status).toBe(status);
    await expectStillDeciding(runtime);
  });
});

describe('runtime forking a process per request, as twilio-run does by default', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { DECISION_TIMEOUT: `${DECISION_TIMEOUT_MS}ms` }), { forkProcess: true });
  });
  afterAll(() => runtime?.stop());

  test(`${FORKED_RUNS} random requests: documented answers, each within ${FORKED_ANSWER_WITHIN_MS} ms`, async () => {
    const tally = await fuzz(runtime, FORKED_RUNS, FORKED_ANSWER_WITHIN_MS, { signatures: true });
    report('forked runtime', tally);
    expect(tally.requests).toBeGreaterThanOrEqual(FORKED_RUNS);
    await expectStillDeciding(runtime);
    expect(escapedErrors(runtime)).toEqual([]);
  });
});
