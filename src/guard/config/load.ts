import { ConfigError, maskSecret, type ConfigProblem } from './errors';
import { RUNTIME_PROVIDED, SECRETS } from './local-only';
import { INVALID } from './parsers';
import { VARIABLES, type Settings, type VariableName } from './variables';

export type Environment = Readonly<Record<string, unknown>>;

export interface ParseOptions {
  /** Variables left at their default whatever the environment holds (see {@link settingsFor}). */
  ignore?: readonly VariableName[];
}

/**
 * Parses every variable of {@link VARIABLES} from an environment (a function's `context`, or a
 * parsed `.env`). An unset or empty variable takes its default. Throws one {@link ConfigError}
 * listing every invalid value; a secret's value is masked there.
 */
export function parseSettings(env: Environment, origin?: string, options: ParseOptions = {}): Settings {
  const settings: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const spec = VARIABLES[name];
    const given = options.ignore?.includes(name) ? undefined : env[name];
    const raw = typeof given === 'string' && given.trim() !== '' ? given.trim() : spec.default;
    let value: unknown;
    let detail = '';
    try {
      value = spec.parser.parse(raw);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      value = INVALID;
      detail = ` (${error.message})`;
    }
    if (value === INVALID) {
      const expected = spec.parser.form + detail;
      problems.push(SECRETS.includes(name) ? { variable: name, value: maskSecret(raw), expected, secret: true } : { variable: name, value: raw, expected });
    } else settings[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems, origin);
  return settings as Settings;
}

/**
 * {@link parseSettings} for a `.env` file, as `npm start`, `npm run check-config` and `npm run deploy`
 * read one: it also refuses the values Twilio's runtime provides ({@link RUNTIME_PROVIDED}), which a
 * local `.env` would otherwise put in the functions' context, each with the reason.
 */
export function parseDotenvSettings(env: Readonly<Record<string, string | undefined>>, origin: string): Settings {
  const provided: ConfigProblem[] = Object.entries(RUNTIME_PROVIDED).flatMap(([variable, expected]) => {
    const value = env[variable]?.trim();
    return value ? [{ variable, value, expected }] : [];
  });
  let settings: Settings | undefined;
  let problems = provided;
  try {
    settings = parseSettings(env, origin);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = [...provided, ...error.problems];
  }
  if (!settings || problems.length > 0) throw new ConfigError(problems, origin);
  return settings;
}

/**
 * What the functions that decide read: every variable but STATUS_PASSWORD, which only /status reads
 * (and checks itself): a status password too short turns the status page off, not the guard.
 */
const DECISIONS_IGNORE: readonly VariableName[] = ['STATUS_PASSWORD'];

let cached: { key: string; settings: Settings } | undefined;

/**
 * {@link parseSettings}, once per instance, for the functions that decide (STATUS_PASSWORD left
 * unread): a warm Functions instance sees the same context on every request, so the parse is paid on
 * the first one only.
 */
export function settingsFor(env: Environment): Settings {
  const key = (Object.keys(VARIABLES) as VariableName[]).filter((name) => !DECISIONS_IGNORE.includes(name)).map((name) => String(env[name] ?? '')).join('\u0000');
  if (cached?.key !== key) cached = { key, settings: parseSettings(env, undefined, { ignore: DECISIONS_IGNORE }) };
  return cached.settings;
}
