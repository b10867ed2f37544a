import { twilioVia } from '../../src/guard/twilio/client';
import { postPreEvent, type Decision, type WebhookTarget } from './simulate-webhook';

export interface Row {
  step: string;
  event: string;
  who: string;
  what: string;
  decision: string;
  rule: string;
  reason: string;
  ms: number;
}

/** Non-chat participants the flood step adds through the REST API before it plays joins. */
export const SEEDED_BY_REST = 48;
/** Joins the flood step plays through the webhook: the 50th to the 60th non-chat participant. */
const FLOOD_FIRST = 50;
const FLOOD_LAST = 60;
/** The looping bot stops at its first refusal, or after this many messages. */
const BOT_MAX_MESSAGES = 40;
const MB = 1024 * 1024;

const AGENT = 'maria';
const BOT = 'echo-bot';
const PROXY = '+15550009999';
const phone = (n: number) => `+1555010${String(n).padStart(4, '0')}`;

/**
 * Plays the scenario against `target`. The conversation lives in the emulator, created through the
 * twilio SDK as an application would; after each accepted join the participant is created through
 * the REST API, as Twilio does once the webhook allows it, so later decisions see it.
 */
export async function playScenario(target: WebhookTarget & { emulatorUrl: string }): Promise<Row[]> {
  // Placeholder credentials: the emulator takes any AC… user and non-empty password.
  const client = twilioVia('AC00000000000000000000000000000000', '00000000000000000000000000000000', target.emulatorUrl);
  const conversation = await client.conversations.v1.conversations.create({ friendlyName: 'Order #1042 support' });
  const participants = client.conversations.v1.conversations(conversation.sid).participants;
  await participants.create({ identity: AGENT });
  const base = { ChatServiceSid: conversation.chatServiceSid, ConversationSid: conversation.sid };
  const rows: Row[] = [];

  const smsJoin = (n: number) => ({ ...base, EventType: 'onParticipantAdd', Source: 'SMS', 'MessagingBinding.Type': 'sms', 'MessagingBinding.Address': phone(n), 'MessagingBinding.ProxyAddress': PROXY, Attributes: '{}' });
  const join = async (n: number) => {
    const decision = await postPreEvent(target, smsJoin(n));
    if (decision.decision === 'accepted') await participants.create({ 'messagingBinding.address': phone(n), 'messagingBinding.proxyAddress': PROXY });
    return decision;
  };
  const chatMessage = (author: string, extra: Record<string, string>) => ({ ...base, EventType: 'onMessageAdd', Source: 'SDK', Author: author, Attributes: '{}', Body: '', ...extra });
  const row = (step: string, event: string, who: string, what: string, d: Decision): Row => ({ step, event, who, what, decision: d.decision, rule: d.rule, reason: d.reason, ms: d.ms });

  rows.push(row('1', 'onParticipantAdd', `${phone(1)} / sms`, 'an SMS customer joins', await join(1)));

  const long = await postPreEvent(target, chatMessage(AGENT, { Body: 'Here is the full return policy. '.repeat(63).slice(0, 2000) }));
  rows.push(row('2', 'onMessageAdd', `${AGENT} / chat`, 'a 2,000-character message', long));

  const video = JSON.stringify([{ Sid: 'ME00000000000000000000000000000001', Filename: 'site-visit.mp4', ContentType: 'video/mp4', Size: 20 * MB }]);
  const attachment = await postPreEvent(target, chatMessage(AGENT, { Body: 'Video of the site visit', Media: video }));
  rows.push(row('3', 'onMessageAdd', `${AGENT} / chat`, 'a 20 MB video attachment', attachment));

  // Twilio fires no pre-event webhook for REST-created participants: these 48 are not judged.
  for (let n = 2; n < FLOOD_FIRST; n++) await participants.create({ 'messagingBinding.address': phone(n), 'messagingBinding.proxyAddress': PROXY });
  rows.push(row('4', 'onParticipantAdd', `${phone(FLOOD_FIRST)} / sms`, `SMS participant #${FLOOD_FIRST} joins`, await join(FLOOD_FIRST)));
  rows.push(row('4', 'onParticipantAdd', `${phone(FLOOD_FIRST + 1)} / sms`, `SMS participant #${FLOOD_FIRST + 1} joins`, await join(FLOOD_FIRST + 1)));
  const rest: Decision[] = [];
  for (let n = FLOOD_FIRST + 2; n <= FLOOD_LAST; n++) rest.push(await join(n));
  rows.push(grouped('4', 'onParticipantAdd', `${phone(FLOOD_FIRST + 2)}… / sms`, `SMS participants #${FLOOD_FIRST + 2}–#${FLOOD_LAST} join`, rest));

  const bot: Decision[] = [];
  for (let n = 1; n <= BOT_MAX_MESSAGES; n++) {
    const decision = await postPreEvent(target, chatMessage(BOT, { Body: `Auto-reply #${n}: we received your message.` }));
    bot.push(decision);
    if (decision.decision !== 'accepted') break;
  }
  const allowed = bot.filter((d) => d.decision === 'accepted');
  rows.push(grouped('5', 'onMessageAdd', `${BOT} / chat`, `bot messages 1–${allowed.length}, back to back`, allowed));
  if (bot.length > allowed.length) rows.push(row('5', 'onMessageAdd', `${BOT} / chat`, `bot message ${bot.length}`, bot[bot.length - 1]!));
  return rows;
}

/** Several decisions in one row: `accepted ×9` when they agree, with their median time. */
function grouped(step: string, event: string, who: string, what: string, decisions: Decision[]): Row {
  const kinds = [...new Set(decisions.map((d) => `${d.decision}|${d.rule}`))];
  const [decision = '', rule = ''] = kinds.length === 1 ? kinds[0]!.split('|') : ['mixed', kinds.map((k) => k.split('|')[1] || 'accepted').join(', ')];
  const ms = [...decisions.map((d) => d.ms)].sort((a, b) => a - b)[Math.floor(decisions.length / 2)] ?? 0;
  return { step, event, who, what, decision: `${decision} ×${decisions.length}`, rule, reason: decisions[0]?.reason ?? '', ms };
}
