/**
 * Settings and text builders for the unit tests. Every limit a test uses comes from the VARIABLES
 * table (parsed with its defaults) or from settings parsed with explicit overrides, never from a
 * number written a second time in a test.
 */
import { ConfigError } from '../../src/guard/config/errors';
import { parseSettings } from '../../src/guard/config/load';
import { VARIABLES, type Settings, type VariableName } from '../../src/guard/config/variables';
import type { Channel } from '../../src/guard/limits/channels';

/** The settings a deployment gets with no environment variable set. */
export const DEFAULTS: Settings = parseSettings({});

/** Settings parsed from the defaults plus `overrides`, as `.env` values (strings). */
export function settingsWith(overrides: Partial<Record<VariableName, string>>): Settings {
  return parseSettings(overrides);
}

/** The default of a numeric variable, parsed from the VARIABLES table. */
export function defaultOf(name: VariableName): number {
  const value = VARIABLES[name].parser.parse(VARIABLES[name].default);
  if (typeof value !== 'number') throw new Error(`${name} has no numeric default`);
  return value;
}

/** The env variables of one channel's row of the Flex attachment table. */
export function attachmentVariables(channel: Channel) {
  const prefix = `ATTACHMENTS_${channel.toUpperCase()}` as const;
  return {
    files: `${prefix}_MAX_FILES` as VariableName,
    fileBytes: `${prefix}_MAX_FILE_BYTES` as VariableName,
    totalBytes: `${prefix}_MAX_TOTAL_BYTES` as VariableName,
    extensions: `${prefix}_EXTENSIONS` as VariableName,
  };
}

/** One channel's attachment row, read from parsed settings. */
export function attachmentRow(settings: Settings, channel: Channel) {
  const names = attachmentVariables(channel);
  const extensions = settings[names.extensions] as readonly string[] | '*';
  if (extensions === '*') throw new Error(`${names.extensions} is * in these settings`);
  return {
    names,
    maxFiles: settings[names.files] as number,
    maxFileBytes: settings[names.fileBytes] as number,
    maxTotalBytes: settings[names.totalBytes] as number,
    extensions,
  };
}

export const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * A string of exactly `bytes` UTF-8 bytes made of `unit` repeated, topped up with ASCII `a` when
 * `bytes` is not a multiple of the unit's size. Checked, so a test cannot pass on a wrong size.
 */
export function textOfBytes(bytes: number, unit = 'a'): string {
  const size = utf8(unit);
  const text = unit.repeat(Math.floor(bytes / size)) + 'a'.repeat(bytes % size);
  if (utf8(text) !== bytes) throw new Error(`textOfBytes(${bytes}, ${unit}) built ${utf8(text)} bytes`);
  return text;
}

/**
 * A string of exactly `units` UTF-16 code units made of `unit` repeated, topped up with `a`.
 * (😀 is 2 code units, é is 1.)
 */
export function textOfChars(units: number, unit = 'a'): string {
  const text = unit.repeat(Math.floor(units / unit.length)) + 'a'.repeat(units % unit.length);
  if (text.length !== units) throw new Error(`textOfChars(${units}, ${unit}) built ${text.length} code units`);
  return text;
}

/** Limits are printed with thousands separators in messages ("32,769 bytes"). */
export const formatted = (n: number) => n.toLocaleString('en-US');

/** The text kinds every size limit is tested with. */
export const TEXT_UNITS = [
  ['ASCII', 'a'],
  ['é (2 UTF-8 bytes, 1 UTF-16 unit)', 'é'],
  ['😀 (4 UTF-8 bytes, 2 UTF-16 units)', '😀'],
] as const;

/** The ConfigError parseSettings throws for `env`; fails the test when it accepts it. */
export function configError(env: Record<string, string>): ConfigError {
  try {
    parseSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`parseSettings accepted ${JSON.stringify(env)}`);
}
