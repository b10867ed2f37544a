import type { Outcome } from './counts';

export interface Rejection {
  rule: string;
  outcome: Outcome;
}

/**
 * The rejection a decision log line reports, if any: every answer but 200 is a rejection Twilio
 * shows the user, and in shadow mode the one the guard would have answered.
 */
export function rejectionIn(line: Readonly<Record<string, unknown>>): Rejection | undefined {
  const outcome: Outcome = line.mode === 'shadow' ? 'shadow' : 'enforced';
  switch (line.outcome) {
    case 'reject':
    case 'shadow-reject':
      return typeof line.rule === 'string' ? { rule: line.rule, outcome } : undefined;
    case 'malformed':
      // Under FAIL_MODE=open an unreadable request is let through: not a rejection.
      return line.status === 200 ? undefined : { rule: 'request.malformed', outcome };
    case 'unauthorized':
      return { rule: 'request.signature', outcome };
    case 'contended':
      return typeof line.rule === 'string' ? { rule: line.rule, outcome } : undefined;
    case 'fail-closed':
      return { rule: 'guard.unavailable', outcome };
    default:
      return undefined;
  }
}
