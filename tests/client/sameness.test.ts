/**
 * The limits-client module gives the webhook's verdict: for thousands of random settings, drafts and
 * conversations, checkDraft (the built dist/assets/limits-client.js, fed the JSON of /limits) equals
 * what the pre-event webhook answers for the same message. The webhook runs in process, whole: the
 * signed request through handlePreEvent, the real remote judge with its participant listing served by
 * a stand-in Twilio client that lists the case's participants in a shuffled order.
 *
 *   FUZZ_RUNS=20000 FUZZ_SEED=7 npx jest tests/client/sameness.test.ts
 *
 * FUZZ_RUNS: cases (default 2000). FUZZ_SEED: fast-check's seed (default fixed, printed).
 * tests/integration/limits-client.test.ts plays a sample through the real runtime and emulator.
 */
import { verbose } from '../support/verbose';
import fc from 'fast-check';
import type { Twilio } from 'twilio';
import { handleLimits } from '../../src/guard/limits-endpoint';
import { handlePreEvent } from '../../src/guard/pre-event';
import { remoteJudge, type RemoteDeps } from '../../src/guard/remote';
import type { Violation } from '../../src/guard/rules/violation';
import { clientVerdict, draftCase, loadBuiltClient, participantsOf, webhookFields, webhookVerdict, type DraftCase, type ListedParticipant } from '../support/drafts';
import { ACCOUNT_SID } from '../support/events';
import { publishedRules } from '../support/published';
import { AUTH_TOKEN, twilioSignature } from '../support/twilio-request';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);
jest.setTimeout(Math.max(60_000, RUNS * 30));

const PATH = '/conversations/pre-event';
const DOMAIN_NAME = 'guard-1234-dev.twil.io';
const URL = `https://${DOMAIN_NAME}${PATH}`;
/** Rate rules off (out of the module's scope), and FAIL_MODE=closed, so no failure can pass for an allow. */
const BASE_ENV = { ACCOUNT_SID, AUTH_TOKEN, DOMAIN_NAME, FAIL_MODE: 'closed', RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'off', RATE_LIMIT_CONVERSATIONS_PER_SERVICE: 'off', RATE_LIMIT_MESSAGES_PER_AUTHOR: 'off' };

/** The rate gate with no rule to apply (rate rules are off): nothing to reserve, nothing refused. */
const NO_RATE_RULES = { reserve: async () => [], commit: async () => undefined } as unknown as RemoteDeps['rate'];

/** A twilio-node client as far as the guard's participant listing uses it. */
function listingClient(participants: ListedParticipant[], calls: { n: number }): Twilio {
  // One page holds them all: the list is read with page(), as twilio-node's page of instances.
  const conversation = () => ({ participants: { page: async () => (calls.n++, { instances: participants }) } });
  return { conversations: { v1: { services: () => ({ conversations: conversation }), conversations: conversation } } } as unknown as Twilio;
}

async function webhookAnswer(c: DraftCase, env: Record<string, string>, calls: { n: number }) {
  const fields = webhookFields(c.draft);
  const event = { ...fields, request: { headers: { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, URL, fields) }, cookies: {} } };
  const store = () => {
    throw new Error('no Sync: rate rules are out of the module\'s scope');
  };
  return handlePreEvent(
    { event, env, path: PATH },
    { log: () => undefined, remote: (settings) => remoteJudge(settings, { client: () => listingClient(participantsOf(c), calls), store, log: () => undefined, rate: NO_RATE_RULES }) },
  );
}

const client = loadBuiltClient();

test(`checkDraft equals the webhook's answer (FUZZ_SEED=${SEED}, FUZZ_RUNS=${RUNS})`, async () => {
  verbose(`limits-client sameness: FUZZ_SEED=${SEED}, FUZZ_RUNS=${RUNS}`);
  const seen = { allowed: 0, rejected: new Map<string, number>(), listings: 0, unlisted: new Set<string>() };
  await fc.assert(
    fc.asyncProperty(draftCase(), async (c) => {
      const env = { ...BASE_ENV, ...c.env } as Record<string, string>;
      const calls = { n: 0 };
      const answer = await webhookAnswer(c, env, calls);
      const limits = JSON.parse(JSON.stringify(handleLimits({ event: {}, env }, { log: () => undefined }).body));
      const expected = webhookVerdict(answer.status, answer.body);
      expect(expected).not.toBe('unexpected');
      expect(clientVerdict(client, limits, c)).toEqual(expected);

      seen.listings += calls.n;
      if (expected === undefined) seen.allowed += 1;
      else {
        const v = expected as Violation;
        seen.rejected.set(v.code, (seen.rejected.get(v.code) ?? 0) + 1);
        // Every rejection names a limit /limits lists, with the same variable.
        if (!publishedRules(limits).some((row) => row.rule === v.code && row.variable === v.variable)) seen.unlisted.add(`${v.code} ${v.variable}`);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );

  const rejected = [...seen.rejected.values()].reduce((a, b) => a + b, 0);
  verbose(`limits-client sameness: ${seen.allowed} allowed, ${rejected} rejected by ${seen.rejected.size} rules, ${seen.listings} participant listings`, Object.fromEntries([...seen.rejected].sort((a, b) => b[1] - a[1])));
  expect([...seen.unlisted]).toEqual([]);
  // The cases are worth something: both answers are common, and rejections come from many rules,
  // delivery rules (which need the participant listing) among them.
  expect(seen.allowed).toBeGreaterThan(RUNS * 0.15);
  expect(rejected).toBeGreaterThan(RUNS * 0.15);
  expect(seen.rejected.size).toBeGreaterThanOrEqual(20);
  expect([...seen.rejected.keys()].filter((code) => code.startsWith('message.fanout.')).length).toBeGreaterThanOrEqual(10);
});
