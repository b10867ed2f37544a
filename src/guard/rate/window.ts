import ms from 'ms';

/** At most `limit` actions in any window of `windowMs` milliseconds. */
export interface Window {
  limit: number;
  windowMs: number;
}

/** The shortest period a rate rule may have: Sync answers in tens of milliseconds. */
const MIN_PERIOD_MS = 1000;
/** Sync's TTL ceiling (one year), in seconds: no Sync object outlives its last write by longer. */
export const MAX_TTL_SECONDS = 31_536_000;
/**
 * How long a rate slot and its group outlive the last moment they could matter (the slot's period
 * after its last take). Sync removes an expired object late, never early; this margin also absorbs an
 * early removal, or a Sync clock ahead of the guard's, of up to 5 minutes.
 */
export const LIFETIME_MARGIN_MS = 300_000;
/**
 * The longest period a rate rule may have: a slot must outlive its period by the lifetime margin,
 * within Sync's TTL ceiling (one year less 5 minutes: 525,595 minutes). A slot removed before its
 * period is over would free early.
 */
export const MAX_PERIOD_MS = MAX_TTL_SECONDS * 1000 - LIFETIME_MARGIN_MS;

/**
 * A sliding window of `limit` actions per `period`, in the `ms` package's format with its unit
 * (`"1s"`, `"10 seconds"`, `"1h"`), at least one second: a bare number is refused, since `30/1`
 * would otherwise mean 30 per millisecond. At most {@link MAX_PERIOD_MS} (one year less 5 minutes):
 * Sync keeps nothing longer.
 */
export function slidingWindow(limit: number, period: string): Window {
  const text = period.trim();
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number of at least 1, not ${limit}`);
  if (/^[\d.]+$/.test(text)) throw new RangeError(`period "${period}" has no unit: write it as ${text}s, ${text}m or ${text}h`);
  const windowMs = ms(text as ms.StringValue) as number | undefined;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs)) throw new RangeError(`period must be a duration such as 1s or 10 minutes, not "${period}"`);
  if (windowMs < MIN_PERIOD_MS) throw new RangeError(`period "${period}" is under one second; the shortest is 1s`);
  if (windowMs > MAX_PERIOD_MS) throw new RangeError(`period "${period}" is longer than Sync keeps a rate slot; the longest is ${MAX_PERIOD_MS / 60_000} minutes (one year less 5 minutes), such as 364d`);
  return { limit, windowMs };
}

/** Parses `<count>/<period>` (`30/1s`, `5/10 seconds`, `200/1h`); `off` gives undefined. */
export function parseWindow(text: string): Window | undefined {
  if (text.trim().toLowerCase() === 'off') return undefined;
  const match = /^\s*(\d+)\s*\/\s*(.+?)\s*$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not <count>/<period>`);
  return slidingWindow(Number(match[1]), match[2]!);
}

const UNITS: ReadonlyArray<[string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
  ['millisecond', 1],
];

/** A duration in words, exactly: the largest unit that counts it in at most three decimals ("1.5 seconds", "61 seconds"). */
export function durationInWords(windowMs: number): string {
  const [unit, size] = UNITS.find(([, size]) => windowMs >= size && (windowMs * 1000) % size === 0)!;
  const value = windowMs / size;
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

export const describeWindow = (w: Window) => `${w.limit} per ${durationInWords(w.windowMs)}`;
