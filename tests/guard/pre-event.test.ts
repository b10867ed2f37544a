import type { Settings } from '../../src/guard/config/variables';
import type { PreEvent } from '../../src/guard/event/types';
import { handlePreEvent, type PreEventDeps } from '../../src/guard/pre-event';
import type { Violation } from '../../src/guard/rules/violation';
import { ACCOUNT_SID, conversationAdd, CONVERSATION_SID, messageAdd, participantAdd, type FormFields } from '../support/events';
import { mediaField, file } from '../support/media';
import { DEFAULTS, textOfBytes, textOfChars } from '../support/settings';
import { AUTH_TOKEN, forgedSignature, twilioSignature } from '../support/twilio-request';
import { expectViolation } from '../support/violations';

const PATH = '/conversations/pre-event';
const DOMAIN_NAME = 'guard-1234-dev.twil.io';
/** What Twilio calls, and signs, for a deployed function. */
const CALLED_URL = `https://${DOMAIN_NAME}${PATH}`;
const ENV = { ACCOUNT_SID, AUTH_TOKEN, DOMAIN_NAME };

type Env = Record<string, string>;
type Sign = 'valid' | 'forged' | 'none';

/** The event as the runtime hands it over: form fields plus `request.headers`. */
function event(fields: FormFields, sign: Sign = 'valid', url = CALLED_URL) {
  const headers: Record<string, string> = {};
  if (sign === 'valid') headers['x-twilio-signature'] = twilioSignature(AUTH_TOKEN, url, fields);
  if (sign === 'forged') headers['x-twilio-signature'] = forgedSignature(url, fields);
  return { ...fields, request: { headers, cookies: {} } };
}

const STARTED = 100;
const ELAPSED = 12.5;

async function handle(fields: FormFields, options: { env?: Env; sign?: Sign; url?: string; remote?: PreEventDeps['remote'] } = {}) {
  const lines: Record<string, unknown>[] = [];
  let calls = 0;
  const answer = await handlePreEvent(
    { event: event(fields, options.sign, options.url), env: { ...ENV, ...options.env }, path: PATH },
    { log: (line) => lines.push(line), now: () => (calls++ === 0 ? STARTED : STARTED + ELAPSED), remote: options.remote },
  );
  const decisions = lines.filter((l) => 'outcome' in l);
  return { answer, lines, decisions, decision: decisions[0] ?? {} };
}

const OVER_BODY = textOfBytes(DEFAULTS.MAX_CHAT_BODY_BYTES + 1, 'é');
const AT_BODY = textOfBytes(DEFAULTS.MAX_CHAT_BODY_BYTES, '😀');

