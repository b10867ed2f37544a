import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { EmulatorProcess } from './emulator-process';
import { SERVICE } from './scenarios';

export const LOAD_AUTH_TOKEN = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
export const PRE_EVENT = '/conversations/pre-event';
export const EMPTY_FUNCTION_PATH = '/load/empty';
/** A function that answers `{}` and does nothing else: what the runtime itself costs. */
export const EMPTY_FUNCTION = 'exports.handler = (context, event, callback) => callback(null, {});\n';

/**
 * The runtime's settings for the load run: the built-in rate rules off, so a plain text costs no
 * remote request, and one RATE_LIMITS rule that only SMS authors meet, so one scenario uses Sync.
 */
export const LOAD_RATE_LIMITS = 'sms-per-conversation=30/1s per conversation from sms';
export const loadEnv = (apiBaseUrl: string): Record<string, string> => ({
  AUTH_TOKEN: LOAD_AUTH_TOKEN,
  TWILIO_API_BASE_URL: apiBaseUrl,
  RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'off',
  RATE_LIMIT_CONVERSATIONS_PER_SERVICE: 'off',
  RATE_LIMITS: LOAD_RATE_LIMITS,
});

export interface SignedRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export interface LoadScenario {
  name: string;
  path: string;
  /** The answer every request should get. */
  expect: { status: number; code?: string };
  /** Requests cycled through during the run; distinct conversations or identities where it matters. */
  requests: SignedRequest[];
  /** Sent before the run, outside the measure: what makes the Sync objects the scenario's decisions find. */
  warmUp?: SignedRequest[];
}

const sid = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(32, '0')}`;

function signed(runtimeUrl: string, path: string, params: Record<string, string>): SignedRequest {
  const signature = getExpectedTwilioSignature(LOAD_AUTH_TOKEN, `${runtimeUrl}${path}`, params);
  return { path, body: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' } };
}

const message = (conversation: number, extra: Record<string, string> = {}) => ({
  EventType: 'onMessageAdd',
  ChatServiceSid: SERVICE,
  ConversationSid: sid('CH', conversation),
  Author: 'member-0',
  Source: 'SDK',
  Body: 'Hello there',
  Attributes: '{}',
  ...extra,
});

/** Conversations and identities the participant scenario cycles through. */
const JOIN_CONVERSATIONS = 200;
const JOIN_IDENTITIES = 100;
/** Distinct conversations of the rate scenario: each sees about one message per second at most. */
const RATE_CONVERSATIONS = 5000;
/**
 * Other conversations whose first messages, before the run, create the rule's bucket Maps (128: 600
 * keys leave each one unmade with a chance of (127/128)^600, under 1%): the run's keys are all new,
 * their rule's Sync objects there.
 */
const RATE_WARM_UP_CONVERSATIONS = 600;

/**
 * The scenarios, signed for the runtime at `runtimeUrl`. The participant scenario's conversations
 * are seeded in the emulator (5 chat members each), as its decision lists their participants.
 */
export async function loadScenarios(runtimeUrl: string, emulator: EmulatorProcess): Promise<LoadScenario[]> {
  const sign = (path: string, params: Record<string, string>) => signed(runtimeUrl, path, params);
  const joinConversations = await emulator.conversations(Array.from({ length: JOIN_CONVERSATIONS }, () => ({ serviceSid: SERVICE })));
  for (const conversation of joinConversations) await emulator.participants(conversation, Array.from({ length: 5 }, (_, i) => ({ identity: `member-${i}` })));
  return [
    { name: 'empty function (same runtime)', path: EMPTY_FUNCTION_PATH, expect: { status: 200 }, requests: [sign(EMPTY_FUNCTION_PATH, message(1))] },
    { name: 'onMessageAdd, short text, accepted', path: PRE_EVENT, expect: { status: 200 }, requests: [sign(PRE_EVENT, message(1))] },
    { name: 'onMessageAdd, 33 KB body, rejected', path: PRE_EVENT, expect: { status: 403, code: 'message.body.bytes' }, requests: [sign(PRE_EVENT, message(1, { Body: 'x'.repeat(33 * 1024) }))] },
    {
      name: `onMessageAdd from SMS, rate rule in Sync (${RATE_CONVERSATIONS} new conversations, the rule's Maps made by ${RATE_WARM_UP_CONVERSATIONS} others first)`,
      path: PRE_EVENT,
      expect: { status: 200 },
      requests: Array.from({ length: RATE_CONVERSATIONS }, (_, i) => sign(PRE_EVENT, message(i + 1, { Author: '+15551230000', Source: 'SMS' }))),
      warmUp: Array.from({ length: RATE_WARM_UP_CONVERSATIONS }, (_, i) => sign(PRE_EVENT, message(RATE_CONVERSATIONS + i + 1, { Author: '+15551230000', Source: 'SMS' }))),
    },
    {
      name: `onParticipantAdd, chat identity, tally in Sync (${JOIN_IDENTITIES} identities × ${JOIN_CONVERSATIONS} conversations)`,
      path: PRE_EVENT,
      expect: { status: 200 },
      // Identity varies fastest, so an identity's tally document is written about once per 100 decisions.
      requests: Array.from({ length: JOIN_IDENTITIES * JOIN_CONVERSATIONS }, (_, i) =>
        sign(PRE_EVENT, { EventType: 'onParticipantAdd', ChatServiceSid: SERVICE, ConversationSid: joinConversations[Math.floor(i / JOIN_IDENTITIES)]!, Identity: `agent-${i % JOIN_IDENTITIES}`, Attributes: '{}', Source: 'SDK' }),
      ),
    },
  ];
}
