import ms from 'ms';
import { parseRateRules, type RateRule } from '../rate/rules';
import { parseWindow, type Window } from '../rate/window';

/** What a parser returns for a value it cannot use. */
export const INVALID: unique symbol = Symbol('invalid');

/**
 * Turns one environment value into a typed setting: INVALID for a value it cannot use, or a
 * RangeError whose message says what exactly is wrong (shown after the expected form).
 */
export interface Parser<T> {
  /** The expected form, as a configuration error shows it. */
  form: string;
  parse(raw: string): T | typeof INVALID;
}

export const wholeNumber: Parser<number> = {
  form: 'a whole number such as 1600',
  parse: (raw) => (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : INVALID),
};

/** A {@link wholeNumber} from `min` to `max`. */
export function boundedWholeNumber(min: number, max: number): Parser<number> {
  return {
    form: `a whole number from ${min} to ${max}`,
    parse: (raw) => {
      const value = wholeNumber.parse(raw);
      return value !== INVALID && value >= min && value <= max ? value : INVALID;
    },
  };
}

/** A whole number, where `off` (or 0) disables the check. */
export const optionalCap: Parser<number | undefined> = {
  form: 'a whole number such as 10, or off',
  parse: (raw) => (raw.toLowerCase() === 'off' || raw === '0' ? undefined : wholeNumber.parse(raw)),
};

/** A duration in the `ms` package's format (`3s`, `500ms`, `1 minute`) or a bare number of milliseconds. */
export const duration: Parser<number> = {
  form: 'a duration such as 3s, 500ms or 1 minute',
  parse: (raw) => {
    const value = /^\d+$/.test(raw) ? Number(raw) : (ms(raw as ms.StringValue) as number | undefined);
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : INVALID;
  },
};

const UNITS: ReadonlyArray<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]];
/** A bound as a person writes it: 800ms, 4.5s, 1m, 365d (never rounded). */
const exactly = (milliseconds: number) => {
  if (milliseconds < 1000) return `${milliseconds}ms`;
  const unit = UNITS.find(([, size]) => milliseconds % size === 0);
  return unit ? `${milliseconds / unit[1]}${unit[0]}` : `${milliseconds / 1000}s`;
};

/** A {@link duration} within bounds, e.g. a deadline that must stay under Twilio's 5-second timeout. */
export function boundedDuration(minMs: number, maxMs: number, examples = '3s or 800ms'): Parser<number> {
  return {
    form: `a duration from ${exactly(minMs)} to ${exactly(maxMs)}, such as ${examples}`,
    parse: (raw) => {
      const value = duration.parse(raw);
      return value !== INVALID && value >= minMs && value <= maxMs ? value : INVALID;
    },
  };
}

export function oneOf<const T extends string>(...values: T[]): Parser<T> {
  return {
    form: values.join(' or '),
    parse: (raw) => values.find((v) => v === raw.toLowerCase()) ?? INVALID,
  };
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
export const flag: Parser<boolean> = {
  form: 'true or false',
  parse: (raw) => {
    const lower = raw.toLowerCase();
    return TRUE.includes(lower) ? true : FALSE.includes(lower) ? false : INVALID;
  },
};

/** File extensions, comma-separated (`jpg,png,pdf`), or `*` for any. */
export const extensionList: Parser<readonly string[] | '*'> = {
  form: 'comma-separated file extensions such as jpg,png,pdf, or *',
  parse: (raw) => {
    if (raw.trim() === '*') return '*';
    const list = raw.split(',').map((e) => e.trim().replace(/^\./, '').toLowerCase());
    return list.every((e) => /^[a-z0-9]+$/.test(e)) ? list : INVALID;
  },
};

/** An absolute http(s) URL, kept without its trailing slash; empty means unset. */
export const baseUrl: Parser<string | undefined> = {
  form: 'an absolute http(s) URL such as https://example.ngrok.app',
  parse: (raw) => {
    if (raw === '') return undefined;
    try {
      return /^https?:$/.test(new URL(raw).protocol) ? raw.replace(/\/+$/, '') : INVALID;
    } catch {
      return INVALID;
    }
  },
};

/** Any non-empty string, such as a service SID. */
export const text: Parser<string> = {
  form: 'a non-empty value',
  parse: (raw) => (raw.trim() === '' ? INVALID : raw.trim()),
};

/** The fewest characters a password of a public URL may have. */
export const MIN_PASSWORD_CHARS = 16;

/**
 * A password guarding a public URL, where nothing limits the guesses: at least
 * {@link MIN_PASSWORD_CHARS} characters (Unicode code points), or unset for off.
 */
export const password: Parser<string | undefined> = {
  form: `at least ${MIN_PASSWORD_CHARS} characters (the URL it guards is public and nothing limits guesses: use a random one, such as npm start writes), or empty for off`,
  parse: (raw) => {
    const value = raw.trim();
    if (value === '') return undefined;
    return [...value].length >= MIN_PASSWORD_CHARS ? value : INVALID;
  },
};

/** `<count>/<period>` such as `30/1s` or `200/1h`, or `off`; throws saying what is wrong. */
export const rateWindow: Parser<Window | undefined> = {
  form: '<count>/<period> such as 30/1s, 5/10 seconds or 200/1h (the period from 1s to 525595m, one year less 5 minutes), or off',
  parse: parseWindow,
};

/** The general form of rate rules (see {@link parseRateRules}); throws naming the rule that is wrong. */
export const rateRuleList: Parser<RateRule[]> = {
  form: 'rules separated by ";", each <name>=<count>/<period> per <conversation|service|author|participant> [on <message,participant,conversation>] [from <channel>]',
  parse: parseRateRules,
};
