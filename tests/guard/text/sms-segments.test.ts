import { smsSegments } from '../../../src/guard/text/sms-segments';
import { utf16Length, utf8Bytes } from '../../../src/guard/text/measure';

// GSM 03.38 / 03.40: one segment carries 160 GSM-7 septets or 70 UCS-2 units; a concatenated
// message loses room to its header and carries 153 septets or 67 UCS-2 units per segment.
const GSM_SINGLE = 160;
const GSM_PART = 153;
const UCS_SINGLE = 70;
const UCS_PART = 67;

describe('GSM-7', () => {
  test.each([
    [1, 1],
    [GSM_SINGLE, 1],
    [GSM_SINGLE + 1, 2],
    [GSM_PART * 2, 2],
    [GSM_PART * 2 + 1, 3],
    [GSM_PART * 3, 3],
  ])('%i plain characters: %i segment(s)', (length, segments) => {
    expect(smsSegments('a'.repeat(length))).toEqual({ encoding: 'GSM-7', units: length, segments });
  });

  test('accented letters of the GSM-7 table (é, ñ, Ä) stay GSM-7', () => {
    expect(smsSegments('éñÄ'.repeat(GSM_SINGLE / 4) + 'é')).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  test.each(['€', '[', ']', '{', '}', '~', '^', '|', '\\'])('the extension character %s counts 2 septets', (char) => {
    expect(smsSegments(char.repeat(GSM_SINGLE / 2))).toEqual({ encoding: 'GSM-7', units: GSM_SINGLE, segments: 1 });
    expect(smsSegments(char.repeat(GSM_SINGLE / 2) + 'a')).toEqual({ encoding: 'GSM-7', units: GSM_SINGLE + 1, segments: 2 });
    expect(smsSegments('a'.repeat(GSM_SINGLE - 1) + char)).toMatchObject({ units: GSM_SINGLE + 1, segments: 2 });
  });

  test('an extension character is never split across two segments', () => {
    // 152 letters, €, 152 letters: 306 septets would fill exactly two 153-septet parts, but the
    // escape and the € cannot be separated, so the € starts the second part and a third is needed.
    const body = 'a'.repeat(GSM_PART - 1) + '€' + 'a'.repeat(GSM_PART - 1);
    expect(smsSegments(body)).toEqual({ encoding: 'GSM-7', units: GSM_PART * 2, segments: 3 });
  });
});

describe('UCS-2', () => {
  test.each([
    [UCS_SINGLE, 1],
    [UCS_SINGLE + 1, 2],
    [UCS_PART * 2, 2],
    [UCS_PART * 2 + 1, 3],
  ])('%i characters with one outside GSM-7: %i segment(s)', (length, segments) => {
    const body = 'á' + 'a'.repeat(length - 1); // á is not in the GSM-7 table
    expect(smsSegments(body)).toEqual({ encoding: 'UCS-2', units: length, segments });
  });

  test('one emoji forces the whole message to UCS-2, and counts 2 units', () => {
    expect(smsSegments('a'.repeat(UCS_SINGLE - 2) + '😀')).toEqual({ encoding: 'UCS-2', units: UCS_SINGLE, segments: 1 });
    expect(smsSegments('a'.repeat(UCS_SINGLE - 1) + '😀')).toEqual({ encoding: 'UCS-2', units: UCS_SINGLE + 1, segments: 2 });
    // The same 69 letters without the emoji are one GSM-7 segment.
    expect(smsSegments('a'.repeat(UCS_SINGLE - 1))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  test('an emoji is never split across two segments', () => {
    // 66 letters, 😀, 66 letters: 134 units would fill two 67-unit parts, but the emoji's two
    // halves cannot be separated, so it starts the second part and a third is needed.
    const body = 'a'.repeat(UCS_PART - 1) + '😀' + 'a'.repeat(UCS_PART - 1);
    expect(smsSegments(body)).toEqual({ encoding: 'UCS-2', units: UCS_PART * 2, segments: 3 });
  });

  test('extension characters count 1 in UCS-2', () => {
    expect(smsSegments('😀' + '€'.repeat(UCS_SINGLE - 2))).toEqual({ encoding: 'UCS-2', units: UCS_SINGLE, segments: 1 });
  });
});

test('an empty body is no segment', () => {
  expect(smsSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0 });
});

describe('measure', () => {
  test.each([
    ['a', 1, 1],
    ['é', 2, 1],
    ['€', 3, 1],
    ['😀', 4, 2],
    ['', 0, 0],
  ])('%p is %i UTF-8 bytes and %i UTF-16 units', (text, bytes, units) => {
    expect(utf8Bytes(text)).toBe(bytes);
    expect(utf16Length(text)).toBe(units);
  });
});