describe('decisions', () => {
  test('a message over a limit is rejected: 403 with code, message, limit and actual', async () => {
    const { answer, decision } = await handle(messageAdd({ Body: OVER_BODY }));
    expect(answer.status).toBe(403);
    expectViolation(answer.body, { code: 'message.body.bytes', limit: DEFAULTS.MAX_CHAT_BODY_BYTES, actual: DEFAULTS.MAX_CHAT_BODY_BYTES + 1, variable: 'MAX_CHAT_BODY_BYTES' });
    expect(decision).toMatchObject({ outcome: 'reject', rule: 'message.body.bytes', mode: 'enforce', event: 'onMessageAdd', conversation: CONVERSATION_SID });
    expect(decision.reason).toBe(answer.body.message);
  });

  test('a message at the limit is allowed: 200 {}', async () => {
    const { answer, decision } = await handle(messageAdd({ Body: AT_BODY }));
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'allow', mode: 'enforce' });
    expect(decision).not.toHaveProperty('rule');
  });

  test('a participant over a limit is rejected', async () => {
    const { answer } = await handle(participantAdd({ Identity: textOfChars(DEFAULTS.MAX_IDENTITY_CHARS + 1, '😀') }));
    expect(answer.status).toBe(403);
    expectViolation(answer.body, { code: 'participant.identity.length', limit: DEFAULTS.MAX_IDENTITY_CHARS, actual: DEFAULTS.MAX_IDENTITY_CHARS + 1 });
  });

  test('a conversation over a limit is rejected; it has no ConversationSid yet', async () => {
    const { answer, decision } = await handle(conversationAdd({ FriendlyName: textOfChars(DEFAULTS.MAX_FRIENDLY_NAME_CHARS + 1, 'é') }));
    expect(answer.status).toBe(403);
    expectViolation(answer.body, { code: 'conversation.friendly-name.length', limit: DEFAULTS.MAX_FRIENDLY_NAME_CHARS, actual: DEFAULTS.MAX_FRIENDLY_NAME_CHARS + 1 });
    expect(decision).toMatchObject({ event: 'onConversationAdd', conversation: undefined });
  });

  test('shadow mode logs the rejection it would have made, and allows', async () => {
    const { answer, decision } = await handle(messageAdd({ Body: OVER_BODY }), { env: { GUARD_MODE: 'shadow' } });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'shadow-reject', mode: 'shadow', rule: 'message.body.bytes', event: 'onMessageAdd' });
    expect(decision.reason).toContain('bytes');
  });

  test('overrides from the environment apply', async () => {
    const { answer } = await handle(messageAdd({ Body: 'ééé' }), { env: { MAX_CHAT_BODY_BYTES: '5' } });
    expect(answer.status).toBe(403);
    expectViolation(answer.body, { code: 'message.body.bytes', limit: 5, actual: 6 });
  });

  test.each(['onMessageUpdated', 'onMessageAdded', 'onParticipantRemove', 'onSomethingNew'])('EventType %s is not judged: 200 {}', async (type) => {
    const { answer, decision } = await handle(messageAdd({ EventType: type, Body: OVER_BODY }));
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'ignored', event: type });
  });

  test('no EventType at all is not judged either', async () => {
    const { EventType: _type, ...fields } = messageAdd();
    const { answer, decision } = await handle(fields);
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'ignored', event: 'unknown' });
  });
});

describe('signed requests the guard cannot read: FAIL_MODE decides, never a 400', () => {
  const unreadable = [
    ['Media that is not JSON', { Media: '[{"Size":' }, 'Media', 'Media is not valid JSON.'],
    ['Media that is not an array', { Media: '{"Size":12}' }, 'Media', 'Media is not a JSON array.'],
    ['a non-numeric Media Size', { Media: '[{"Size":"twelve","ContentType":"image/png"}]' }, 'Media[0].Size', 'Media[0].Size must be a whole number of bytes.'],
  ] as const;

  test.each(unreadable)('%s, FAIL_MODE=open (default): 200 {}, logged as malformed with the field', async (_case, fields, field, message) => {
    const { answer, decision } = await handle(messageAdd(fields));
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'malformed', field, error: message, status: 200 });
  });

  test.each(unreadable)('%s, FAIL_MODE=closed: 403 request.malformed naming the field', async (_case, fields, field, message) => {
    const { answer, decision } = await handle(messageAdd(fields), { env: { FAIL_MODE: 'closed' } });
    expect(answer).toEqual({
      status: 403,
      body: { code: 'request.malformed', field, message: `The limits guard cannot read this request (${message}) and FAIL_MODE is closed.`, limit: 0, actual: 0 },
    });
    expect(decision).toMatchObject({ outcome: 'malformed', field, status: 403 });
  });

  test('a missing ConversationSid: 200 under FAIL_MODE=open, 403 under closed', async () => {
    const { ConversationSid: _sid, ...fields } = messageAdd();
    expect((await handle(fields)).answer).toEqual({ status: 200, body: {} });
    const closed = await handle(fields, { env: { FAIL_MODE: 'closed' } });
    expect(closed.answer).toMatchObject({ status: 403, body: { code: 'request.malformed', field: 'ConversationSid' } });
  });
});

