import type { VariableName } from '../config/variables';
import type { Channel } from '../limits/channels';

/** Why an action is rejected: what the webhook answers in its 403 body. */
export interface Violation {
  /** Stable rule id, e.g. `message.body.bytes`. */
  code: string;
  /** One sentence a person understands. */
  message: string;
  limit: number;
  actual: number;
  /** The environment variable that sets this limit. */
  variable?: VariableName;
  /** The channel the limit belongs to, when it is channel-specific. */
  channel?: Channel;
  /** For file types: the extensions the channel accepts. */
  accepted?: readonly string[];
  /** For rate limits: when the action may be retried. */
  retryAfterMs?: number;
}

const number = new Intl.NumberFormat('en-US');
export const formatCount = (n: number) => number.format(n);

/**
 * A violation when `actual` exceeds `limit`, with a sentence of the form
 * "<what> is <actual> <unit>; <by> allows at most <limit>."
 */
export function overLimit(spec: {
  code: string;
  variable?: VariableName;
  channel?: Channel;
  what: string;
  unit: string;
  actual: number;
  limit: number;
  /** Who sets the limit, as the subject of "… allows at most N". */
  by?: string;
}): Violation | undefined {
  if (spec.actual <= spec.limit) return undefined;
  return {
    code: spec.code,
    message: `${spec.what} is ${formatCount(spec.actual)} ${spec.unit}; ${spec.by ?? 'Twilio'} allows at most ${formatCount(spec.limit)}.`,
    limit: spec.limit,
    actual: spec.actual,
    ...(spec.variable && { variable: spec.variable }),
    ...(spec.channel && { channel: spec.channel }),
  };
}

/** The first violation of a list of checks, evaluated lazily in order. */
export function firstViolation(checks: Iterable<() => Violation | undefined>): Violation | undefined {
  for (const check of checks) {
    const violation = check();
    if (violation) return violation;
  }
  return undefined;
}
