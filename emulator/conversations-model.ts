import { invalidParameter } from './errors';
import { stableSid } from './ids';
import type { ConversationState } from './types';

/**
 * Limits Twilio enforces when a participant is added (codes from Twilio's error
 * catalogue): 1000 participants per conversation (50417), 50 of them non-chat,
 * i.e. with a messaging binding address (50418), and 1000 active or inactive
 * conversations per chat identity within a service (50214). A second participant
 * with the same identity in one conversation is a conflict (409, 50433).
 */
export const MAX_PARTICIPANTS = 1000;
export const MAX_NON_CHAT_PARTICIPANTS = 50;
export const MAX_CONVERSATIONS_PER_IDENTITY = 1000;

export interface Conversation {
  seq: number;
  sid: string;
  serviceSid: string;
  accountSid: string;
  messagingServiceSid: string;
  friendlyName: string | null;
  uniqueName: string | null;
  attributes: string;
  state: ConversationState;
  dateCreated: number;
  dateUpdated: number;
  participants: Map<string, Participant>;
  byIdentity: Map<string, Participant>;
  nonChatCount: number;
  /** Messages in index order; a removed message leaves a gap in the indexes, as on Twilio. */
  messages: Message[];
  nextMessageIndex: number;
}

/** One attachment of a message, as Twilio lists it (the file itself is not kept). */
export interface MediaInfo {
  sid: string;
  contentType: string;
  filename: string | null;
  size: number;
}

export interface Message {
  seq: number;
  sid: string;
  conversation: Conversation;
  accountSid: string;
  index: number;
  author: string;
  body: string | null;
  attributes: string;
  media: MediaInfo[];
  participantSid: string | null;
  dateCreated: number;
  dateUpdated: number;
}

export interface MessageInput {
  author?: string;
  body?: string;
  attributes?: string;
  media?: Array<{ contentType: string; filename?: string; size: number }>;
  dateCreated?: number;
  accountSid?: string;
}

export interface Participant {
  seq: number;
  sid: string;
  conversation: Conversation;
  accountSid: string;
  identity: string | null;
  address: string | null;
  proxyAddress: string | null;
  projectedAddress: string | null;
  attributes: string;
  roleSid: string | null;
  dateCreated: number;
  dateUpdated: number;
}

export interface ConversationInput {
  friendlyName?: string;
  uniqueName?: string;
  attributes?: string;
  state?: string;
  accountSid?: string;
  /** Seeding only: when it was created (epoch ms); the clock's now otherwise. */
  dateCreated?: number;
}

export interface ParticipantInput {
  identity?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  attributes?: string;
  roleSid?: string;
  accountSid?: string;
  /** Seeding only: when it joined (epoch ms); the clock's now otherwise. */
  dateCreated?: number;
}

const STATES: readonly string[] = ['active', 'inactive', 'closed'];

export function checkState(state: string): ConversationState {
  if (!STATES.includes(state)) throw invalidParameter(`Invalid State: ${state}. Must be one of active, inactive, closed`);
  return state as ConversationState;
}

export function checkAttributes(attributes: string): string {
  try {
    JSON.parse(attributes);
  } catch {
    throw invalidParameter('Attributes must be a valid JSON string');
  }
  return attributes;
}

export const defaultRoleSid = (serviceSid: string): string => stableSid('RL', serviceSid, 'channel user');
export const userSid = (serviceSid: string, identity: string): string => stableSid('US', serviceSid, identity);
