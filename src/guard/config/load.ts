import { ConfigError, type ConfigProblem } from './errors';
import { INVALID } from './parsers';
import { VARIABLES, type Settings, type VariableName } from './variables';

export type Environment = Readonly<Record<string, unknown>>;

/**
 * Parses every variable of {@link VARIABLES} from an environment (a function's `context`, or a
 * parsed `.env`). An unset or empty variable takes its default. Throws one {@link ConfigError}
 * listing every invalid value.
 */
export function parseSettings(env: Environment, origin?: string): Settings {
  const settings: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const spec = VARIABLES[name];
    const given = env[name];
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
    if (value === INVALID) problems.push({ variable: name, value: raw, expected: spec.parser.form + detail });
    else settings[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems, origin);
  return settings as Settings;
}

let cached: { key: string; settings: Settings } | undefined;

/**
 * {@link parseSettings}, once per instance: a warm Functions instance sees the same context on
 * every request, so the parse is paid on the first one only.
 */
export function settingsFor(env: Environment): Settings {
  const key = (Object.keys(VARIABLES) as VariableName[]).map((name) => String(env[name] ?? '')).join('\u0000');
  if (cached?.key !== key) cached = { key, settings: parseSettings(env) };
  return cached.settings;
}
