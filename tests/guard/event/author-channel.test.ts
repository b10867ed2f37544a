import { authorChannel, isInbound } from '../../../src/guard/event/author-channel';

describe('authorChannel: Source first, then the binding type, then the prefix, the shape last', () => {
  test.each([
    ['SDK', 'alice@example.com', 'web'],
    ['SDK', '+15551230001', 'web'],
    ['SMS', '+15551230001', 'sms'],
    ['sms', '+15551230001', 'sms'],
    ['WHATSAPP', 'whatsapp:+15551230002', 'whatsapp'],
    ['WhatsApp', '+15551230002', 'whatsapp'],
    ['EMAIL', 'someone@example.com', 'email'],
    ['MESSENGER', 'messenger:1234567890', 'messenger'],
    ['GBM', 'gbm:customer-7', 'gbm'],
  ] as const)('Source=%s, Author %p: %s, from the source', (source, author, channel) => {
    expect(authorChannel(author, source)).toEqual({ channel, by: 'source' });
  });

  test.each([
    ['CHAT', 'web'],
    ['chat', 'web'],
    ['SMS', 'sms'],
    ['whatsapp', 'whatsapp'],
  ] as const)('no channel in Source: MessagingBinding.Type %s gives %s', (type, channel) => {
    expect(authorChannel('+15551230001', 'API', type)).toEqual({ channel, by: 'binding' });
  });

  test.each([
    ['WhatsApp:+15551234567', 'whatsapp'],
    ['messenger:1234567890', 'messenger'],
    ['gbm:customer-7', 'gbm'],
    ['mailto:someone@example.com', 'email'],
  ] as const)('Source=API, Author %p: %s from its prefix', (author, channel) => {
    expect(authorChannel(author, 'API')).toEqual({ channel, by: 'prefix' });
  });

  test.each([
    ['+1 (555) 123-4567', 'sms'],
    ['Someone.Else@Example.org', 'email'],
  ] as const)('Source=API, Author %p: only a guess (%s) from its shape', (author, channel) => {
    expect(authorChannel(author, 'API')).toEqual({ channel, by: 'shape' });
  });

  test.each(['alice', 'agent_42', ''])('Source=API, Author %p: a chat identity', (author) => {
    expect(authorChannel(author, 'API')).toEqual({ channel: 'web', by: 'identity' });
  });
});

describe('isInbound: accepted from a carrier or mail server, so not to be dropped', () => {
  test.each([
    ['SMS', '+15551230001', true],
    ['WHATSAPP', 'whatsapp:+15551230002', true],
    ['EMAIL', 'someone@example.com', true],
    [undefined, 'whatsapp:+15551230002', true],
    ['SDK', 'alice', false],
    ['SDK', '+15551230001', false],
    ['API', 'whatsapp:+15551230002', false],
    ['API', '+15551230001', false],
  ] as const)('Source=%s, Author %p: %s', (source, author, inbound) => {
    expect(isInbound(authorChannel(author, source), source)).toBe(inbound);
  });
});
