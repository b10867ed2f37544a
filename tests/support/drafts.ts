/**
 * Random message drafts and conversations for the sameness tests of the limits-client module: the
 * same message as a draft (what a page knows before sending) and as the onMessageAdd webhook Twilio
 * would send for it, with the conversation's participants as the Conversations API lists them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import fc from 'fast-check';
import { anyCodePoints } from './code-points';
import type { Draft, DraftMedia } from '../../src/client/limits-client';
import { CHANNELS, type Channel } from '../../src/guard/limits/channels';
import type { Violation } from '../../src/guard/rules/violation';
import { DIST, ensureBuilt } from './build';
import { AUTHORS, messageAdd, type FormFields } from './events';

export type LimitsClient = typeof import('../../src/client/limits-client');

export const CLIENT_FILE = join(DIST, 'assets', 'limits-client.js');

/**
 * The built module (dist/assets/limits-client.js, exactly as served), loaded into this test process:
 * its ES module syntax is turned into CommonJS by esbuild, nothing else is changed.
 */
export function loadBuiltClient(): LimitsClient {
  ensureBuilt();
  const { code } = transformSync(readFileSync(CLIENT_FILE, 'utf8'), { format: 'cjs', loader: 'js' });
  const loaded = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', code)(loaded, loaded.exports);
  return loaded.exports as unknown as LimitsClient;
}

/** The settings a case runs with: message variables as .env strings; an absent key is its default. */
export type MessageEnv = Partial<Record<string, string>>;

const EXTENSIONS = ['jpg', 'jpeg', 'png', 'gif', 'heic', 'amr', 'mp3', 'mp4', 'pdf', 'txt', 'oga'];
const whole = (min: number, max: number) => fc.integer({ min, max }).map(String);
const extensionList = fc.oneof({ weight: 1, arbitrary: fc.constant('*') }, { weight: 4, arbitrary: fc.subarray(EXTENSIONS, { minLength: 1 }).map((list) => list.join(',')) });

/**
 * Every variable the message rules read, each absent (its default) or set around the sizes the drafts
 * below take, so that every rule is sometimes broken and sometimes not.
 */
export const messageEnv: fc.Arbitrary<MessageEnv> = fc.record(
  {
    GUARD_MODE: fc.oneof({ weight: 9, arbitrary: fc.constant('enforce') }, { weight: 1, arbitrary: fc.constant('shadow') }),
    INBOUND_POLICY: fc.constantFrom('annotate', 'reject', 'reject', 'ignore'),
    MAX_CHAT_BODY_BYTES: whole(0, 3000),
    MAX_MESSAGE_ATTRIBUTES_BYTES: whole(0, 400),
    MAX_EMAIL_BYTES: whole(0, 12000),
    MAX_CHAT_MEDIA_BYTES: whole(0, 8000),
    FLEX_ONE_ATTACHMENT_PER_MESSAGE: fc.constantFrom('true', 'false', 'false', 'false'),
    FLEX_NO_TEXT_WITH_IMAGE: fc.constantFrom('true', 'false', 'false', 'false'),
    ...Object.fromEntries(
      CHANNELS.flatMap((channel) => {
        const prefix = `ATTACHMENTS_${channel.toUpperCase()}`;
        return [
          [`${prefix}_MAX_FILES`, whole(0, 4)],
          [`${prefix}_MAX_FILE_BYTES`, whole(0, 6000)],
          [`${prefix}_MAX_TOTAL_BYTES`, whole(0, 12000)],
          [`${prefix}_EXTENSIONS`, extensionList],
        ];
      }),
    ),
    MAX_SMS_BODY_CHARS: whole(0, 1200),
    MAX_WHATSAPP_BODY_CHARS: whole(0, 1200),
    MAX_SMS_SEGMENTS: fc.oneof(fc.constant('off'), whole(0, 12)),
    MMS_MAX_FILES: whole(0, 4),
    MMS_MAX_FILE_BYTES: whole(0, 6000),
    MMS_MAX_TOTAL_BYTES: whole(0, 12000),
    MMS_EXTENSIONS: extensionList,
    WHATSAPP_MAX_FILES: whole(0, 3),
    WHATSAPP_MAX_FILE_BYTES: whole(0, 6000),
    WHATSAPP_EXTENSIONS: extensionList,
  },
  { requiredKeys: [] },
);

/** Text of every kind the rules measure differently: ASCII, 2-byte, 4-byte/2-unit, non-GSM, GSM extension, whitespace, lone surrogates. */
const textPiece = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  anyCodePoints({ maxLength: 8 }),
  fc.tuple(fc.constantFrom('a', 'é', '😀', 'ж', '€', '{', ' ', '\n', '\uD800', '\uDE00'), fc.integer({ min: 0, max: 900 })).map(([unit, n]) => unit.repeat(n)),
);
const text = fc.array(textPiece, { maxLength: 3 }).map((pieces) => pieces.join(''));

const mediaItem: fc.Arbitrary<DraftMedia> = fc.record(
  {
    filename: fc.tuple(fc.constantFrom('photo', 'voice note', 'x', '.hidden', 'report.final'), fc.constantFrom(...EXTENSIONS, 'JPG', 'ogg', 'xyz', '', 'jpg.exe')).map(([name, ext]) => (ext ? `${name}.${ext}` : name)),
    contentType: fc.constantFrom('image/jpeg', 'image/png', 'image/gif', 'image/heic', 'audio/amr', 'audio/mpeg', 'video/mp4', 'application/pdf', 'text/plain', 'audio/ogg', 'audio/ogg; codecs=opus', 'IMAGE/JPEG', 'application/octet-stream', 'image/webp'),
    size: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 7000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 * 1024 * 1024 }) }),
    sid: fc.nat().map((n) => `ME${n.toString(16).padStart(32, '0')}`),
  },
  { requiredKeys: [] },
);

