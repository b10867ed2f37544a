import { channelOfAddress, channelOfBindingType, type Channel } from '../limits/channels';
import { MalformedRequestError } from './errors';
import { parseMedia } from './media';
import { JUDGED_EVENTS, UPDATE_EVENTS, type PreEvent } from './types';

/** The request as the Functions runtime hands it over: flat form fields, all strings. */
export type RawEvent = Readonly<Record<string, unknown>>;

export function isJudged(eventType: unknown): eventType is string {
  return (JUDGED_EVENTS as readonly unknown[]).includes(eventType);
}

/**
 * Turns a form-encoded pre-event request into a typed event. Throws {@link MalformedRequestError}
 * naming the field when a judged event cannot be read.
 */
export function parseEvent(raw: RawEvent): PreEvent {
  const field = fieldReader(raw);
  const eventType = field.optional('EventType');
  const update = eventType !== undefined && Object.hasOwn(UPDATE_EVENTS, eventType);
  const type = update ? UPDATE_EVENTS[eventType!] : eventType;
  const base = { chatServiceSid: field.optional('ChatServiceSid') || undefined, source: field.optional('Source'), ...(update && { update }) };
  switch (type) {
    case 'onMessageAdd': {
      const author = field.optional('Author') ?? '';
      return {
        type,
        ...base,
        conversationSid: field.required('ConversationSid'),
        author,
        authorChannel: channelOfAuthor(author, base.source),
        body: field.optional('Body') ?? '',
        attributes: field.optional('Attributes') ?? '',
        media: parseMedia(field.optional('Media')),
      };
    }
    case 'onParticipantAdd': {
      // Twilio may send a binding field empty; an empty one is an absent one.
      const present = (name: string) => field.optional(name) || undefined;
      const address = present('MessagingBinding.Address');
      const bindingType = present('MessagingBinding.Type');
      return {
        type,
        ...base,
        conversationSid: field.required('ConversationSid'),
        identity: present('Identity'),
        address,
        proxyAddress: present('MessagingBinding.ProxyAddress'),
        projectedAddress: present('MessagingBinding.ProjectedAddress'),
        channel: participantChannel(address, bindingType),
        attributes: field.optional('Attributes') ?? '',
      };
    }
    case 'onConversationAdd': {
      const author = field.optional('MessagingBinding.AuthorAddress');
      const body = field.optional('MessageBody') ?? '';
      const media = parseMedia(field.optional('Media'));
      return {
        type,
        ...base,
        friendlyName: field.optional('FriendlyName') ?? '',
        uniqueName: field.optional('UniqueName') ?? '',
        attributes: field.optional('Attributes') ?? '',
        firstMessage:
          author !== undefined || body !== '' || media.length > 0
            ? { author: author ?? '', authorChannel: author ? channelOfAddress(author) : 'web', body, media }
            : undefined,
      };
    }
    default:
      throw new MalformedRequestError('EventType', `is not one of ${JUDGED_EVENTS.join(', ')}`);
  }
}

function fieldReader(raw: RawEvent) {
  const optional = (name: string): string | undefined => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new MalformedRequestError(name, 'must be given once, as a string');
    return value;
  };
  const required = (name: string): string => {
    const value = optional(name);
    if (value === undefined || value.trim() === '') throw new MalformedRequestError(name, 'is required');
    return value;
  };
  return { optional, required };
}

/** Looks like a phone number, `whatsapp:+…`, `messenger:…`, `gbm:…` or an e-mail address. */
const MESSAGING_ADDRESS = /^(\+?[0-9][0-9 ()-]{4,}|(whatsapp|messenger|gbm|email|mailto):.+|[^@\s]+@[^@\s]+\.[^@\s]+)$/i;

/**
 * The channel a message comes from. SDK-originated messages are chat, whatever the identity looks
 * like; otherwise an Author shaped like a messaging address names its channel, and anything else is
 * a chat identity.
 */
export function channelOfAuthor(author: string, source: string | undefined): Channel {
  if (source?.toUpperCase() === 'SDK') return 'web';
  return MESSAGING_ADDRESS.test(author.trim()) ? channelOfAddress(author.trim()) : 'web';
}

function participantChannel(address: string | undefined, bindingType: string | undefined): Channel {
  if (address === undefined) return 'web';
  if (bindingType && bindingType.toUpperCase() !== 'CHAT') return channelOfBindingType(bindingType);
  return channelOfAddress(address);
}
