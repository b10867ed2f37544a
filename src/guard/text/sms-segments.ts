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
  let septets = 0;
  for (const char of body) {
    if (basic.has(char)) septets += 1;
    else if (extension.has(char)) septets += 2;
    else return split('UCS-2', body.length, 70, 67);
  }
  return split('GSM-7', septets, 160, 153);
}

function split(encoding: SmsEncoding, units: number, single: number, perPart: number): SmsSegments {
  if (units === 0) return { encoding, units, segments: 0 };
  return { encoding, units, segments: units <= single ? 1 : Math.ceil(units / perPart) };
}
