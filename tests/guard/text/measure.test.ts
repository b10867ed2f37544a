/**
 * utf8Bytes runs in browsers too (the limits-client module), so it does not use Node's Buffer; it
 * must count exactly what Buffer counts, the UTF-8 of the string with a lone surrogate as U+FFFD.
 */
import fc from 'fast-check';
import { anyCodePoints } from '../../support/code-points';
import { utf8Bytes } from '../../../src/guard/text/measure';

const asBuffer = (text: string) => Buffer.byteLength(text, 'utf8');
/** Any sequence of UTF-16 code units: lone and reversed surrogates included. */
const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 }).map((units) => String.fromCharCode(...units));

test.each([
  ['', 0],
  ['a', 1],
  ['é', 2],
  ['€', 3],
  ['😀', 4],
  ['\uD800', 3],
  ['\uDE00\uD83D', 6],
  ['a\uD83Db', 5],
])('%j is %i bytes', (text, bytes) => {
  expect(utf8Bytes(text)).toBe(bytes);
  expect(asBuffer(text)).toBe(bytes);
});

test('counts what Buffer.byteLength counts, for any string', () => {
  fc.assert(fc.property(fc.oneof(codeUnits, anyCodePoints(), fc.string({ unit: 'grapheme' })), (text) => utf8Bytes(text) === asBuffer(text)), { numRuns: 5000, seed: 1129 });
});
