import type { Channel } from '../limits/channels';
import type { ChannelEvidence } from './author-channel';

/** The pre-event types the guard judges in full. */
export const ADD_EVENTS = ['onMessageAdd', 'onParticipantAdd', 'onConversationAdd'] as const;
export type AddEventType = (typeof ADD_EVENTS)[number];

/**
 * Updates carry the same fields as the adds, and the same field limits apply: without them a long
 * body or large Attributes could be added small and then updated. They are judged on their payload
 * only (no counts, no delivery, no rate).
 */
export const UPDATE_EVENTS: Readonly<Record<string, AddEventType>> = {
  onMessageUpdate: 'onMessageAdd',
  onParticipantUpdate: 'onParticipantAdd',
  onConversationUpdate: 'onConversationAdd',
};

export const JUDGED_EVENTS = [...ADD_EVENTS, ...Object.keys(UPDATE_EVENTS)] as readonly string[];

/** One attachment of a message, whichever casing the request used. */
export interface MediaItem {
  sid?: string;
  filename?: string;
  contentType?: string;
  /**
   * Bytes. Twilio documents Media only as a JSON array; an item without a Size is judged on its count
   * and type alone rather than refused (a 400 would reject every such message).
   */
  size?: number;
}

interface EventBase {
  /** `ChatServiceSid` when Twilio sends it; absent means the account's default service. */
  chatServiceSid?: string;
  source?: string;
  /** An onXxxUpdate judged with the rules of its add: payload only. */
  update?: boolean;
}

export interface MessageAdd extends EventBase {
  type: 'onMessageAdd';
  conversationSid: string;
  author: string;
  authorChannel: Channel;
  /** How authorChannel was found; `shape` is a guess from the Author's form alone. */
  authorEvidence: ChannelEvidence;
  /** Already accepted by Twilio from a carrier or mail server: see {@link isInbound}. */
  inbound: boolean;
  body: string;
  attributes: string;
  media: MediaItem[];
}

export interface ParticipantAdd extends EventBase {
  type: 'onParticipantAdd';
  conversationSid: string;
  identity?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  channel: Channel;
  attributes: string;
}

export interface ConversationAdd extends EventBase {
  type: 'onConversationAdd';
  friendlyName: string;
  uniqueName: string;
  attributes: string;
  /** The first message, when an inbound SMS, WhatsApp or email creates the conversation. */
  firstMessage?: Pick<MessageAdd, 'author' | 'authorChannel' | 'authorEvidence' | 'inbound' | 'body' | 'media'>;
}

export type PreEvent = MessageAdd | ParticipantAdd | ConversationAdd;
