import { channelOfAddress, type Channel } from '../limits/channels';
import { authorChannel, bindingChannel, isInbound } from './author-channel';
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
      const from = authorChannel(author, base.source);
      return {
        type,
        ...base,
        conversationSid: field.required('ConversationSid'),
        author,
        authorChannel: from.channel,
        authorEvidence: from.by,
        inbound: isInbound(from, base.source),
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
      const body = field.optional('MessageBody') ?? '';
      const media = parseMedia(field.optional('Media'));
      const author = firstMessageAuthor(field.optional('MessagingBinding.AuthorAddress'), field.optional('MessagingBinding.Address'));
      const from = authorChannel(author ?? '', base.source, field.optional('MessagingBinding.Type'));
      return {
        type,
        ...base,
        friendlyName: field.optional('FriendlyName') ?? '',
        uniqueName: field.optional('UniqueName') ?? '',
        attributes: field.optional('Attributes') ?? '',
        firstMessage:
          author !== undefined || body !== '' || media.length > 0
            ? { author: author ?? '', authorChannel: from.channel, authorEvidence: from.by, inbound: isInbound(from, base.source), body, media }
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

/**
 * The sender of the message that creates a conversation: `AuthorAddress` when Twilio auto-creates a
 * Group MMS (then `Address` lists every member), otherwise the one `Address` of a 1:1 autocreation.
 */
function firstMessageAuthor(authorAddress: string | undefined, address: string | undefined): string | undefined {
  if (authorAddress?.trim()) return authorAddress.trim();
  const addresses = addressList(address);
  return addresses.length === 1 ? addresses[0] : undefined;
}

/** `MessagingBinding.Address` as one address, or a list: `[+1…, +1…]`, a JSON array, or comma-separated. */
export function addressList(value: string | undefined): string[] {
  const text = value?.trim() ?? '';
  if (text === '') return [];
  let items: unknown = undefined;
  if (text.startsWith('[')) {
    try {
      items = JSON.parse(text);
    } catch {
      items = text.slice(1, text.endsWith(']') ? -1 : undefined).split(',');
    }
  }
  const list = Array.isArray(items) ? items : text.split(',');
  return list.filter((item) => typeof item === 'string' || typeof item === 'number').map((item) => String(item).trim()).filter((item) => item !== '');
}

function participantChannel(address: string | undefined, bindingType: string | undefined): Channel {
  if (address === undefined) return 'web';
  const fromBinding = bindingChannel(bindingType);
  return fromBinding && fromBinding !== 'web' ? fromBinding : channelOfAddress(address);
}
