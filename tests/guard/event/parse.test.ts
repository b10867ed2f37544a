import { MalformedRequestError } from '../../../src/guard/event/errors';
import { addressList, isJudged, parseEvent } from '../../../src/guard/event/parse';
import { CHANNELS, type Channel } from '../../../src/guard/limits/channels';
import { ADDRESSES, AUTHORS, autocreation, CHAT_SERVICE_SID, conversationAdd, CONVERSATION_SID, groupMmsAutocreation, messageAdd, participantAdd, smsParticipantAdd } from '../../support/events';
import { file, mediaField } from '../../support/media';

/** The MalformedRequestError parseEvent throws, so tests can check the field it names. */
function malformed(raw: Record<string, unknown>): MalformedRequestError {
  try {
    parseEvent(raw);
  } catch (error) {
    if (error instanceof MalformedRequestError) return error;
    throw error;
  }
  throw new Error('parseEvent accepted the request');
}

describe('onMessageAdd', () => {
  test('reads the form fields', () => {
    const media = [file('png', 1234)];
    const event = parseEvent(messageAdd({ Body: 'héllo 😀', Attributes: '{"a":1}', Media: mediaField(media) }, 'web'));
    expect(event).toMatchObject({
      type: 'onMessageAdd',
      conversationSid: CONVERSATION_SID,
      chatServiceSid: CHAT_SERVICE_SID,
      source: 'SDK',
      author: AUTHORS.web.Author,
      authorChannel: 'web',
      body: 'héllo 😀',
      attributes: '{"a":1}',
      media: [{ sid: media[0]!.sid, filename: media[0]!.filename, contentType: 'image/png', size: 1234 }],
    });
  });

  test.each(CHANNELS)('an Author of the %s shape gives that channel', (channel) => {
    const event = parseEvent(messageAdd({}, channel));
    expect(event).toMatchObject({ type: 'onMessageAdd', authorChannel: channel, author: AUTHORS[channel].Author });
  });

  test.each(CHANNELS.filter((c) => c !== 'web'))('a message from the SDK is chat even when the identity looks like a %s address', (channel) => {
    const event = parseEvent(messageAdd({ Source: 'SDK' }, channel));
    expect(event).toMatchObject({ authorChannel: 'web' });
  });

  test('absent Body, Attributes and Media read as empty', () => {
    const { Body: _b, Attributes: _a, ...raw } = messageAdd();
    expect(parseEvent(raw)).toMatchObject({ body: '', attributes: '', media: [] });
  });
});

describe('onParticipantAdd', () => {
  test('a participant with an Identity and no address is chat', () => {
    expect(parseEvent(participantAdd({ Identity: 'bob' }))).toMatchObject({ type: 'onParticipantAdd', identity: 'bob', channel: 'web', conversationSid: CONVERSATION_SID });
  });

  test.each(Object.keys(ADDRESSES) as Exclude<Channel, 'web'>[])('%s: channel from MessagingBinding.Type, addresses from the dotted fields', (channel) => {
    const event = parseEvent(smsParticipantAdd(channel));
    expect(event).toMatchObject({ channel, address: ADDRESSES[channel].address, proxyAddress: ADDRESSES[channel].proxy, identity: undefined });
  });

  test.each(Object.keys(ADDRESSES) as Exclude<Channel, 'web'>[])('%s: without MessagingBinding.Type the address shape gives the channel', (channel) => {
    const { 'MessagingBinding.Type': _type, ...raw } = smsParticipantAdd(channel);
    expect(parseEvent(raw)).toMatchObject({ channel });
  });

  test('empty binding fields are absent: an empty ProjectedAddress does not make a Group MMS sender', () => {
    const event = parseEvent(participantAdd({ Identity: 'bob', 'MessagingBinding.ProjectedAddress': '', 'MessagingBinding.ProxyAddress': '', 'MessagingBinding.Address': '', 'MessagingBinding.Type': '' }));
    expect(event).toMatchObject({ channel: 'web', identity: 'bob', address: undefined, proxyAddress: undefined, projectedAddress: undefined });
  });

  test('a chat participant with a projected address (Group MMS sender) is chat', () => {
    const event = parseEvent(participantAdd({ 'MessagingBinding.ProjectedAddress': '+15559870000' }));
    expect(event).toMatchObject({ channel: 'web', projectedAddress: '+15559870000' });
  });
});

