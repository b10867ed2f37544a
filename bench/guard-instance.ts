import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { Answer } from '../src/guard/http/answer';
import { join } from 'node:path';
import { answerPreEvent } from '../src/guard/runtime/answer-pre-event';

const AUTH_TOKEN = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const PATH = '/conversations/pre-event';
const DOMAIN = 'localhost:3000';

export interface Timed {
  answer: Answer;
  ms: number;
  /** `allow`, or the rejection code. */
  outcome: string;
}

/**
 * A copy of the guard's modules of its own, as another Functions instance has: its own rate limiter
 * memory, insurance limiter and counters. (Node's module cache is what a warm instance keeps.)
 */
function separateInstance(): typeof answerPreEvent {
  const src = join(__dirname, '..', 'src');
  for (const path of Object.keys(require.cache)) if (path.startsWith(src)) delete require.cache[path];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../src/guard/runtime/answer-pre-event') as { answerPreEvent: typeof answerPreEvent }).answerPreEvent;
}

/**
 * The pre-event function as a warm deployed instance runs it (what its entry point runs, rejection
 * counters included): one module instance, many requests, each signed and form-shaped as Twilio sends
 * it. Decision logs are kept, not printed. `separate`: with module state of its own, as another instance.
 */
export function guardInstance(apiBaseUrl: string, env: Record<string, string> = {}, options: { separate?: boolean } = {}) {
  const answer = options.separate ? separateInstance() : answerPreEvent;
  const context = { AUTH_TOKEN, DOMAIN_NAME: DOMAIN, TWILIO_API_BASE_URL: apiBaseUrl, ...env };
  const lines: Record<string, unknown>[] = [];
  const log = (line: Record<string, unknown>) => void lines.push(line);
  return {
    lines,
    async decide(params: Record<string, string>): Promise<Timed> {
      const signature = getExpectedTwilioSignature(AUTH_TOKEN, `http://${DOMAIN}${PATH}`, params);
      const event = { ...params, request: { headers: { 'x-twilio-signature': signature }, cookies: {} } };
      const started = performance.now();
      const result = await answer(context, event, log);
      const ms = performance.now() - started;
      return { answer: result, ms, outcome: result.status === 200 ? 'allow' : String(result.body.code) };
    },
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
