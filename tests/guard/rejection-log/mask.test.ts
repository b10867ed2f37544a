import { countryCodeOf, maskText } from '../../../src/guard/rejection-log/mask';

/** Whether `text` still holds something masking would change: a phone number or an e-mail address. */
const holdsContactDetails = (text: string) => maskText(text) !== text;

describe('maskText', () => {
  it.each([
    ['+15551234567', '+1•••••4567'],
    ['whatsapp:+447700900123', 'whatsapp:+44•••••0123'],
    ['+4915112345678', '+49•••••5678'],
    ['+353861234567', '+353•••••4567'],
    ['+79161234567', '+7•••••4567'],
    ['15551234567', '•••••4567'],
    ['jane.doe@example.com', 'j•••@example.com'],
    ['email:jane@mail.example.co.uk', 'email:j•••@mail.example.co.uk'],
    ['user+15551234567', 'user+1•••••4567'],
    ['+1 (555) 123-4567', '+1•••••4567'],
    ['+1-555-123-4567', '+1•••••4567'],
    ['+44 7700 900123', '+44•••••0123'],
    ['(555) 123-4567', '•••••4567'],
    ['555.123.4567', '•••••4567'],
    ['josé@exämple.com', 'j•••@exämple.com'],
    ['😀smile@example.com', '😀•••@example.com'],
  ])('%s becomes %s: country code and last 4 digits, or first character and domain', (value, masked) => {
    expect(maskText(value)).toBe(masked);
    expect(holdsContactDetails(maskText(value))).toBe(false);
  });

  it('keeps chat identities, SIDs and numbers that are not phone numbers', () => {
    for (const kept of ['agent-42', 'CH0123456789abcdef0123456789abcdef', 'ME12345678901234567890123456789012', '2026-12-04T21:23:02.406Z', 'is 16,777,216 bytes', 'user@localhost', 'The message body is 1,601 characters; Twilio allows at most 1,600.', 'retry in 1500 ms', 'user_2026_12']) {
      expect(maskText(kept)).toBe(kept);
    }
  });

  it('masks every phone number and e-mail address a sentence quotes, leaving the rest', () => {
    expect(maskText('The number of active or inactive conversations of identity "ann@example.org" with this one is 1,001; one identity allows at most 1,000.')).toBe(
      'The number of active or inactive conversations of identity "a•••@example.org" with this one is 1,001; one identity allows at most 1,000.',
    );
    expect(maskText('from +15551234567 and +15557654321')).toBe('from +1•••••4567 and +1•••••4321');
  });

  it('finds the country calling code by the E.164 assignments: 1 and 7 alone, the listed two-digit codes, three digits otherwise', () => {
    expect(['15551234567', '79161234567', '447700900123', '8613812345678', '35312345678', '97150123456'].map(countryCodeOf)).toEqual(['1', '7', '44', '86', '353', '971']);
  });

  it('reads a text of 200,000 characters without an address in one pass (an Author may be that long), and still masks what it holds', () => {
    const long = `${'😀'.repeat(50_000)}x.${'a'.repeat(100_000)} +15551234567 ${'b'.repeat(100)}@example.com`;
    const masked = maskText(long);
    // The whole local part is masked, however long.
    expect(masked.endsWith(' +1•••••4567 b•••@example.com')).toBe(true);
    expect(holdsContactDetails(masked)).toBe(false);
  });
});
