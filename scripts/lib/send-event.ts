/**
 * `npm run send-event`, as a function of its command line, environment and output (scripts/send-event.ts
 * runs it): builds the form of one pre-event webhook in the shape Twilio sends for the event and the
 * channel (tests/fixtures/twilio-requests), signs it with AUTH_TOKEN and posts it to the local guard.
 */
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { JUDGED_EVENTS, UPDATE_EVENTS } from '../../src/guard/event/types';
import { CONTENT_TYPES_BY_EXTENSION, extensionAlias, extensionOf } from '../../src/guard/limits/media-types';
import { channelOfAddress } from '../../src/guard/limits/channels';
import { UsageError, type Cli, type CommandLine, type Out } from './cli';
import { readDotenv } from './dotenv';

const USAGE = `Usage: npm run send-event -- [options] [Key=Value …]

Posts one pre-event webhook to the local guard (npm start) the way Twilio does: form-encoded and
signed with AUTH_TOKEN from .env, to http://localhost:$PORT (PORT from the shell or .env, default
3000). Prints the answer's status and body.

Options:
  --event <type>            onMessageAdd (default), onParticipantAdd, onConversationAdd, or an
                            update: onMessageUpdate, onParticipantUpdate, onConversationUpdate.
  --channel <channel>       Who acts, as Twilio tells it: chat (an SDK client, the default), api (a
                            REST call), or an inbound sms, whatsapp, email, messenger or gbm
                            participant; sets Source and the address and binding fields (a
                            messaging participant is added with Source API, as REST sends it).
  --author <who>            The message's Author (a chat identity, or the sender's address); a
                            participant's Identity; the sender of an inbound first message.
                            Default: alice, or a sample address of the channel.
  --body <text>             The message's Body (a conversation's MessageBody).
  --media <file:size[:type]>
                            One attachment of the Media field, repeatable; size in bytes, KB or MB
                            (1024-based); the type defaults from the extension.
  --address <address>       MessagingBinding.Address of a participant or conversation; without
                            --channel, its form picks the channel (whatsapp:…, an e-mail, a phone).
  --proxy-address <address> MessagingBinding.ProxyAddress: your Twilio number or sender.
  --path <path>             Default: /conversations/pre-event.
  --unsigned                Send without X-Twilio-Signature.
  --env <file>              The .env to read. Default: .env at the project root.
  -h, --help                Show this text; sends nothing.

Key=Value sets any other form field, or overrides one the options set (Source=API, Attributes=…).

Examples:
  npm run send-event -- --media site-visit.mp4:20MB --body "Video of the site visit"
  npm run send-event -- --channel whatsapp --media voice.ogg:48213:"audio/ogg; codecs=opus" --body ""
  npm run send-event -- --event onParticipantAdd --channel sms --address +15555550123 --proxy-address +15555550100
  npm run send-event -- --unsigned Body=hi`;

const OPTIONS = {
  event: { type: 'string' },
  channel: { type: 'string' },
  author: { type: 'string' },
  body: { type: 'string' },
  media: { type: 'string', multiple: true },
  address: { type: 'string' },
  'proxy-address': { type: 'string' },
  path: { type: 'string' },
  unsigned: { type: 'boolean' },
  env: { type: 'string' },
} as const;

export const SEND_EVENT_CLI: Cli<typeof OPTIONS> = { name: 'send-event', usage: USAGE, options: OPTIONS, positionals: true };

interface ChannelShape {
  source: string;
  /** A sample address of the channel, for the author or the binding; absent for chat and api. */
  address?: string;
  proxy?: string;
  /** What every address of the channel starts with, added when a given one lacks it. */
  prefix?: string;
  /** Messages of the channel come through a Messaging Service. */
  messagingService?: boolean;
}

/** The channels --channel takes, with the Source Twilio sends and sample addresses (tests/fixtures/twilio-requests). */
const CHANNELS: Readonly<Record<string, ChannelShape>> = {
  chat: { source: 'SDK' },
  api: { source: 'API' },
  sms: { source: 'SMS', address: '+15555550123', proxy: '+15555550100', messagingService: true },
  whatsapp: { source: 'WHATSAPP', address: 'whatsapp:+15555550124', proxy: 'whatsapp:+15555550100', prefix: 'whatsapp:', messagingService: true },
  email: { source: 'EMAIL', address: 'customer@example.com', proxy: 'support@example.com' },
  messenger: { source: 'MESSENGER', address: 'messenger:1234567890', proxy: 'messenger:0987654321', prefix: 'messenger:', messagingService: true },
  gbm: { source: 'GBM', address: 'gbm:customer-1', proxy: 'gbm:agent-1', prefix: 'gbm:', messagingService: true },
};

const zeros = (prefix: string, n = 0) => `${prefix}${String(n).padStart(32, '0')}`;
const KB = 1024;
const MB = 1024 * KB;

/** `invoice.pdf:180KB` or `voice.ogg:48213:audio/ogg; codecs=opus`, as the item Twilio's Media array carries. */
export function mediaItem(spec: string, index: number) {
  const [filename, size, ...type] = spec.split(':');
  const number = /^(\d+(?:\.\d+)?)\s*(B|KB|MB)?$/i.exec(size?.trim() ?? '');
  if (!filename || !number) throw new UsageError(`--media "${spec}": expected <filename>:<size>[:<content type>], such as photo.jpg:500KB.`);
  const unit = { KB, MB }[number[2]?.toUpperCase() as 'KB' | 'MB'] ?? 1;
  const contentType = type.join(':').trim() || (CONTENT_TYPES_BY_EXTENSION[extensionAlias(extensionOf(filename))]?.[0] ?? 'application/octet-stream');
  return { Sid: zeros('ME', index + 1), Filename: filename, ContentType: contentType, Size: Math.round(Number(number[1]) * unit) };
}

