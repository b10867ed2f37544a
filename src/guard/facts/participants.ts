import type { Twilio } from 'twilio';
import { bindingChannel } from '../event/author-channel';
import { channelOfAddress, isNonChat, type Channel } from '../limits/channels';
import type { DocumentStore } from '../store/document-store';
import { ParticipantPageIndex, walkPages, type ListPage, type WalkedList } from './participant-pages';

/** What the rules need to know about one participant already in the conversation. */
export interface ParticipantFact {
  identity?: string;
  address?: string;
  proxyAddress?: string;
  projectedAddress?: string;
  channel: Channel;
}

interface Binding {
  type?: string;
  address?: string;
  proxy_address?: string;
  projected_address?: string;
}

/** The largest page Twilio serves for participants: a conversation of up to 100 costs one request. */
const PAGE_SIZE = 100;

interface RawParticipant {
  identity: string | null;
  messagingBinding: unknown;
}

/** The two twilio-node participant lists (default-service and service-scoped URLs) share this much. */
interface ParticipantList {
  page(params: { pageSize: number }): Promise<{ instances: RawParticipant[]; nextPageUrl?: string }>;
  getPage(targetUrl: string): Promise<{ instances: RawParticipant[]; nextPageUrl?: string }>;
}

const participantList = (client: Twilio, conversationSid: string, serviceSid?: string): ParticipantList =>
  serviceSid ? client.conversations.v1.services(serviceSid).conversations(conversationSid).participants : client.conversations.v1.conversations(conversationSid).participants;

const toPage = (page: { instances: RawParticipant[]; nextPageUrl?: string }): ListPage<RawParticipant> => ({ items: page.instances, next: page.nextPageUrl || undefined });

/**
 * A conversation's participant list, read page by page (see {@link walkPages}); with `pages`, the page
 * URLs its last walk followed are asked for once the first page says there is more, and read at once.
 */
function walkParticipants(client: Twilio, conversationSid: string, serviceSid: string | undefined, pages?: () => ParticipantPageIndex): Promise<WalkedList<RawParticipant>> {
  const list = participantList(client, conversationSid, serviceSid);
  return walkPages(
    () => list.page({ pageSize: PAGE_SIZE }).then(toPage),
    (url) => list.getPage(url).then(toPage),
    pages && ((next) => pages().read(next)),
  );
}

export interface ListOptions {
  /**
   * Read the page index at once, beside page 1, rather than once page 1 names a next page: for a
   * decision that waits on a Sync read in its first round anyway (a chat join reads its identity
   * tally), so that every later page goes out in the second round. It costs a Sync read (answered by
   * the instance's cache within a second of the last) even for a conversation of one page.
   */
  indexAtOnce?: boolean;
}

/**
 * Every participant of a conversation, from the Conversations REST API (service-scoped when the
 * webhook named a ChatServiceSid). With `store`, a conversation of more than one page reads its pages
 * at once where the page index the post-event function keeps still names them (three round trips in
 * sequence for 1000 participants instead of ten, two with `indexAtOnce`); the list is the same as read
 * in sequence.
 */
export async function listParticipants(client: Twilio, conversationSid: string, serviceSid?: string, store?: () => DocumentStore, options: ListOptions = {}): Promise<ParticipantFact[]> {
  let pages: (() => ParticipantPageIndex) | undefined;
  if (store && options.indexAtOnce) {
    const index = new ParticipantPageIndex(store(), conversationSid, serviceSid);
    index.load().catch(() => undefined); // its failure is the walk's to ignore, if it asks
    pages = () => index;
  } else if (store) {
    // The index is made only when a second page is there to read: a conversation of one page never touches Sync.
    pages = () => new ParticipantPageIndex(store(), conversationSid, serviceSid);
  }
  const { items } = await walkParticipants(client, conversationSid, serviceSid, pages);
  return items.map((p) => toFact(p.identity ?? undefined, p.messagingBinding as Binding | null));
}

/**
 * Walks the participant list with its page index and stores the page URLs followed when they changed
 * (or renews an unchanged index's TTL once a day): what the post-event function does after a
 * participant is added or removed, so the next decision reads every page at once. A conversation of
 * one page makes no Sync request; one of fewer than four pages stores nothing (MIN_INDEXED_PAGES).
 */
export async function refreshParticipantPages(client: Twilio, store: DocumentStore, conversationSid: string, serviceSid: string | undefined): Promise<'written' | 'unchanged' | 'contended'> {
  const index = new ParticipantPageIndex(store, conversationSid, serviceSid);
  const { followed } = await walkParticipants(client, conversationSid, serviceSid, () => index);
  return followed.length === 0 ? 'unchanged' : index.save(followed);
}

/**
 * The Conversations service (IS…) of a conversation: the webhook's ChatServiceSid, or, for older
 * payloads without it, one request to the default-service URL (which serves only the account's
 * default service: any other answers 404, and the guard answers per FAIL_MODE). State kept per
 * service (identity tallies) is thus always keyed by the real SID.
 */
export async function conversationService(client: Twilio, conversationSid: string, chatServiceSid: string | undefined): Promise<string> {
  if (chatServiceSid) return chatServiceSid;
  const conversation = await client.conversations.v1.conversations(conversationSid).fetch();
  return conversation.chatServiceSid;
}

export function toFact(identity: string | undefined, binding: Binding | null | undefined): ParticipantFact {
  const address = binding?.address ?? undefined;
  return {
    identity: identity || undefined,
    address,
    proxyAddress: binding?.proxy_address ?? undefined,
    projectedAddress: binding?.projected_address ?? undefined,
    channel: address ? nonChat(bindingChannel(binding?.type ?? undefined)) ?? channelOfAddress(address) : 'web',
  };
}

const nonChat = (channel: Channel | undefined) => (channel === 'web' ? undefined : channel);

/**
 * A Group MMS conversation: a chat member speaks through a projected address, or an SMS member has
 * no proxy address (native group MMS members are addressed together, not through a proxy number).
 */
export function isGroupMmsMember(p: ParticipantFact): boolean {
  return p.projectedAddress !== undefined || (p.channel === 'sms' && p.address !== undefined && p.proxyAddress === undefined);
}

export function countNonChat(participants: readonly ParticipantFact[]): number {
  return participants.filter((p) => isNonChat(p.channel)).length;
}
