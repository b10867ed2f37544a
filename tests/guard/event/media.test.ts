import { MalformedRequestError } from '../../../src/guard/event/errors';
import { parseMedia } from '../../../src/guard/event/media';

function problem(raw: string): { field: string; problem: string } {
  try {
    parseMedia(raw);
  } catch (error) {
    if (error instanceof MalformedRequestError) return { field: error.field, problem: error.problem };
    throw error;
  }
  throw new Error(`parseMedia accepted ${raw}`);
}

describe('parseMedia reads the Media field (a JSON array string)', () => {
  test("Twilio's PascalCase keys", () => {
    const raw = JSON.stringify([{ Sid: 'ME1', Filename: 'a.png', ContentType: 'image/png', Size: 2048, Category: 'media' }]);
    expect(parseMedia(raw)).toEqual([{ sid: 'ME1', filename: 'a.png', contentType: 'image/png', size: 2048 }]);
  });

  test("the REST API's snake_case keys", () => {
    const raw = JSON.stringify([{ sid: 'ME2', filename: 'b.pdf', content_type: 'application/pdf', size: 10 }]);
    expect(parseMedia(raw)).toEqual([{ sid: 'ME2', filename: 'b.pdf', contentType: 'application/pdf', size: 10 }]);
  });

  test('an item without a Size is read with an unknown size, not refused', () => {
    expect(parseMedia('[{"Filename":"a.png","ContentType":"image/png"}]')).toEqual([{ sid: undefined, filename: 'a.png', contentType: 'image/png', size: undefined }]);
  });

  test('a Size written as a string of digits', () => {
    expect(parseMedia('[{"Size":"4096","ContentType":"image/jpeg"}]')).toEqual([{ sid: undefined, filename: undefined, contentType: 'image/jpeg', size: 4096 }]);
  });

  test('several items keep their order', () => {
    expect(parseMedia('[{"Size":1},{"Size":2},{"Size":3}]').map((m) => m.size)).toEqual([1, 2, 3]);
  });

  test.each([undefined, '', '   ', 'null', '[]'])('%p means no media', (raw) => {
    expect(parseMedia(raw)).toEqual([]);
  });
});

describe('a malformed Media names the field and the problem', () => {
  test.each([
    ['not JSON', '[{Size: 1}', 'Media', 'is not valid JSON'],
    ['an object, not an array', '{"Size":1}', 'Media', 'is not a JSON array'],
    ['a string', '"photo.png"', 'Media', 'is not a JSON array'],
    ['an item that is not an object', '[42]', 'Media[0]', 'is not an object'],
    ['a null item', '[{"Size":1}, null]', 'Media[1]', 'is not an object'],
    ['a non-numeric Size', '[{"Size":"big"}]', 'Media[0].Size', 'must be a whole number of bytes'],
    ['a negative Size', '[{"Size":-1}]', 'Media[0].Size', 'must be a whole number of bytes'],
    ['a fractional Size', '[{"Size":1.5}]', 'Media[0].Size', 'must be a whole number of bytes'],
    ['a Size in exponent notation', '[{"Size":"1e3"}]', 'Media[0].Size', 'must be a whole number of bytes'],
    ['a numeric Filename', '[{"Size":1,"Filename":7}]', 'Media[0].Filename', 'must be a string'],
    ['a ContentType that is not a string', '[{"Size":1,"ContentType":["image/png"]}]', 'Media[0].ContentType', 'must be a string'],
  ])('%s', (_case, raw, field, expected) => {
    expect(problem(raw)).toEqual({ field, problem: expected });
  });
});
