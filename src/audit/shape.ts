import { utf16Length, utf8Bytes } from '../guard/text/measure';
import { smsSegments } from '../guard/text/sms-segments';

/**
 * A text kept as its measures only: runs of stand-in characters that have, one for one, the same
 * UTF-16 length, UTF-8 size and GSM-7 class as the characters they replace, so every rule that
 * measures a body (bytes, characters, SMS segments and encoding, empty or not) judges the stand-in
 * exactly as it judged the text.
 */
export type TextShape = Array<[string, number]>;

const GSM_BASIC = new Set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà');
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

/** The stand-in of one character (a code point, or a lone surrogate). */
function standIn(char: string): string {
  const bytes = utf8Bytes(char);
  if (GSM_BASIC.has(char)) return bytes === 1 ? 'a' : 'é';
  if (GSM_EXTENSION.has(char)) return bytes === 1 ? '^' : '€';
  if (char.length === 2) return '😀';
  return bytes === 1 ? '`' : bytes === 2 ? 'ж' : '中';
}

export function shapeOf(text: string): TextShape {
  const runs: TextShape = [];
  // A text of whitespace alone is kept as it is (a rule reads whether a body is blank); in any other
  // text, whitespace is replaced like every character, so not even the length of words is kept.
  const blank = text.trim() === '';
  for (const char of text) {
    const stand = blank ? char : standIn(char);
    const last = runs[runs.length - 1];
    if (last && last[0] === stand) last[1] += 1;
    else runs.push([stand, 1]);
  }
  return runs;
}

export function textOf(shape: TextShape): string {
  return shape.map(([char, count]) => char.repeat(count)).join('');
}

/** Whether a stand-in measures as its text: the property the replay relies on. */
export function sameMeasures(a: string, b: string): boolean {
  const sa = smsSegments(a);
  const sb = smsSegments(b);
  return utf16Length(a) === utf16Length(b) && utf8Bytes(a) === utf8Bytes(b) && sa.encoding === sb.encoding && sa.segments === sb.segments && (a.trim() === '') === (b.trim() === '');
}

/**
 * Attributes kept as their size and whether they are a JSON object (what the size limits and the
 * annotation need); rebuilt as a JSON object, or plain text, of exactly that many UTF-8 bytes.
 */
export interface AttributesShape {
  bytes: number;
  object: boolean;
}

export function attributesShapeOf(attributes: string | null | undefined): AttributesShape {
  const text = attributes ?? '';
  let object = text.trim() === '';
  try {
    const parsed: unknown = JSON.parse(text);
    object = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    // not JSON: kept as not an object
  }
  return { bytes: utf8Bytes(text), object };
}

export function attributesOf(shape: AttributesShape): string {
  if (shape.bytes === 0) return '';
  if (shape.object && shape.bytes >= 2) return shape.bytes < 8 ? `{${' '.repeat(shape.bytes - 2)}}` : `{"_":"${'a'.repeat(shape.bytes - 8)}"}`;
  return 'a'.repeat(shape.bytes);
}
