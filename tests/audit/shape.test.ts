/**
 * What the audit keeps of a text measures as the text: every rule that reads a body (bytes,
 * characters, SMS segments and encoding, empty or not) judges the stand-in as it judges the text.
 */
import fc from 'fast-check';
import { attributesOf, attributesShapeOf, sameMeasures, shapeOf, textOf } from '../../src/audit/shape';
import { utf8Bytes } from '../../src/guard/text/measure';

describe('text shapes', () => {
  it('keep every measure of any text, and none of its words', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: fc.constantFrom(...'aé€^{ \n\tжΔ😀中`@'), maxLength: 400 }));
    fc.assert(fc.property(text, (body) => sameMeasures(textOf(shapeOf(body)), body)), { numRuns: 300 });
    expect(textOf(shapeOf('Call me at 555-0100, thanks!'))).toBe('a'.repeat(28));
  });

  it('keep the size of Attributes and whether they are a JSON object', () => {
    for (const attributes of ['', '{}', '{"a":1}', '{"order":"A-1234","note":"fragile"}', '[1,2]', 'not json']) {
      const shape = attributesShapeOf(attributes);
      const rebuilt = attributesOf(shape);
      expect(utf8Bytes(rebuilt)).toBe(utf8Bytes(attributes));
      expect(attributesShapeOf(rebuilt)).toEqual(shape);
    }
  });
});
