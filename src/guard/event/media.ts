import { MalformedRequestError } from './errors';
import type { MediaItem } from './types';

/**
 * Reads the `Media` field: a JSON array whose items carry `Size` (bytes) and usually `ContentType`,
 * `Filename` and `Sid`. The REST API's snake_case spelling (`size`, `content_type`) is accepted too.
 */
export function parseMedia(raw: string | undefined, field = 'Media'): MediaItem[] {
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new MalformedRequestError(field, 'is not valid JSON');
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) throw new MalformedRequestError(field, 'is not a JSON array');
  return parsed.map((item, index) => parseItem(item, `${field}[${index}]`));
}

function parseItem(item: unknown, field: string): MediaItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new MalformedRequestError(field, 'is not an object');
  }
  const record = item as Record<string, unknown>;
  const pick = (...keys: string[]) => keys.map((k) => record[k]).find((v) => v !== undefined && v !== null);
  const size = pick('Size', 'size');
  const numeric = typeof size === 'string' && /^\d+$/.test(size.trim()) ? Number(size) : size;
  if (numeric !== undefined && (typeof numeric !== 'number' || !Number.isSafeInteger(numeric) || numeric < 0)) {
    throw new MalformedRequestError(`${field}.Size`, 'must be a whole number of bytes');
  }
  return {
    sid: optionalString(pick('Sid', 'sid'), `${field}.Sid`),
    filename: optionalString(pick('Filename', 'filename'), `${field}.Filename`),
    contentType: optionalString(pick('ContentType', 'content_type', 'contentType'), `${field}.ContentType`),
    size: numeric as number | undefined,
  };
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new MalformedRequestError(field, 'must be a string');
  return value;
}
