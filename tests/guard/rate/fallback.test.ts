/**
 * When Sync cannot count (429 / 54009, 5xx, no answer), through the whole decision: handlePreEvent
 * with the function's own wiring (remoteFor: twilio-node redirected to the emulator, the module's
 * insurance limiter), as one warm instance handles successive requests.
 */
import { startEmulator, type Emulator } from '../../../emulator';
import type { Fault } from '../../../emulator';
import { handlePreEvent } from '../../../src/guard/pre-event';
import { remoteFor } from '../../../src/guard/runtime/wiring';
import { ACCOUNT_SID, messageAdd } from '../../support/events';
import { AUTH_TOKEN, twilioSignature } from '../../support/twilio-request';

const PATH = '/conversations/pre-event';
const DOMAIN_NAME = 'guard-1234-dev.twil.io';
/**
 * The deadline when Sync answers at once (its share, 40%, is 1.2 s: far more than an in-process
 * answer needs on a busy machine, so the error seen is the fault's), and when it never answers.
 */
const DECISION_TIMEOUT_MS = 3_000;
const HANG_DECISION_TIMEOUT_MS = 1_000;
/** Twilio's own wait for a webhook: the answer must come before it; each deadline is well inside it. */
const TWILIO_TIMEOUT_MS = 5_000;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

let conversations = 0;
/** A conversation no other test used: the wiring's insurance limiter lives as long as this module. */
const freshConversation = () => 'CH' + String(++conversations).padStart(4, '0') + 'f'.repeat(28);

async function handle(conversationSid: string, env: Record<string, string>) {
  const fields = messageAdd({ ConversationSid: conversationSid });
  const headers = { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, `https://${DOMAIN_NAME}${PATH}`, fields) };
  const fullEnv = {
    ACCOUNT_SID,
    AUTH_TOKEN,
    DOMAIN_NAME,
    TWILIO_API_BASE_URL: emu.url,
    DECISION_TIMEOUT: `${DECISION_TIMEOUT_MS}ms`,
    RATE_LIMIT_ACTIONS_PER_CONVERSATION: '2/10s',
    ...env,
  };
  const lines: Record<string, unknown>[] = [];
  const log = (line: Record<string, unknown>) => lines.push(line);
  const started = Date.now();
  const answer = await handlePreEvent({ event: { ...fields, request: { headers, cookies: {} } }, env: fullEnv, path: PATH }, { log, remote: remoteFor(fullEnv, log) });
  return { answer, lines, ms: Date.now() - started, decision: lines.find((l) => 'outcome' in l) ?? {} };
}

const FAULTS: Array<[string, Fault, RegExp, number]> = [
  ['throttled (429 / 54009)', { kind: 'status', status: 429, code: 54009, product: 'sync' }, /429 \/ 54009/, DECISION_TIMEOUT_MS],
  ['failing (500)', { kind: 'status', status: 500, product: 'sync' }, /500 \/ 20500/, DECISION_TIMEOUT_MS],
  // Sync's share of the deadline: 40%.
  ['not answering', { kind: 'hang', product: 'sync' }, new RegExp(`did not answer within ${HANG_DECISION_TIMEOUT_MS * 0.4} ms`), HANG_DECISION_TIMEOUT_MS],
];

describe.each(FAULTS)('Sync %s', (_kind, fault, detail, timeoutMs) => {
  const env = (mode: string) => ({ FAIL_MODE: mode, DECISION_TIMEOUT: `${timeoutMs}ms` });

  test('FAIL_MODE=open: allowed before Twilio gives up, and the log says the insurance limiter decided', async () => {
    emu.injectFault(fault);
    const { answer, lines, ms, decision } = await handle(freshConversation(), env('open'));
    expect(answer).toEqual({ status: 200, body: {} });
    expect(ms).toBeLessThan(TWILIO_TIMEOUT_MS);
    expect(lines).toContainEqual({ warning: 'rate counter unavailable, insurance limiter used', rule: 'rate.actions-per-conversation', error: expect.stringMatching(detail), insurance: 'admit' });
    expect(decision).toMatchObject({ outcome: 'fail-open', error: expect.stringMatching(/^RateStoreUnavailableError: rate\.actions-per-conversation: /) });
    expect(emu.log.some((e) => e.product === 'sync')).toBe(true);
  });

  test('FAIL_MODE=closed: 403 guard.unavailable, before Twilio gives up', async () => {
    emu.injectFault(fault);
    const { answer, ms, decision } = await handle(freshConversation(), env('closed'));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'guard.unavailable', message: expect.stringMatching(detail) });
    expect(answer.body.message).toContain('FAIL_MODE is closed');
    expect(ms).toBeLessThan(TWILIO_TIMEOUT_MS);
    expect(decision).toMatchObject({ outcome: 'fail-closed' });
  });
});

test('FAIL_MODE=open, Sync throttled throughout: once this instance\'s insurance limiter is full, the rate rule rejects', async () => {
  emu.injectFault({ kind: 'status', status: 429, code: 54009, product: 'sync' });
  const conversation = freshConversation();
  expect((await handle(conversation, { FAIL_MODE: 'open' })).answer).toEqual({ status: 200, body: {} });
  expect((await handle(conversation, { FAIL_MODE: 'open' })).answer).toEqual({ status: 200, body: {} });
  const third = await handle(conversation, { FAIL_MODE: 'open' });
  expect(third.answer.status).toBe(403);
  expect(third.answer.body).toMatchObject({ code: 'rate.actions-per-conversation', variable: 'RATE_LIMIT_ACTIONS_PER_CONVERSATION', limit: 2 });
  expect(third.answer.body.retryAfterMs).toBeGreaterThan(0);
  expect(third.lines).toContainEqual(expect.objectContaining({ warning: 'rate counter unavailable, insurance limiter used', insurance: 'deny' }));
  expect(third.decision).toMatchObject({ outcome: 'reject', rule: 'rate.actions-per-conversation' });
  // A conversation this instance has not seen is still let through (Sync still failing).
  expect((await handle(freshConversation(), { FAIL_MODE: 'open' })).answer.status).toBe(200);
});

test('Sync answering again after a failure: it decides again, from what it recorded', async () => {
  const conversation = freshConversation();
  emu.injectFault({ kind: 'status', status: 500, product: 'sync' });
  expect((await handle(conversation, { FAIL_MODE: 'open' })).decision).toMatchObject({ outcome: 'fail-open' });
  emu.clearFaults();
  // Sync answers again: its counter starts from what it saw (nothing), the limit is 2.
  expect((await handle(conversation, { FAIL_MODE: 'open' })).decision).toMatchObject({ outcome: 'allow' });
  expect((await handle(conversation, { FAIL_MODE: 'open' })).decision).toMatchObject({ outcome: 'allow' });
  expect((await handle(conversation, { FAIL_MODE: 'open' })).answer.body).toMatchObject({ code: 'rate.actions-per-conversation' });
});
