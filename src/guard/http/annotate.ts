import type { Violation } from '../rules/violation';
import { utf8Bytes } from '../text/measure';

/** The key of the message Attributes under which the guard writes what an inbound message breaks. */
export const ANNOTATION_KEY = 'limitsGuard';

/** What an agent's UI reads from a message's Attributes: `attributes.limitsGuard.violations`. */
export interface Annotation {
  violations: Array<Pick<Violation, 'code' | 'message' | 'limit' | 'actual'>>;
}

/**
 * The message's own Attributes, every key kept, with the violations added under {@link ANNOTATION_KEY}:
 * the JSON string a 200 pre-event answer returns as `attributes`. Undefined when that cannot be done
 * without harm: Attributes that are not a JSON object (their keys could not all be kept), or a result
 * over `maxBytes` even with the first violation alone (Twilio would refuse the message instead).
 */
export function annotatedAttributes(attributes: string, violations: readonly Violation[], maxBytes: number): string | undefined {
  let own: unknown = {};
  if (attributes.trim() !== '') {
    try {
      own = JSON.parse(attributes);
    } catch {
      return undefined;
    }
  }
  if (typeof own !== 'object' || own === null || Array.isArray(own)) return undefined;
  const notes = violations.map(({ code, message, limit, actual }) => ({ code, message, limit, actual }));
  for (const kept of [notes, notes.slice(0, 1)]) {
    const text = JSON.stringify({ ...own, [ANNOTATION_KEY]: { violations: kept } satisfies Annotation });
    if (utf8Bytes(text) <= maxBytes) return text;
  }
  return undefined;
}
