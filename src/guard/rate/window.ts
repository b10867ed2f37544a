import ms from 'ms';

/** At most `limit` actions in any window of `windowMs` milliseconds. */
export interface Window {
  limit: number;
  windowMs: number;
}

/**
 * A sliding window of `limit` actions per `period` (`"1 s"`, `"10 seconds"`, `"1h"`: the `ms`
 * package's format, or a bare number of milliseconds).
 */
export function slidingWindow(limit: number, period: string): Window {
  const windowMs = /^\d+$/.test(period.trim()) ? Number(period) : (ms(period.trim() as ms.StringValue) as number | undefined);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number of at least 1, not ${limit}`);
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 1) throw new RangeError(`period must be a duration such as 1s or 10 minutes, not "${period}"`);
  return { limit, windowMs };
}

/** Parses `<count>/<period>` (`30/1s`, `5/10 seconds`, `200/1h`); `off` gives undefined. */
export function parseWindow(text: string): Window | undefined {
  if (text.trim().toLowerCase() === 'off') return undefined;
  const match = /^\s*(\d+)\s*\/\s*(.+?)\s*$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not <count>/<period>`);
  return slidingWindow(Number(match[1]), match[2]!);
}

export const describeWindow = (w: Window) => `${w.limit} per ${ms(w.windowMs, { long: true })}`;
