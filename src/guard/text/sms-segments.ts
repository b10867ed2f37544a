/**
 * SMS segment arithmetic. A GSM-7 message fits 160 characters in one segment and 153 per segment once
 * it is split (7 characters go to the concatenation header); any character outside GSM-7 switches the
 * whole message to UCS-2: 70 alone, 67 per part. Extension-table characters take an escape plus the
 * character, so they count 2.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€\f';

const basic = new Set(GSM7_BASIC);
const extension = new Set(GSM7_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
}

export function smsSegments(body: string): SmsSegments {
  const septets: number[] = [];
  for (const char of body) {
    if (basic.has(char)) septets.push(1);
    else if (extension.has(char)) septets.push(2);
    else return split('UCS-2', Array.from(body, (c) => c.length), 70, 67);
  }
  return split('GSM-7', septets, 160, 153);
}

/**
 * Packs characters (their sizes in units) into segments. A character is never split between two
 * segments (an escape and its extension character, or an emoji's two UTF-16 halves, stay together),
 * as Twilio's segment calculator does, so a part may carry fewer than `perPart` units.
 */
function split(encoding: SmsEncoding, sizes: number[], single: number, perPart: number): SmsSegments {
  const units = sizes.reduce((sum, size) => sum + size, 0);
  if (units === 0) return { encoding, units, segments: 0 };
  if (units <= single) return { encoding, units, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > perPart) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { encoding, units, segments };
}
