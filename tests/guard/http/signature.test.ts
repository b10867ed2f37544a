import twilio from 'twilio';
import { calledUrl, signedParams, verifySignature } from '../../../src/guard/http/signature';
import { messageAdd } from '../../support/events';
import { AUTH_TOKEN, forgedSignature, twilioSignature } from '../../support/twilio-request';

const PATH = '/conversations/pre-event';

describe('calledUrl: the URL Twilio signed', () => {
  test.each([
    ['localhost:3000', undefined, 'http://localhost:3000/conversations/pre-event'],
    ['127.0.0.1:4321', undefined, 'http://127.0.0.1:4321/conversations/pre-event'],
    ['guard-1234-dev.twil.io', undefined, 'https://guard-1234-dev.twil.io/conversations/pre-event'],
    ['localhost:3000', 'https://abc.ngrok.app', 'https://abc.ngrok.app/conversations/pre-event'],
    [undefined, undefined, 'http://localhost/conversations/pre-event'],
  ])('DOMAIN_NAME %p, WEBHOOK_BASE_URL %p: %s', (domain, base, url) => {
    expect(calledUrl(PATH, domain, base)).toBe(url);
  });
});

describe('verifySignature', () => {
  const url = 'https://guard-1234-dev.twil.io/conversations/pre-event';
  const params = messageAdd({ Body: 'héllo 😀', 'MessagingBinding.Address': '+15551230001' });

  test("the test suite's signature is Twilio's algorithm (twilio-node agrees)", () => {
    expect(twilioSignature(AUTH_TOKEN, url, params)).toBe(twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params));
  });

  test('a signature over this URL and these parameters is valid', () => {
    expect(verifySignature(AUTH_TOKEN, twilioSignature(AUTH_TOKEN, url, params), url, params)).toBe('valid');
  });

  test("the runtime's own `request` field is not part of what Twilio signed", () => {
    const event = { ...params, request: { headers: { 'x-twilio-signature': 'x' }, cookies: {} } };
    expect(signedParams(event)).toEqual(params);
    expect(verifySignature(AUTH_TOKEN, twilioSignature(AUTH_TOKEN, url, params), url, event)).toBe('valid');
  });

  test.each([
    ['another token', () => forgedSignature(url, params), params],
    ['a changed parameter', () => twilioSignature(AUTH_TOKEN, url, params), { ...params, Body: 'hello' }],
    ['an added parameter', () => twilioSignature(AUTH_TOKEN, url, params), { ...params, Extra: '1' }],
    ['another URL', () => twilioSignature(AUTH_TOKEN, 'https://elsewhere.twil.io/conversations/pre-event', params), params],
  ])('%s: invalid', (_case, signature, event) => {
    expect(verifySignature(AUTH_TOKEN, signature(), url, event)).toBe('invalid');
  });

  test.each([undefined, '', ['a', 'b']])('signature header %p: missing', (signature) => {
    expect(verifySignature(AUTH_TOKEN, signature, url, params)).toBe('missing');
  });

  test('no AUTH_TOKEN: the check cannot be made', () => {
    expect(verifySignature(undefined, twilioSignature(AUTH_TOKEN, url, params), url, params)).toBe('no-auth-token');
    expect(verifySignature('', 'x', url, params)).toBe('no-auth-token');
  });
});