describe('configuration errors', () => {
  const bad = { MAX_CHAT_BODY_BYTES: 'lots', DECISION_TIMEOUT: 'soon' };

  test.each([['open'], [undefined]])('FAIL_MODE=%p: the action goes ahead (200 {}), the error is logged', async (failMode) => {
    const { answer, decision } = await handle(messageAdd({ Body: OVER_BODY }), { env: { ...bad, ...(failMode && { FAIL_MODE: failMode }) } });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'fail-open' });
    expect(decision.error).toContain('MAX_CHAT_BODY_BYTES="lots"');
    expect(decision.error).toContain('DECISION_TIMEOUT="soon"');
  });

  test('FAIL_MODE=closed: 403 guard.unavailable', async () => {
    const { answer, decision } = await handle(messageAdd(), { env: { ...bad, FAIL_MODE: 'closed' } });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'guard.unavailable', limit: 0, actual: 0 });
    expect(answer.body.message).toMatch(/could not decide.*invalid configuration.*FAIL_MODE is closed/);
    expect(decision).toMatchObject({ outcome: 'fail-closed' });
    expect(decision.error).toContain('MAX_CHAT_BODY_BYTES="lots"');
  });

  test('a bad FAIL_MODE itself falls back to its default (open)', async () => {
    const { answer, decision } = await handle(messageAdd(), { env: { FAIL_MODE: 'shut' } });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision.error).toContain('FAIL_MODE="shut"');
  });
});

describe('signature', () => {
  test('unsigned: 401', async () => {
    const { answer, decision } = await handle(messageAdd(), { sign: 'none' });
    expect(answer).toEqual({ status: 401, body: { code: 'request.signature', message: 'The request has no X-Twilio-Signature header.' } });
    expect(decision).toMatchObject({ outcome: 'unauthorized', reason: 'missing' });
  });

  test('forged (another auth token): 401, naming the URL it was checked against', async () => {
    const { answer, decision } = await handle(messageAdd(), { sign: 'forged' });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ code: 'request.signature', message: `The X-Twilio-Signature does not match this request to ${CALLED_URL}.` });
    expect(decision).toMatchObject({ outcome: 'unauthorized', reason: 'invalid' });
  });

  test('a parameter changed after signing: 401', async () => {
    const fields = messageAdd({ Body: 'short' });
    const signature = twilioSignature(AUTH_TOKEN, CALLED_URL, fields);
    const lines: unknown[] = [];
    const answer = await handlePreEvent(
      { event: { ...fields, Body: OVER_BODY, request: { headers: { 'x-twilio-signature': signature } } }, env: ENV, path: PATH },
      { log: (l) => lines.push(l) },
    );
    expect(answer.status).toBe(401);
  });

  test('an over-limit request with a bad signature is answered 401 and never judged', async () => {
    const { answer, decision } = await handle(messageAdd({ Body: OVER_BODY }), { sign: 'forged' });
    expect(answer.status).toBe(401);
    expect(decision).not.toHaveProperty('rule');
  });

  test('no AUTH_TOKEN is the guard\'s fault, not the caller\'s: FAIL_MODE decides, and the log says how to fix it', async () => {
    const remote = jest.fn();
    const open = await handle(messageAdd({ Body: OVER_BODY }), { env: { AUTH_TOKEN: '' }, remote });
    expect(open.answer).toEqual({ status: 200, body: {} });
    expect(open.decision).toMatchObject({ outcome: 'fail-open' });
    expect(open.decision.error).toContain('AUTH_TOKEN is not set');
    expect(open.decision.error).toContain('SIGNATURE_CHECK=off');
    expect(remote).not.toHaveBeenCalled();

    const closed = await handle(messageAdd(), { env: { AUTH_TOKEN: '', FAIL_MODE: 'closed' } });
    expect(closed.answer.status).toBe(403);
    expect(closed.answer.body).toMatchObject({ code: 'guard.unavailable' });
    expect(closed.decision).toMatchObject({ outcome: 'fail-closed' });
  });

  test('form values that are not strings (a parsed query such as x[toString]=1) are refused, not thrown on', async () => {
    const lines: Record<string, unknown>[] = [];
    const event = { ...messageAdd(), x: { toString: '1' }, request: { headers: { 'x-twilio-signature': 'c2lnbmF0dXJl' }, cookies: {} } };
    const answer = await handlePreEvent({ event, env: ENV, path: PATH }, { log: (line) => lines.push(line) });
    expect(answer.status).toBe(401);
    expect(lines).toContainEqual(expect.objectContaining({ outcome: 'unauthorized', reason: 'invalid' }));
  });

  test('served locally (DOMAIN_NAME localhost:<port>) the signed URL is http', async () => {
    const local = 'http://localhost:3000' + PATH;
    expect((await handle(messageAdd(), { env: { DOMAIN_NAME: 'localhost:3000' }, url: local })).answer.status).toBe(200);
    expect((await handle(messageAdd(), { env: { DOMAIN_NAME: 'localhost:3000' }, url: CALLED_URL })).answer.status).toBe(401);
  });

  test('WEBHOOK_BASE_URL replaces the domain in the URL that must be signed', async () => {
    const base = 'https://guard.example.ngrok.app';
    const env = { WEBHOOK_BASE_URL: `${base}/` };
    expect((await handle(messageAdd(), { env, url: base + PATH })).answer).toEqual({ status: 200, body: {} });
    const wrong = await handle(messageAdd(), { env, url: CALLED_URL });
    expect(wrong.answer.status).toBe(401);
    expect(wrong.answer.body.message).toContain(base + PATH);
  });

  test('SIGNATURE_CHECK=off: unsigned requests are judged, and each logs a warning', async () => {
    const { answer, lines, decisions } = await handle(messageAdd({ Body: OVER_BODY }), { env: { SIGNATURE_CHECK: 'off', AUTH_TOKEN: '' }, sign: 'none' });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('message.body.bytes');
    const warnings = lines.filter((l) => 'warning' in l);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.warning).toContain('SIGNATURE_CHECK=off');
    expect(decisions).toHaveLength(1);
  });

  test('SIGNATURE_CHECK=on (the default) logs no warning', async () => {
    const { lines } = await handle(messageAdd());
    expect(lines.filter((l) => 'warning' in l)).toEqual([]);
  });
});

