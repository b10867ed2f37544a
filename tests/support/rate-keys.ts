/** Keys the rate limiter may be handed: identities a Conversations client may choose, addresses, SIDs. */
export const HOSTILE_KEYS = [
  'a/b?c',
  '../x',
  '..',
  'x'.repeat(300),
  '😀👩‍👩‍👧',
  '',
  ' ',
  '\u0000',
  '\u200b',
  'ET' + '0123456789abcdef'.repeat(2),
  'guard_rate_0123456789abcdef0123456789abcdef',
  '%2F%3F',
  'a b#c&d=e',
  'CH0123456789abcdef0123456789abcdef',
  '+15551230001',
  'someone@example.com',
];