const attributes = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 300 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 80 }), fc.integer()), { maxKeys: 6 }),
);

/** One case: the settings, the draft, and the order in which Twilio lists the participants. */
export interface DraftCase {
  env: MessageEnv;
  draft: Draft;
  /** The draft's recipients as the client is given them: shuffled, some repeated. */
  clientRecipients: Channel[];
  /** Sort keys for the participant listing the webhook reads: author and recipients, shuffled. */
  listingOrder: number[];
}

export function draftCase(channels: readonly Channel[] = CHANNELS, recipientChannels: readonly Channel[] = channels): fc.Arbitrary<DraftCase> {
  return fc
    .record({
      env: messageEnv,
      body: fc.option(text, { nil: undefined }),
      attributes,
      media: fc.option(fc.oneof({ weight: 3, arbitrary: fc.array(mediaItem, { maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(mediaItem, { maxLength: 4 }) }), { nil: undefined }),
      // Chat authors most often: an inbound author's message is mostly let through (INBOUND_POLICY).
      author: fc.oneof({ weight: 2, arbitrary: fc.constant<Channel>('web') }, { weight: 1, arbitrary: fc.constantFrom(...channels) }),
      recipients: fc.array(fc.constantFrom(...recipientChannels), { maxLength: 6 }),
      shuffle: fc.array(fc.double({ noNaN: true }), { minLength: 20, maxLength: 20 }),
      repeats: fc.array(fc.nat(5), { maxLength: 3 }),
    })
    .map(({ env, body, attributes, media, author, recipients, shuffle, repeats }) => {
      const repeated = [...recipients, ...repeats.filter((i) => i < recipients.length).map((i) => recipients[i]!)];
      const clientRecipients = repeated.map((channel, i) => [shuffle[i % shuffle.length]!, channel] as const).sort((a, b) => a[0] - b[0]).map(([, c]) => c);
      const draft: Draft = { author: { channel: author }, recipients: clientRecipients, ...(body !== undefined && { body }), ...(attributes !== undefined && { attributes }), ...(media !== undefined && { media }) };
      // The draft as generated keeps the recipients in their own order; clientRecipients is what the client sees.
      return { env, draft: { ...draft, recipients }, clientRecipients, listingOrder: shuffle.slice(0, recipients.length + 1) };
    });
}

/** The onMessageAdd request Twilio sends for the draft: its author's Author and Source, Body, Attributes (Twilio's "{}" when none) and Media. */
export function webhookFields(draft: Draft, conversationSid?: string): FormFields {
  const attributes = draft.attributes === undefined ? '{}' : typeof draft.attributes === 'string' ? draft.attributes : JSON.stringify(draft.attributes);
  const media = draft.media ?? [];
  return messageAdd(
    {
      Body: draft.body ?? '',
      Attributes: attributes,
      ...(media.length > 0 && { Media: JSON.stringify(media.map((m) => ({ Sid: m.sid, Filename: m.filename, ContentType: m.contentType, Size: m.size }))) }),
      ...(conversationSid !== undefined && { ConversationSid: conversationSid }),
    },
    draft.author.channel,
  );
}

/** A participant as the Conversations REST API lists it (what twilio-node hands the guard). */
export interface ListedParticipant {
  identity: string | null;
  messagingBinding: { type: string; address: string; proxy_address: string } | null;
}

const PROXIES: Record<Exclude<Channel, 'web'>, string> = { sms: '+15559870000', whatsapp: 'whatsapp:+15559870000', email: 'support@example.com', messenger: 'messenger:9876543210', gbm: 'gbm:brand-agent-42' };

function participant(channel: Channel, address: string | undefined, n: number): ListedParticipant {
  if (channel === 'web') return { identity: address ?? `member-${n}`, messagingBinding: null };
  const own: Record<Exclude<Channel, 'web'>, string> = { sms: `+1555010${String(n).padStart(4, '0')}`, whatsapp: `whatsapp:+1555020${String(n).padStart(4, '0')}`, email: `member-${n}@example.net`, messenger: `messenger:55500${n}`, gbm: `gbm:customer-${n}` };
  return { identity: null, messagingBinding: { type: channel, address: address ?? own[channel], proxy_address: PROXIES[channel] } };
}

/** The conversation's participants, the author among them, in the (shuffled) order Twilio lists them. */
export function participantsOf(c: DraftCase): ListedParticipant[] {
  const author = participant(c.draft.author.channel, AUTHORS[c.draft.author.channel].Author, 0);
  const all = [author, ...c.draft.recipients.map((channel, i) => participant(channel, undefined, i + 1))];
  return all.map((p, i) => [c.listingOrder[i] ?? 0, p] as const).sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

/** The client's verdict for a case: the draft with the recipients shuffled and repeated. */
export const clientVerdict = (client: LimitsClient, limits: unknown, c: DraftCase): Violation | undefined => client.checkDraft(limits as never, { ...c.draft, recipients: c.clientRecipients });

/** What a webhook answer means for the draft: undefined for a 200, the 403 body otherwise. */
export function webhookVerdict(status: number, body: unknown): Violation | undefined | 'unexpected' {
  if (status === 200) return undefined;
  if (status === 403) return body as Violation;
  return 'unexpected';
}