describe('exactly one decision line per request, with event, conversation, outcome, mode and ms', () => {
  const over = messageAdd({ Body: OVER_BODY });
  test.each([
    ['allow', messageAdd(), {}, 'valid', 'enforce', undefined],
    ['reject', over, {}, 'valid', 'enforce', 'message.body.bytes'],
    ['shadow-reject', over, { GUARD_MODE: 'shadow' }, 'valid', 'shadow', 'message.body.bytes'],
    ['ignored', messageAdd({ EventType: 'onMessageUpdated' }), {}, 'valid', 'enforce', undefined],
    ['malformed', messageAdd({ Media: 'nope' }), {}, 'valid', 'enforce', undefined],
    ['unauthorized', over, {}, 'forged', 'enforce', undefined],
    ['fail-open', over, { GUARD_MODE: 'loud' }, 'valid', 'enforce', undefined],
    ['fail-closed', over, { GUARD_MODE: 'loud', FAIL_MODE: 'closed' }, 'valid', 'enforce', undefined],
  ] as const)('%s', async (outcome, fields, env, sign, mode, rule) => {
    const { decisions } = await handle(fields, { env, sign });
    expect(decisions).toHaveLength(1);
    const line = decisions[0]!;
    expect(line).toMatchObject({ outcome, mode, event: fields.EventType, conversation: CONVERSATION_SID, ms: ELAPSED });
    if (rule) expect(line.rule).toBe(rule);
    else expect(line).not.toHaveProperty('rule');
    expect(JSON.parse(JSON.stringify(line))).toEqual(line); // one JSON line
  });
});

