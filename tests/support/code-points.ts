import fc from 'fast-check';

/**
 * Strings of any code points, lone surrogates included: what fast-check's `unit: 'binary'` gives,
 * without the table of all 1.1 million code points it builds on first use (1.5 s), which jest
 * pays again in every test file, since each file loads its own fast-check.
 */
export const anyCodePoints = (constraints: { maxLength?: number } = {}) =>
  fc.string({ unit: fc.nat({ max: 0x10ffff }).map((codePoint) => String.fromCodePoint(codePoint)), ...constraints });
