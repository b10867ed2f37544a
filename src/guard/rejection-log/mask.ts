/**
 * Masking of phone numbers and e-mail addresses, for everything the rejection log keeps or shows
 * (REJECTION_LOG=masked). A phone number keeps its country calling code and its last 4 digits
 * (`+1•••••1234`), an e-mail address its first character and its domain (`j•••@example.com`); what
 * is hidden is always shown as the same five dots, so its length is not told either. Other values
 * (chat identities: the operator's own user ids) are kept, unless they are shaped like a phone
 * number or an e-mail address.
 */

const HIDDEN = '•••••';
const HIDDEN_LOCAL = '•••';

/**
 * Two-digit country calling codes (ITU-T E.164 assignments, "List of ITU-T Recommendation E.164
 * assigned country codes"). The set is prefix-free: 1 and 7 are the only one-digit codes, and
 * every code not listed here or starting 1 or 7 has three digits.
 */
const TWO_DIGIT_CODES = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
  '86', '90', '91', '92', '93', '94', '95', '98',
]);

/** The country calling code at the start of an international number's digits. */
export function countryCodeOf(digits: string): string {
  if (digits.startsWith('1') || digits.startsWith('7')) return digits.slice(0, 1);
  if (TWO_DIGIT_CODES.has(digits.slice(0, 2))) return digits.slice(0, 2);
  return digits.slice(0, 3);
}

/**
 * A number with its `+`: 8 to 15 digits, single separators allowed between them (`+1 (555) 123-4567`,
 * `+44 7700 900123`), wherever it stands (`user+15551234567` too). Every repetition is bounded, so
 * the search is linear in the text's length.
 */
const INTERNATIONAL = /(?<!\d)\+\d(?:[ .()-]{0,2}\d){7,14}(?!\d)/g;
/**
 * A number without its `+`, standing as a word: a run of 10 to 15 digits, or a North American one
 * with separators (`(555) 123-4567`, `555-123-4567`). A run of digits inside a word is not taken for
 * one: SIDs (`CH0123456789…`) are made of such runs.
 */
const NATIONAL = /(?<![\w+])(?:\d{10,15}|\(\d{3}\) ?\d{3}[ .-]?\d{4}|\d{3}[ .-]\d{3}[ .-]\d{4})(?!\w)/g;

/** A character a local part (before `@`) may hold here: anything but what ends a word in a sentence. */
const LOCAL_CHARACTER = /[^\s"'<>()[\],;:@•]/;
/** The domain after an `@`: labels of letters (any script), digits and hyphens, and a top-level domain. */
const DOMAIN = /^[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}\.\p{L}{2,24}(?![\p{L}\p{N}])/u;
/** The longest domain {@link DOMAIN} can match, so it is only ever tried on a slice. */
const MAX_DOMAIN_CHARS = 9 * 64 + 25;

function maskPhone(number: string): string {
  const digits = number.replace(/\D/g, '');
  if (!number.startsWith('+')) return `${HIDDEN}${digits.slice(-4)}`;
  return `+${countryCodeOf(digits)}${HIDDEN}${digits.slice(-4)}`;
}

/**
 * Every e-mail address masked, its whole local part however long: found from each `@` outward, never
 * by a pattern that could scan the text again from every position, so a text of any length is read
 * in one pass.
 */
function maskEmails(text: string): string {
  let masked = '';
  let copied = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at < copied) continue;
    const domain = DOMAIN.exec(text.slice(at + 1, at + 1 + MAX_DOMAIN_CHARS));
    if (!domain) continue;
    let start = at;
    while (start > copied && LOCAL_CHARACTER.test(text[start - 1]!)) start -= 1;
    if (start === at) continue;
    const first = String.fromCodePoint(text.codePointAt(start)!);
    masked += `${text.slice(copied, start)}${first}${HIDDEN_LOCAL}@${domain[0]}`;
    copied = at + 1 + domain[0].length;
  }
  return masked + text.slice(copied);
}

/**
 * `text` with every phone number and e-mail address in it masked: for identities, addresses
 * (`whatsapp:+1…` keeps its prefix) and the sentences that may quote them.
 */
export function maskText(text: string): string {
  return maskEmails(text).replace(INTERNATIONAL, maskPhone).replace(NATIONAL, maskPhone);
}