describe('remote rules (facts from the REST API) and FAIL_MODE', () => {
  const remoteViolation: Violation = { code: 'participant.count', message: 'The conversation has 1,000 participants; Twilio allows at most 1,000.', limit: 1000, actual: 1001 };
  /** A remote half made of one rule, which sees the parsed event, the settings and the deadline's signal. */
  type RemoteRule = (event: PreEvent, settings: Settings, signal: AbortSignal) => Promise<Violation | undefined>;
  const judge =
    (rule: RemoteRule): PreEventDeps['remote'] =>
    (settings) => ({
      confirmAuthor: async (event) => event,
      judge: async (event, _policy, signal) => ({ violation: await rule(event, settings, signal), notes: [] }),
    });

  test('an inbound message over a rate rule is rejected whatever INBOUND_POLICY says: rate rules are set to reject', async () => {
    const rate: Violation = { code: 'rate.inbound', message: 'Too many messages.', limit: 5, actual: 6 };
    const inbound = messageAdd({ Body: OVER_BODY }, 'sms');
    const { answer, decision } = await handle(inbound, { remote: judge(async () => rate) });
    expect(answer).toEqual({ status: 403, body: rate });
    expect(decision).toMatchObject({ outcome: 'reject', rule: 'rate.inbound', channel: 'sms' });
  });

  test("a remote rule's violation is answered like any other", async () => {
    const { answer, decision } = await handle(participantAdd(), { remote: judge(async () => remoteViolation) });
    expect(answer).toEqual({ status: 403, body: remoteViolation });
    expect(decision).toMatchObject({ outcome: 'reject', rule: 'participant.count' });
  });

  test('remote rules are not asked when a payload rule already rejects', async () => {
    const remote = jest.fn(async () => remoteViolation);
    const { answer } = await handle(messageAdd({ Body: OVER_BODY }), { remote: judge(remote) });
    expect(answer.body.code).toBe('message.body.bytes');
    expect(remote).not.toHaveBeenCalled();
  });

  test('remote rules receive the parsed event and the settings', async () => {
    const remote = jest.fn<Promise<Violation | undefined>, [PreEvent, Settings, AbortSignal]>(async () => undefined);
    await handle(messageAdd({ Body: 'hi' }), { env: { MAX_SMS_BODY_CHARS: '10' }, remote: judge(remote) });
    expect(remote).toHaveBeenCalledTimes(1);
    const [parsed, settings] = remote.mock.calls[0]!;
    expect(parsed).toMatchObject({ type: 'onMessageAdd', body: 'hi', conversationSid: CONVERSATION_SID });
    expect(settings.MAX_SMS_BODY_CHARS).toBe(10);
  });

  const failing = judge(async () => {
    throw new Error('Sync is down');
  });

  test('a failing remote rule: FAIL_MODE=open allows', async () => {
    const { answer, decision } = await handle(messageAdd(), { remote: failing });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'fail-open', error: 'Error: Sync is down' });
  });

  test('a failing remote rule: FAIL_MODE=closed answers 403 guard.unavailable', async () => {
    const { answer, decision } = await handle(messageAdd(), { env: { FAIL_MODE: 'closed' }, remote: failing });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'guard.unavailable' });
    expect(answer.body.message).toContain('Sync is down');
    expect(decision).toMatchObject({ outcome: 'fail-closed' });
  });

  test('a failing remote rule in shadow mode allows even with FAIL_MODE=closed', async () => {
    const { answer, decision } = await handle(messageAdd(), { env: { FAIL_MODE: 'closed', GUARD_MODE: 'shadow' }, remote: failing });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'fail-open', mode: 'shadow' });
  });

  test('a remote rule slower than DECISION_TIMEOUT is abandoned and its signal aborted', async () => {
    let signal: AbortSignal | undefined;
    const slow = judge(
      (_event, _settings, s) =>
        new Promise((resolve) => {
          signal = s;
          setTimeout(() => resolve(remoteViolation), 2_000).unref();
        }),
    );
    const { answer, decision } = await handle(messageAdd(), { env: { DECISION_TIMEOUT: '50ms', FAIL_MODE: 'closed' }, remote: slow });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'guard.unavailable' });
    expect(answer.body.message).toContain('DECISION_TIMEOUT (50 ms)');
    expect(decision).toMatchObject({ outcome: 'fail-closed' });
    expect(signal?.aborted).toBe(true);
  });

  test('media from the webhook reaches the rules as typed items', async () => {
    const remote = jest.fn<Promise<Violation | undefined>, [PreEvent, Settings, AbortSignal]>(async () => undefined);
    await handle(messageAdd({ Media: mediaField([file('png', 77)]) }), { remote: judge(remote) });
    expect(remote.mock.calls[0]![0]).toMatchObject({ media: [{ size: 77, contentType: 'image/png' }] });
  });
});

