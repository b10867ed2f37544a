const encoder = new TextEncoder();

/**
 * Size of a string as UTF-8 bytes: how Twilio measures the 32 KB body and the Attributes limits.
 * TextEncoder rather than Node's Buffer, so the same function runs in a browser (the limits-client
 * module); like Buffer, it encodes a lone surrogate as U+FFFD, 3 bytes.
 */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Length of a string in UTF-16 code units, which is how Twilio counts "characters"
 * (an emoji outside the Basic Multilingual Plane counts 2).
 */
export function utf16Length(text: string): number {
  return text.length;
}
