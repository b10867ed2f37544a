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

/** An E.164 number (`+` and 8 to 15 digits), or a bare run of 10 to 15 digits (a number without its `+`). */
const PHONE = /(?<![\w+])(?:\+\d{8,15}|\d{10,15})(?!\w)/g;
/**
 * Anything of the form local@domain.tld, stopping at characters that end a word in a sentence. Every
 * part is bounded (a local part has at most 64 characters, a label 63: RFC 5321 and RFC 1035), so
 * the search is linear in the text's length: unbounded, a long text without `@` (an Author of
 * 100,000 characters) would be scanned to its end from every position.
 */
const EMAIL = /[^\s"'<>()[\],;:@•]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z])/g;

function maskPhone(number: string): string {
  if (!number.startsWith('+')) return `${HIDDEN}${number.slice(-4)}`;
  const digits = number.slice(1);
  const code = countryCodeOf(digits);
  return `+${code}${HIDDEN}${digits.slice(-4)}`;
}

function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return `${[...address.slice(0, at)][0] ?? ''}${HIDDEN_LOCAL}${address.slice(at)}`;
}

/**
 * `text` with every phone number and e-mail address in it masked: for identities, addresses
 * (`whatsapp:+1…` keeps its prefix) and the sentences that may quote them.
 */
export function maskText(text: string): string {
  return text.replace(EMAIL, maskEmail).replace(PHONE, maskPhone);
}

/** Whether `text` holds a phone number or an e-mail address that {@link maskText} would mask. */
export function holdsContactDetails(text: string): boolean {
  return new RegExp(EMAIL.source).test(text) || new RegExp(PHONE.source).test(text);
}
