/**
 * The limits guard's verdict on a message before it is sent: a browser (or Node) ES module, built
 * from the very rule functions the pre-event webhook runs, served as GET /limits-client.js.
 *
 *   import { checkDraft } from 'https://<service>.twil.io/limits-client.js';
 *   const limits = await (await fetch('https://<service>.twil.io/limits')).json();
 *   const problem = checkDraft(limits, { body, media, author: { channel: 'web' }, recipients: ['sms'] });
 *   if (problem) show(problem.message); else await conversation.sendMessage(body);
 *
 * checkDraft answers undefined when the webhook would let the message through (a 200, annotated or
 * not), otherwise the object the webhook's 403 would carry: { code, message, limit, actual, variable,
 * channel?, accepted? }. Rate rules are not judged: they depend on what was sent before, by anyone.
 */
import type { MediaItem, MessageAdd } from '../guard/event/types';
import { isInbound } from '../guard/event/author-channel';
import { CHANNELS, type Channel } from '../guard/limits/channels';
import type { PublishedLimits } from '../guard/published-limits';
import { checkContent, contentPolicy } from '../guard/rules';
import { channelsAtRisk, checkFanout } from '../guard/rules/fanout';
import type { MessageSettings } from '../guard/rules/message-settings';
import type { Violation } from '../guard/rules/violation';

export { CHANNELS };
export type { Channel, PublishedLimits as Limits, Violation };

/** One file of the draft, as a File object describes it (`file.name`, `file.type`, `file.size`). */
export interface DraftMedia {
  filename?: string;
  contentType?: string;
  /** Bytes. Without it, a file is judged on its count and type only, as the webhook does. */
  size?: number;
  /** The media SID, if already known: the webhook names a file without a filename by it. */
  sid?: string;
}

export interface Draft {
  body?: string;
  /** The message Attributes, as a JSON string or an object (sent as its JSON); none is Twilio's "{}". */
  attributes?: string | Record<string, unknown>;
  media?: readonly DraftMedia[];
  /**
   * The channel the author writes from: `web` for any Conversations SDK (chat) user. A non-chat author
   * is an inbound message (SMS, WhatsApp, email, …), judged by INBOUND_POLICY.
   */
  author: { channel: Channel };
  /**
   * The channels of the conversation's other participants (not the author): chat participants are
   * `web`. Order and repetitions do not matter.
   */
  recipients: readonly Channel[];
}

function fail(what: string): never {
  throw new TypeError(`checkDraft: ${what}`);
}

function channel(value: unknown, where: string): Channel {
  if (!(CHANNELS as readonly unknown[]).includes(value)) fail(`${where} must be one of ${CHANNELS.join(', ')}; got ${JSON.stringify(value)}`);
  return value as Channel;
}

function mediaItem(item: DraftMedia, index: number): MediaItem {
  if (typeof item !== 'object' || item === null) fail(`media[${index}] must be an object`);
  const { size } = item;
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) fail(`media[${index}].size must be a whole number of bytes`);
  return { sid: item.sid, filename: item.filename, contentType: item.contentType, size };
}

/**
 * What the pre-event webhook would answer for this message, in a conversation whose other
 * participants are on `draft.recipients`: undefined for an allow, else the violation of its 403.
 * `limits` is the JSON of GET /limits. Throws a TypeError on input the webhook could never receive.
 */
export function checkDraft(limits: PublishedLimits, draft: Draft): Violation | undefined {
  const settings: MessageSettings | undefined = limits?.settings;
  if (typeof settings !== 'object' || settings === null) fail('limits must be the JSON answer of GET /limits');
  if (typeof draft !== 'object' || draft === null) fail('draft must be an object');
  const author = channel(draft.author?.channel, 'author.channel');
  if (!Array.isArray(draft.recipients)) fail('recipients must be an array of channels');
  const recipients = draft.recipients.map((r, i) => ({ channel: channel(r, `recipients[${i}]`) }));
  const attributes = draft.attributes === undefined ? '{}' : typeof draft.attributes === 'string' ? draft.attributes : JSON.stringify(draft.attributes);

  // Shadow mode: the webhook logs what it would reject and allows everything.
  if (settings.GUARD_MODE === 'shadow') return undefined;

  // The message as the webhook reads it from a request whose Source names the author's channel.
  const message: MessageAdd = {
    type: 'onMessageAdd',
    conversationSid: '',
    author: '',
    authorChannel: author,
    authorEvidence: 'source',
    inbound: isInbound({ channel: author, by: 'source' }, undefined),
    body: draft.body ?? '',
    attributes,
    media: (draft.media ?? []).map(mediaItem),
  };
  // As pre-event.ts decides: the payload rules first, then delivery to the other participants'
  // channels (remote.ts), each a rejection only when the content policy judges.
  const policy = contentPolicy(message, settings);
  const content = checkContent(message, settings);
  if (content && policy === 'judge') return content;
  if (policy === 'ignore' || channelsAtRisk(message, settings).length === 0) return undefined;
  const delivery = checkFanout(message, recipients, settings);
  return delivery && policy === 'judge' ? delivery : undefined;
}