/**
 * The form fields of the webhook a command line describes: the event's fields in the shape Twilio
 * sends for the channel, then every Key=Value over them. Throws a UsageError for an option that
 * does not apply.
 */
export function eventForm({ values, positionals }: CommandLine<typeof OPTIONS>, accountSid = zeros('AC')): Record<string, string> {
  const event = values.event ?? 'onMessageAdd';
  if (!JUDGED_EVENTS.includes(event)) throw new UsageError(`--event ${event}: expected one of ${JUDGED_EVENTS.join(', ')} (other events: EventType=… with --path).`);
  const channel = values.channel?.toLowerCase() ?? (values.address ? channelOfAddress(values.address) : 'chat');
  const shape = CHANNELS[channel];
  if (!shape) throw new UsageError(`--channel ${channel}: expected one of ${Object.keys(CHANNELS).join(', ')}.`);
  const kind = (UPDATE_EVENTS[event] ?? event).replace(/^on|Add$/g, '');
  const inbound = shape.address !== undefined;
  const media = (values.media ?? []).map(mediaItem);
  const address = (value: string | undefined) => (value === undefined || !shape.prefix || value.startsWith(shape.prefix) ? value : `${shape.prefix}${value}`);

  // What Twilio sends: a message's text, or the first message of a conversation an inbound message creates.
  const withMessage = kind === 'Message' || (kind === 'Conversation' && inbound);
  if (!withMessage && (values.body !== undefined || media.length > 0)) {
    throw new UsageError(`--body and --media are a message's: ${event} from ${channel} carries none.`);
  }
  const withBinding = kind !== 'Message' && inbound;
  if (!withBinding && (values.address !== undefined || values['proxy-address'] !== undefined)) {
    throw new UsageError(`--address and --proxy-address are a messaging binding: ${event} from ${channel} has none (a message's sender is --author).`);
  }

  const form: Record<string, string> = { AccountSid: accountSid, EventType: event, Source: shape.source, RetryCount: '0', ChatServiceSid: zeros('IS') };
  if (kind !== 'Conversation') form.ConversationSid = zeros('CH');
  if (shape.messagingService && withMessage) form.MessagingServiceSid = zeros('MG');
  const identity = values.author ?? 'alice';
  if (kind === 'Message') {
    form.Author = inbound ? address(values.author ?? shape.address)! : identity;
    if (channel === 'chat') form.ClientIdentity = identity;
    if (channel !== 'api') form.ParticipantSid = zeros('MB');
  } else if (kind === 'Participant') {
    // A messaging participant is added through the REST API (or an SDK's addNonChatParticipant).
    if (inbound) Object.assign(form, { Source: 'API', 'MessagingBinding.Type': channel });
    if (!inbound || values.author !== undefined) form.Identity = identity;
  } else {
    Object.assign(form, { FriendlyName: '', UniqueName: '', State: 'active' });
    if (channel === 'chat') form.ClientIdentity = identity;
  }
  if (withBinding) {
    form['MessagingBinding.Address'] = address(values.address ?? (kind === 'Conversation' ? values.author : undefined) ?? shape.address)!;
    form['MessagingBinding.ProxyAddress'] = address(values['proxy-address'] ?? shape.proxy)!;
    // A Group MMS names its sender apart from the members.
    if (kind === 'Conversation' && values.address !== undefined && values.author !== undefined) form['MessagingBinding.AuthorAddress'] = address(values.author)!;
  }
  form.Attributes = '{}';
  if (withMessage) form[kind === 'Message' ? 'Body' : 'MessageBody'] = values.body ?? (media.length > 0 ? '' : 'Hello');
  if (media.length > 0) form.Media = JSON.stringify(media);

  for (const pair of positionals) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`unexpected argument ${pair}: form fields are Key=Value; see --help.`);
    form[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return form;
}

/** Posts the webhook `args` describe; `shellEnv` is the shell's environment (PORT over .env's). */
export async function sendEvent(args: CommandLine<typeof OPTIONS>, shellEnv: NodeJS.ProcessEnv, defaultEnvPath: string, out: Out): Promise<number> {
  const env = readDotenv(args.values.env ?? defaultEnvPath);
  const form = eventForm(args, env.ACCOUNT_SID || undefined);
  const path = args.values.path ?? '/conversations/pre-event';
  const port = shellEnv.PORT ?? env.PORT ?? '3000';
  const target = `http://localhost:${port}${path}`;
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  // The URL Twilio would call, which the signature covers: a tunnel's when WEBHOOK_BASE_URL is set.
  if (!args.values.unsigned) headers['X-Twilio-Signature'] = getExpectedTwilioSignature(env.AUTH_TOKEN ?? '', `${env.WEBHOOK_BASE_URL || `http://localhost:${port}`}${path}`, form);
  let response: Response;
  try {
    response = await fetch(target, { method: 'POST', headers, body: new URLSearchParams(form) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    out.error(`Could not reach ${target} (${cause?.code ?? cause?.message ?? String(error)}): is npm start running?`);
    return 1;
  }
  out.log(`${response.status} ${response.statusText}`);
  out.log(await response.text());
  return 0;
}
