import ms from 'ms';
import type { RawEvent } from '../event/parse';
import { LOGGED_OUTCOMES } from './record';
import type { LogQuery } from './search';

/** The longest value a search parameter may have: an identity or address is at most 256 characters (MAX_IDENTITY_CHARS, MAX_ADDRESS_CHARS by default). */
const MAX_PARAMETER_CHARS = 256;

/** The parameters of a log search, as /status takes them in its query string and the script as flags. */
export const QUERY_PARAMETERS = ['conversation', 'identity', 'rule', 'outcome', 'since'] as const;

/**
 * `since` as a duration back from `now` (`1h`, `30m`, `7d`) or a date (`2026-12-01`,
 * `2026-12-01T09:30:00Z`): epoch milliseconds, or an error sentence.
 */
export function parseSince(raw: string, now: number): number | { error: string } {
  const value = raw.trim();
  const back = /^\d+$/.test(value) ? undefined : (ms(value as ms.StringValue) as number | undefined);
  if (typeof back === 'number' && Number.isFinite(back) && back > 0) return now - back;
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isNaN(date)) return date;
  return { error: `since=${raw} is neither a duration back from now (such as 1h, 30m or 7d) nor a date (such as 2026-12-01 or 2026-12-01T09:30:00Z).` };
}

/**
 * The log search a request asks for (any of {@link QUERY_PARAMETERS} given), undefined when it asks
 * for none, or an error sentence naming the parameter and the expected form.
 */
export function parseLogQuery(event: RawEvent, now: number): LogQuery | { error: string } | undefined {
  const given = QUERY_PARAMETERS.filter((name) => event[name] !== undefined);
  if (given.length === 0) return undefined;
  const query: LogQuery = {};
  for (const name of given) {
    const raw = event[name];
    if (typeof raw !== 'string' || raw.trim() === '') return { error: `${name} must be given once, with a value.` };
    // A `+` left unencoded in a query string arrives as a space: `?identity=+1555…` means the number.
    const value = name === 'identity' && /^ \d/.test(raw) ? `+${raw.trim()}` : raw.trim();
    if (value.length > MAX_PARAMETER_CHARS) return { error: `${name} is ${value.length} characters; a search takes at most ${MAX_PARAMETER_CHARS}.` };
    if (name === 'since') {
      const since = parseSince(value, now);
      if (typeof since === 'object') return since;
      query.since = since;
    } else if (name === 'outcome') {
      if (!(LOGGED_OUTCOMES as readonly string[]).includes(value)) return { error: `outcome=${value} is not one the log keeps: ${LOGGED_OUTCOMES.join(', ')}.` };
      query.outcome = value;
    } else {
      query[name] = value;
    }
  }
  return query;
}