describe('shadow mode never rejects, whatever would have been answered', () => {
  const shadow = { GUARD_MODE: 'shadow' };

  test('a forged signature: 200 {} without a decision, logged as unauthorized with the answer it would have had', async () => {
    const remote = jest.fn();
    const { answer, decision } = await handle(messageAdd({ Body: OVER_BODY }), { env: shadow, sign: 'forged', remote });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'unauthorized', mode: 'shadow', wouldAnswer: 401 });
    expect(remote).not.toHaveBeenCalled();
  });

  test('a malformed Media field, even with FAIL_MODE=closed: 200 {}, logged as malformed', async () => {
    const { answer, decision } = await handle(messageAdd({ Media: '{"not":"an array"}' }), { env: { ...shadow, FAIL_MODE: 'closed' } });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'malformed', mode: 'shadow', field: 'Media' });
  });

  test('an invalid configuration with FAIL_MODE=closed still allows in shadow mode', async () => {
    const { answer, decision } = await handle(messageAdd(), { env: { ...shadow, FAIL_MODE: 'closed', MAX_CHAT_BODY_BYTES: 'lots' } });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ outcome: 'fail-open', mode: 'shadow' });
  });
});

test('SIGNATURE_CHECK=off warns on every request, even when the configuration is invalid', async () => {
  const { answer, lines } = await handle(messageAdd(), { env: { SIGNATURE_CHECK: 'off', MAX_CHAT_BODY_BYTES: 'lots' }, sign: 'none' });
  expect(answer).toEqual({ status: 200, body: {} });
  expect(lines).toContainEqual(expect.objectContaining({ warning: expect.stringContaining('SIGNATURE_CHECK=off') }));
});

describe('updates (JUDGE_UPDATES=on) are held to the field limits of their adds, without counts or rates', () => {
  const env = { JUDGE_UPDATES: 'on' };

  test.each([
    ['onMessageUpdate', () => messageAdd({ EventType: 'onMessageUpdate', Body: OVER_BODY })],
    ['onParticipantUpdate', () => participantAdd({ EventType: 'onParticipantUpdate', Attributes: `{"a":"${'x'.repeat(DEFAULTS.MAX_PARTICIPANT_ATTRIBUTES_BYTES)}"}` })],
  ])('%s with JUDGE_UPDATES unset (off): 200 {}, ignored, even over a limit', async (eventType, fields) => {
    const remote = jest.fn();
    const { answer, decision } = await handle(fields(), { remote });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ event: eventType, outcome: 'ignored' });
    expect(remote).not.toHaveBeenCalled();
  });

  test.each([
    ['onMessageUpdate', () => messageAdd({ EventType: 'onMessageUpdate', Body: OVER_BODY }), 'message.body.bytes'],
    ['onParticipantUpdate', () => participantAdd({ EventType: 'onParticipantUpdate', Attributes: `{"a":"${'x'.repeat(DEFAULTS.MAX_PARTICIPANT_ATTRIBUTES_BYTES)}"}` }), 'participant.attributes.bytes'],
    ['onConversationUpdate', () => conversationAdd({ EventType: 'onConversationUpdate', FriendlyName: 'n'.repeat(DEFAULTS.MAX_FRIENDLY_NAME_CHARS + 1) }), 'conversation.friendly-name.length'],
  ])('%s over a limit: 403 with the add\'s rule; no remote request', async (eventType, fields, code) => {
    const remote = jest.fn();
    const { answer, decision } = await handle(fields(), { remote, env });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code });
    expect(decision).toMatchObject({ event: eventType, outcome: 'reject', rule: code });
    expect(remote).not.toHaveBeenCalled();
  });

  test('an update within the limits is allowed without any remote request', async () => {
    const remote = jest.fn();
    const { answer, decision } = await handle(messageAdd({ EventType: 'onMessageUpdate', Body: AT_BODY }), { remote, env });
    expect(answer).toEqual({ status: 200, body: {} });
    expect(decision).toMatchObject({ event: 'onMessageUpdate', outcome: 'allow' });
    expect(remote).not.toHaveBeenCalled();
  });
});
