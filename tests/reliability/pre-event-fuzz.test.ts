/**
 * The pre-event decision fuzzed in process, thousands of cases (FUZZ_RUNS per configuration): random,
 * missing, oversized and broken fields (the field generators of the HTTP fuzz, sized up to a little
 * over the limits), handed to handlePreEvent as the runtime hands them. Whatever arrives, the answer
 * is a documented one: 200 `{}` or annotated, 403 with a rule id and its figures, never a 400 or 5xx,
 * and never a throw. The HTTP half (webhook-fuzz.test.ts) covers huge bodies and the runtime around it.
 */
import fc from 'fast-check';
import { handlePreEvent } from '../../src/guard/pre-event';
import { CONVERSATION_SID } from '../support/events';
import { eventParams } from '../support/fuzz-requests';
import { judgeAnswer, type RawWebhookRequest } from '../support/fuzz-webhook';
import { verbose } from '../support/verbose';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

const requests = eventParams({ conversations: [CONVERSATION_SID] });
/** For judgeAnswer: a form request the function answers itself, without a signature to check. */
const FORM: RawWebhookRequest = { path: '/conversations/pre-event', contentType: 'application/x-www-form-urlencoded', body: Buffer.alloc(0), signature: 'missing' };

test.each([
  ['FAIL_MODE=open', { FAIL_MODE: 'open' }],
  ['FAIL_MODE=closed, Flex switches on, INBOUND_POLICY=reject', { FAIL_MODE: 'closed', FLEX_ONE_ATTACHMENT_PER_MESSAGE: 'true', FLEX_NO_TEXT_WITH_IMAGE: 'true', INBOUND_POLICY: 'reject' }],
  ['updates judged, shadow mode', { JUDGE_UPDATES: 'on', GUARD_MODE: 'shadow' }],
])(`${RUNS} random requests, %s: only documented answers, never a throw`, async (_name, env) => {
  const kinds = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(requests, async (params) => {
      const event = { ...params, request: { headers: {}, cookies: {} } };
      const answer = await handlePreEvent({ event, env: { SIGNATURE_CHECK: 'off', ...env }, path: '/conversations/pre-event' }, { log: () => undefined });
      const verdict = judgeAnswer(FORM, { status: answer.status, contentType: 'application/json', text: JSON.stringify(answer.body), elapsedMs: 0 });
      if (!verdict.ok) throw new Error(verdict.problem);
      kinds.set(verdict.kind, (kinds.get(verdict.kind) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  verbose(_name, Object.fromEntries(kinds));
  // The fuzzing reached the rules, on several kinds of event, not only the parser.
  const ruleKinds = [...kinds.keys()].filter((k) => /^403 (message|participant|conversation)\./.test(k));
  expect(ruleKinds.length).toBeGreaterThanOrEqual('GUARD_MODE' in env ? 0 : 5);
  expect(kinds.get('200 allow') ?? 0).toBeGreaterThan(RUNS / 10);
});
