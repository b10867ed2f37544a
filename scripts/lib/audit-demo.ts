/**
 * A deterministic Conversations history for `npm run audit` without credentials: about 200
 * conversations over the 7 days before the window's end, across SMS, WhatsApp, chat and email, with a
 * few actions of each kind the guard would have rejected or annotated, and a few things history cannot
 * tell (deleted messages, a REST message, a participant who left). The same seed and window give the
 * same history; `planted` says what it holds.
 */
import { createHash } from 'node:crypto';
import type { Emulator } from '../../emulator';

/** The rate rule the offline audit adds, as `npm run simulate` does: an echo bot looping. */
export const DEMO_RATE_LIMITS = 'bot-loop=10/10s per author';

export interface DemoHistory {
  conversations: number;
  /** Expected count per `code outcome` under the default settings plus {@link DEMO_RATE_LIMITS}. */
  planted: Record<string, number>;
  notReconstructible: { deletedMessages: number; messagesWithoutParticipant: number; participantsWhoLeft: number; messagesFromParticipantsWhoLeft: number };
}

type Kind = 'sms' | 'whatsapp' | 'chat' | 'email';

/** Numbers in [0, 1) drawn from SHA-256 of the seed and a counter, so a seed names one history. */
function random(seed: number): () => number {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest().readUInt32BE(0) / 2 ** 32;
}

const WORDS = 'hello thanks order delivery tomorrow please check invoice the a my your is on for when can we help today address update status'.split(' ');
const MiB = 1024 * 1024;

