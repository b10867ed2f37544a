/** Size of a string as UTF-8 bytes: how Twilio measures the 32 KB body and the Attributes limits. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Length of a string in UTF-16 code units, which is how Twilio counts "characters"
 * (an emoji outside the Basic Multilingual Plane counts 2).
 */
export function utf16Length(text: string): number {
  return text.length;
}
