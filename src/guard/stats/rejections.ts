import type { Answer } from '../http/answer';
import type { Outcome } from './counts';

/** A rejection as the counters keep it: the rule (the answer's code) and how it reached the caller. */
export interface Rejection {
  rule: string;
  outcome: Outcome;
}

/**
 * The rejection an answer the guard decided on is, if any: every answer but 200 is a rejection
 * Twilio shows the user (a rule's 403, `request.signature`, `request.malformed`, `guard.unavailable`).
 * `answer` is the one decided before shadow mode replaces it by an allow, so in shadow mode it is
 * the rejection the guard would have answered.
 */
export function rejectionOf(answer: Answer, mode: string): Rejection | undefined {
  if (answer.status === 200) return undefined;
  const rule = typeof answer.body.code === 'string' ? answer.body.code : `http.${answer.status}`;
  return { rule, outcome: mode === 'shadow' ? 'shadow' : 'enforced' };
}