export async function seedDemoHistory(emu: Emulator, options: { seed: number; to: number; conversations?: number }): Promise<DemoHistory> {
  const rand = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const text = (max: number) => Array.from({ length: 1 + Math.floor(rand() * max) }, () => pick(WORDS)).join(' ');
  const total = options.conversations ?? 196;
  const start = options.to - 7 * 86_400_000;
  const planted: Record<string, number> = {};
  const plant = (id: string) => (planted[id] = (planted[id] ?? 0) + 1);
  const iso = (ms: number) => new Date(ms).toISOString();
  const kinds: Kind[] = ['sms', 'whatsapp', 'chat', 'email'];

  // Which conversations of each kind carry which violation: the first ones of that kind.
  const specs = Array.from({ length: total }, (_, i) => ({ i, kind: pick(kinds), at: start + Math.floor(rand() * (7 * 86_400_000 - 3_600_000)) }));
  const ofKind = (kind: Kind) => specs.filter((s) => s.kind === kind).map((s) => s.i);
  const plan = new Map<number, string>();
  const assign = (kind: Kind, what: string, count: number, skip = 0) => ofKind(kind).slice(skip, skip + count).forEach((i) => plan.set(i, what));
  assign('sms', 'long-to-sms', 3);
  assign('sms', 'deleted', 2, 3);
  assign('sms', 'left', 1, 5);
  assign('whatsapp', 'long-to-whatsapp', 2);
  assign('whatsapp', 'two-photos', 3, 2);
  assign('chat', 'big-video', 2);
  assign('chat', 'big-attributes', 2, 2);
  assign('chat', 'long-name', 2, 4);
  assign('chat', 'rest-message', 1, 6);
  assign('chat', 'long-identity', 1, 7);
  assign('email', 'big-email', 2);

  let leftSid: string | undefined;
  let leftConversation: string | undefined;
  let leftMessages = 0;
  for (const spec of specs) {
    const what = plan.get(spec.i);
    const n = String(spec.i + 1).padStart(3, '0');
    const sid = emu.seed.conversation({ friendlyName: what === 'long-name' ? `Support ${'x'.repeat(300)}` : `Support ${n}`, dateCreated: iso(spec.at) });
    const agent = what === 'long-identity' ? `agent-${'q'.repeat(300)}` : `agent-${n}`;
    const phone = `+1555${String(1_000_000 + spec.i).slice(1)}`;
    const customer =
      spec.kind === 'sms' ? { address: phone, proxyAddress: '+15550009999' } : spec.kind === 'whatsapp' ? { address: `whatsapp:${phone}`, proxyAddress: 'whatsapp:+15550009999' } : spec.kind === 'email' ? { address: `customer${n}@example.com`, proxyAddress: 'support@example.com' } : { identity: `customer-${n}` };
    const customerSid = emu.seed.participant(sid, { ...customer, dateCreated: iso(spec.at + 1000) });
    emu.seed.participant(sid, { identity: agent, dateCreated: iso(spec.at + 5000) });
    const customerAuthor = customer.identity ?? customer.address!;
    const count = 2 + Math.floor(rand() * 5);
    for (let k = 0; k < count; k += 1) {
      const fromCustomer = k % 2 === 0;
      emu.seed.message(sid, { author: fromCustomer ? customerAuthor : agent, body: text(12), dateCreated: iso(spec.at + 60_000 * (k + 1)) });
    }
    const late = iso(spec.at + 60_000 * (count + 1));
    switch (what) {
      case 'long-to-sms':
        emu.seed.message(sid, { author: agent, body: 'a'.repeat(1700), dateCreated: late });
        plant('message.fanout.sms.body-chars reject');
        break;
      case 'long-to-whatsapp':
        emu.seed.message(sid, { author: agent, body: 'é'.repeat(1800), dateCreated: late });
        plant('message.fanout.whatsapp.body-chars reject');
        break;
      case 'two-photos':
        emu.seed.message(sid, { author: customerAuthor, body: '', media: [{ contentType: 'image/jpeg', filename: 'photo1.jpg', size: 200_000 }, { contentType: 'image/jpeg', filename: 'photo2.jpg', size: 210_000 }], dateCreated: late });
        plant('message.media.count annotate');
        break;
      case 'big-video':
        emu.seed.message(sid, { author: agent, body: 'Video of the site visit', media: [{ contentType: 'video/mp4', filename: 'site-visit.mp4', size: 20 * MiB }], dateCreated: late });
        plant('message.media.file-size reject');
        break;
      case 'big-attributes':
        emu.seed.message(sid, { author: agent, body: 'see attached data', attributes: JSON.stringify({ trace: 'z'.repeat(5000) }), dateCreated: late });
        plant('message.attributes.bytes reject');
        break;
      case 'big-email':
        emu.seed.message(sid, { author: customerAuthor, body: 'Scans attached', media: [{ contentType: 'application/pdf', filename: 'scans.pdf', size: 25 * MiB }], dateCreated: late });
        plant('message.email.bytes annotate');
        break;
      case 'long-name':
        plant('conversation.friendly-name.length reject');
        break;
      case 'long-identity':
        plant('participant.identity.length reject');
        break;
      case 'deleted':
        emu.seed.message(sid, { author: agent, body: 'sent by mistake', dateCreated: late, deleted: true });
        emu.seed.message(sid, { author: agent, body: text(5), dateCreated: iso(spec.at + 60_000 * (count + 2)) });
        break;
      case 'rest-message':
        emu.seed.message(sid, { author: 'system', body: 'Conversation transferred', dateCreated: late });
        break;
      case 'left':
        leftSid = customerSid;
        leftConversation = sid;
        leftMessages = Math.ceil(count / 2);
        break;
    }
  }

  // A Group MMS of eleven: the eleventh member breaks the cap of ten.
  const groupAt = start + 3 * 86_400_000;
  const group = emu.seed.conversation({ friendlyName: 'Neighbourhood group', dateCreated: iso(groupAt) });
  for (let k = 0; k < 11; k += 1) emu.seed.participant(group, { address: `+1555020${String(k).padStart(4, '0')}`, dateCreated: iso(groupAt + 1000 * (k + 1)) });
  plant('participant.group-mms.count reject');

  // An echo bot answering itself: fifteen messages within one second, ten of which a 10/10s rule admits.
  const loopAt = start + 4 * 86_400_000;
  const loop = emu.seed.conversation({ friendlyName: 'Bot test', dateCreated: iso(loopAt) });
  emu.seed.participant(loop, { identity: 'echo-bot', dateCreated: iso(loopAt + 1000) });
  for (let k = 0; k < 15; k += 1) emu.seed.message(loop, { author: 'echo-bot', body: `echo ${k}`, dateCreated: iso(loopAt + 2000) });
  planted['rate.bot-loop reject'] = 5;

  // A customer who left after writing: the message stays, the participant is gone.
  if (leftSid && leftConversation) {
    const res = await fetch(`${emu.url}/conversations/v1/Conversations/${leftConversation}/Participants/${leftSid}`, { method: 'DELETE', headers: { Authorization: `Basic ${Buffer.from('AC00000000000000000000000000000000:demo').toString('base64')}` } });
    if (res.status !== 204) throw new Error(`the demo history could not remove a participant (${res.status})`);
  }
  emu.clearLog();
  return { conversations: total + 2, planted, notReconstructible: { deletedMessages: 2, messagesWithoutParticipant: 1, participantsWhoLeft: leftSid ? 1 : 0, messagesFromParticipantsWhoLeft: leftMessages } };
}
