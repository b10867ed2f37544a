import { TwilioError, invalidParameter } from './errors';
import { DEFAULT_ACCOUNT_SID, DEFAULT_MESSAGING_SERVICE_SID, isSid, newSid } from './ids';
import {
  MAX_CONVERSATIONS_PER_IDENTITY,
  MAX_NON_CHAT_PARTICIPANTS,
  MAX_PARTICIPANTS,
  checkAttributes,
  checkState,
  defaultRoleSid,
  type Conversation,
  type ConversationInput,
  type Message,
  type MessageInput,
  type Participant,
  type ParticipantInput,
} from './conversations-model';

interface Service {
  conversations: Map<string, Conversation>;
  byUniqueName: Map<string, Conversation>;
  byIdentity: Map<string, Set<Participant>>;
  byAddress: Map<string, Set<Participant>>;
}

export class ConversationsStore {
  private services = new Map<string, Service>();
  private allConversations = new Map<string, Conversation>();
  private seq = 0;

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.services.clear();
    this.allConversations.clear();
  }

  createConversation(serviceSid: string, input: ConversationInput): Conversation {
    const service = this.service(serviceSid);
    if (input.uniqueName && service.byUniqueName.has(input.uniqueName)) {
      throw new TwilioError(409, 50353, 'Conversation with provided unique name already exists');
    }
    const now = input.dateCreated ?? this.now();
    const conversation: Conversation = {
      seq: ++this.seq,
      sid: newSid('CH'),
      serviceSid,
      accountSid: input.accountSid ?? DEFAULT_ACCOUNT_SID,
      messagingServiceSid: DEFAULT_MESSAGING_SERVICE_SID,
      friendlyName: input.friendlyName ?? null,
      uniqueName: input.uniqueName || null,
      attributes: input.attributes === undefined ? '{}' : checkAttributes(input.attributes),
      state: input.state === undefined ? 'active' : checkState(input.state),
      dateCreated: now,
      dateUpdated: now,
      participants: new Map(),
      byIdentity: new Map(),
      nonChatCount: 0,
      messages: [],
      nextMessageIndex: 0,
    };
    service.conversations.set(conversation.sid, conversation);
    if (conversation.uniqueName) service.byUniqueName.set(conversation.uniqueName, conversation);
    this.allConversations.set(conversation.sid, conversation);
    return conversation;
  }

  /** Conversations are addressable by sid or unique name within their service. */
  findConversation(serviceSid: string, sidOrUniqueName: string): Conversation | undefined {
    const service = this.services.get(serviceSid);
    return service?.conversations.get(sidOrUniqueName) ?? service?.byUniqueName.get(sidOrUniqueName);
  }

  conversationBySid(sid: string): Conversation | undefined {
    return this.allConversations.get(sid);
  }

  updateConversation(conversation: Conversation, input: ConversationInput): Conversation {
    const service = this.service(conversation.serviceSid);
    if (input.uniqueName !== undefined && input.uniqueName !== conversation.uniqueName) {
      if (input.uniqueName && service.byUniqueName.has(input.uniqueName)) {
        throw new TwilioError(409, 50353, 'Conversation with provided unique name already exists');
      }
      if (conversation.uniqueName) service.byUniqueName.delete(conversation.uniqueName);
      conversation.uniqueName = input.uniqueName || null;
      if (conversation.uniqueName) service.byUniqueName.set(conversation.uniqueName, conversation);
    }
    if (input.state !== undefined) conversation.state = checkState(input.state);
    if (input.friendlyName !== undefined) conversation.friendlyName = input.friendlyName;
    if (input.attributes !== undefined) conversation.attributes = checkAttributes(input.attributes);
    conversation.dateUpdated = this.now();
    return conversation;
  }

  deleteConversation(conversation: Conversation): void {
    for (const participant of [...conversation.participants.values()]) this.removeParticipant(participant);
    const service = this.service(conversation.serviceSid);
    service.conversations.delete(conversation.sid);
    if (conversation.uniqueName) service.byUniqueName.delete(conversation.uniqueName);
    this.allConversations.delete(conversation.sid);
  }

  /**
   * A service's conversations, filtered by state and by creation date (`from` and `to` inclusive,
   * epoch ms). Oldest first, or newest first when a date filter is given, as Twilio sorts them then.
   */
  listConversations(serviceSid: string, state?: string, dates?: { from?: number; to?: number }): Conversation[] {
    const all = [...(this.services.get(serviceSid)?.conversations.values() ?? [])].filter((c) => !state || c.state === state);
    if (!dates) return all;
    return all
      .filter((c) => (dates.from === undefined || c.dateCreated >= dates.from) && (dates.to === undefined || c.dateCreated <= dates.to))
      .sort((a, b) => b.dateCreated - a.dateCreated || b.seq - a.seq);
  }

  addParticipant(conversation: Conversation, input: ParticipantInput): Participant {
    const identity = input.identity || null;
    const address = input.address || null;
    if (!identity && !address) {
      throw invalidParameter('Either Identity or MessagingBinding.Address must be specified');
    }
    if (identity && address) {
      throw invalidParameter('Identity and MessagingBinding.Address cannot both be specified');
    }
    if (identity && conversation.byIdentity.has(identity)) {
      throw new TwilioError(409, 50433, 'Participant already exists');
    }
    if (conversation.participants.size >= MAX_PARTICIPANTS) {
      throw new TwilioError(400, 50417, 'Participants limit exceeded');
    }
    if (address && conversation.nonChatCount >= MAX_NON_CHAT_PARTICIPANTS) {
      throw new TwilioError(400, 50418, 'Non-chat participants limit exceeded');
    }
    const service = this.service(conversation.serviceSid);
    if (identity) {
      let open = 0;
      for (const p of service.byIdentity.get(identity) ?? []) if (p.conversation.state !== 'closed') open += 1;
      if (open >= MAX_CONVERSATIONS_PER_IDENTITY) {
        throw new TwilioError(400, 50214, 'User conversation limit exceeded');
      }
    }
    const now = input.dateCreated ?? this.now();
    const participant: Participant = {
      seq: ++this.seq,
      sid: newSid('MB'),
      conversation,
      accountSid: input.accountSid ?? conversation.accountSid,
      identity,
      address,
      proxyAddress: input.proxyAddress || null,
      projectedAddress: input.projectedAddress || null,
      attributes: input.attributes === undefined ? '{}' : checkAttributes(input.attributes),
      roleSid: input.roleSid || (identity ? defaultRoleSid(conversation.serviceSid) : null),
      dateCreated: now,
      dateUpdated: now,
    };
    conversation.participants.set(participant.sid, participant);
    if (identity) {
      conversation.byIdentity.set(identity, participant);
      indexAdd(service.byIdentity, identity, participant);
    }
    if (address) {
      conversation.nonChatCount += 1;
      indexAdd(service.byAddress, address, participant);
    }
    return participant;
  }

  /** Participants are addressable by sid or, for chat participants, by identity. */
  findParticipant(conversation: Conversation, sidOrIdentity: string): Participant | undefined {
    if (isSid('MB', sidOrIdentity)) return conversation.participants.get(sidOrIdentity);
    return conversation.byIdentity.get(sidOrIdentity);
  }

  updateParticipant(participant: Participant, input: { attributes?: string; roleSid?: string }): Participant {
    if (input.attributes !== undefined) participant.attributes = checkAttributes(input.attributes);
    if (input.roleSid) participant.roleSid = input.roleSid;
    participant.dateUpdated = this.now();
    return participant;
  }

  removeParticipant(participant: Participant): void {
    const conversation = participant.conversation;
    const service = this.service(conversation.serviceSid);
    conversation.participants.delete(participant.sid);
    if (participant.identity) {
      conversation.byIdentity.delete(participant.identity);
      indexRemove(service.byIdentity, participant.identity, participant);
    }
    if (participant.address) {
      conversation.nonChatCount -= 1;
      indexRemove(service.byAddress, participant.address, participant);
    }
  }

  /**
   * A message, numbered with the conversation's next index. Its participant is the one whose
   * identity or address is the author, if any is in the conversation now.
   */
  addMessage(conversation: Conversation, input: MessageInput): Message {
    const author = input.author || 'system';
    const participant =
      conversation.byIdentity.get(author) ?? [...conversation.participants.values()].find((p) => p.address === author);
    const now = input.dateCreated ?? this.now();
    const message: Message = {
      seq: ++this.seq,
      sid: newSid('IM'),
      conversation,
      accountSid: input.accountSid ?? conversation.accountSid,
      index: conversation.nextMessageIndex++,
      author,
      body: input.body ?? null,
      attributes: input.attributes === undefined ? '{}' : checkAttributes(input.attributes),
      media: (input.media ?? []).map((m) => ({ sid: newSid('ME'), contentType: m.contentType, filename: m.filename ?? null, size: m.size })),
      participantSid: participant?.sid ?? null,
      dateCreated: now,
      dateUpdated: now,
    };
    conversation.messages.push(message);
    return message;
  }

  /** Messages are addressable by sid or index. */
  findMessage(conversation: Conversation, sidOrIndex: string): Message | undefined {
    if (/^\d+$/.test(sidOrIndex)) return conversation.messages.find((m) => m.index === Number(sidOrIndex));
    return conversation.messages.find((m) => m.sid === sidOrIndex);
  }

  removeMessage(message: Message): void {
    const list = message.conversation.messages;
    const at = list.indexOf(message);
    if (at >= 0) list.splice(at, 1);
  }

  /** The participations of an identity or address within one service, oldest first. */
  participations(serviceSid: string, by: { identity?: string; address?: string }): Participant[] {
    const service = this.services.get(serviceSid);
    if (!service) return [];
    const set = by.identity !== undefined ? service.byIdentity.get(by.identity) : service.byAddress.get(by.address ?? '');
    return [...(set ?? [])].sort((a, b) => a.seq - b.seq);
  }

  private service(serviceSid: string): Service {
    let service = this.services.get(serviceSid);
    if (!service) {
      service = { conversations: new Map(), byUniqueName: new Map(), byIdentity: new Map(), byAddress: new Map() };
      this.services.set(serviceSid, service);
    }
    return service;
  }
}

function indexAdd(index: Map<string, Set<Participant>>, key: string, participant: Participant): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(participant);
}

function indexRemove(index: Map<string, Set<Participant>>, key: string, participant: Participant): void {
  const set = index.get(key);
  set?.delete(participant);
  if (set && set.size === 0) index.delete(key);
}