describe('onConversationAdd', () => {
  test('reads the conversation fields; no first message without author, body or media', () => {
    const event = parseEvent(conversationAdd({ FriendlyName: 'Größe 😀', UniqueName: 'u-1' }));
    expect(event).toEqual(expect.objectContaining({ type: 'onConversationAdd', friendlyName: 'Größe 😀', uniqueName: 'u-1', attributes: '{}', firstMessage: undefined }));
  });

  test.each(CHANNELS.filter((c) => c !== 'web') as Exclude<Channel, 'web'>[])('1:1 autocreation from %s: the sender is MessagingBinding.Address, an inbound first message', (channel) => {
    const media = [file('jpg', 99)];
    const event = parseEvent(autocreation(channel, { MessageBody: 'hi', Media: mediaField(media) }));
    expect(event).toMatchObject({ firstMessage: { author: ADDRESSES[channel].address, authorChannel: channel, inbound: true, body: 'hi', media: [{ size: 99 }] } });
  });

  test.each(['[+15551230001, +15551230002, +15551230003]', '["+15551230001","+15551230002","+15551230003"]', '+15551230001,+15551230002,+15551230003'])(
    'Group MMS autocreation: the sender is AuthorAddress, whatever the form of the Address list %p',
    (list) => {
      const event = parseEvent(groupMmsAutocreation(['+15551230002'], { 'MessagingBinding.Address': list }));
      expect(event).toMatchObject({ firstMessage: { author: '+15551230002', authorChannel: 'sms', inbound: true } });
      expect(addressList(list)).toEqual(['+15551230001', '+15551230002', '+15551230003']);
    },
  );

  test('an Address list without AuthorAddress names no sender: the channel still comes from Source', () => {
    const event = parseEvent(autocreation('sms', { 'MessagingBinding.Address': '[+15551230001, +15551230002]' }));
    expect(event).toMatchObject({ firstMessage: { author: '', authorChannel: 'sms', inbound: true } });
  });

  test('a MessageBody without an author address is a chat first message', () => {
    expect(parseEvent(conversationAdd({ MessageBody: 'hi' }))).toMatchObject({ firstMessage: { authorChannel: 'web', body: 'hi' } });
  });

  test('a malformed Media is reported for a conversation too', () => {
    expect(malformed(conversationAdd({ Media: '{' }))).toMatchObject({ field: 'Media' });
  });
});

describe('malformed requests name the field', () => {
  test.each([
    ['onMessageAdd', messageAdd],
    ['onParticipantAdd', participantAdd],
  ] as const)('%s without ConversationSid', (_type, make) => {
    const { ConversationSid: _sid, ...raw } = make();
    const error = malformed(raw);
    expect(error).toMatchObject({ field: 'ConversationSid', problem: 'is required' });
    expect(error.message).toBe('ConversationSid is required');
  });

  test('a blank ConversationSid is missing', () => {
    expect(malformed(messageAdd({ ConversationSid: '  ' }))).toMatchObject({ field: 'ConversationSid' });
  });

  test('a field given twice (the runtime makes it an array) is rejected', () => {
    expect(malformed({ ...messageAdd(), Body: ['a', 'b'] })).toMatchObject({ field: 'Body', problem: 'must be given once, as a string' });
  });

  test('an EventType the guard does not judge', () => {
    expect(malformed(messageAdd({ EventType: 'onMessageUpdated' }))).toMatchObject({ field: 'EventType' });
  });
});

test.each([
  ['onMessageAdd', true],
  ['onParticipantAdd', true],
  ['onConversationAdd', true],
  ['onMessageUpdate', true],
  ['onParticipantUpdate', true],
  ['onConversationUpdate', true],
  ['onMessageAdded', false],
  ['toString', false],
  ['onConversationRemove', false],
  [undefined, false],
])('isJudged(%p) is %p', (type, judged) => {
  expect(isJudged(type)).toBe(judged);
});

test.each([
  ['onMessageUpdate', messageAdd, 'onMessageAdd'],
  ['onParticipantUpdate', participantAdd, 'onParticipantAdd'],
  ['onConversationUpdate', conversationAdd, 'onConversationAdd'],
] as const)('%s is read like its add, marked as an update', (eventType, fields, type) => {
  expect(parseEvent({ ...fields(), EventType: eventType })).toMatchObject({ type, update: true });
  expect(parseEvent(fields())).not.toHaveProperty('update');
});
