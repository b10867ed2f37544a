/**
 * The audit judges history as the webhook judges the live action: for random conversations (members
 * on chat, SMS with or without a proxy, WhatsApp, email; a message of random text and files), the
 * last member's join and the message are sent as signed pre-event webhooks to the built functions in
 * the local runtime, with the emulator holding the state of that moment, and the audit's verdicts on
 * the same history, read back from the emulator, are the functions' answers.
 */
import fc from 'fast-check';
import { startEmulator, type Emulator } from '../../emulator';
import { Auditor, type AuditReport } from '../../src/audit/replay';
import { Reader, readHistory } from '../../src/audit/read';
import { parseSettings } from '../../src/guard/config/load';
import * as events from '../support/events';
import { CHAT_SERVICE_SID } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime, type RuntimeResponse } from '../support/runtime';
import { runtimeEnv } from '../support/state-emulator';

type Kind = 'web' | 'sms' | 'whatsapp' | 'email';
interface Member {
  kind: Kind;
  proxy: boolean;
}

/** Limits small enough for a handful of members and a short text to meet them. */
const LIMITS = { MAX_SMS_BODY_CHARS: '12', MAX_WHATSAPP_BODY_CHARS: '16', MAX_CHAT_BODY_BYTES: '40', MAX_SMS_SEGMENTS: '1', MAX_NON_CHAT_PARTICIPANTS: '2', MAX_GROUP_MMS_PARTICIPANTS: '3' };
const RUNS = Number(process.env.FUZZ_AUDIT_RUNS ?? 20);
const MiB = 1024 * 1024;

let emu: Emulator;
let runtime: Runtime;
beforeAll(async () => {
  emu = await startEmulator();
  runtime = await startRuntime(runtimeEnv(emu, LIMITS), { forkProcess: false });
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
  await emu?.close();
});

const address = (m: Member, i: number) => (m.kind === 'sms' ? `+1555000000${i}` : m.kind === 'whatsapp' ? `whatsapp:+1555100000${i}` : `c${i}@example.com`);
const proxyOf = (m: Member) => (m.kind === 'sms' ? '+15559870000' : m.kind === 'whatsapp' ? 'whatsapp:+15559870000' : 'support@example.com');
const authorOf = (m: Member, i: number) => (m.kind === 'web' ? `user-${i}` : address(m, i));

/** What an answer is: the rule a 403 names, the rules an annotation carries, or nothing. */
function verdictOf(res: RuntimeResponse): string[] {
  const body = res.json as { code?: string; attributes?: string };
  if (res.status === 403) return [`${body.code} reject`];
  if (body.attributes) return (JSON.parse(body.attributes) as { limitsGuard: { violations: Array<{ code: string }> } }).limitsGuard.violations.map((v) => `${v.code} annotate`);
  return [];
}

/** The audit's verdicts on one action, found by the SID its examples name. */
const auditVerdict = (report: AuditReport, sid: string) => report.rules.filter((r) => r.examples.some((e) => e.messageSid === sid || e.participantSid === sid)).map((r) => `${r.code} ${r.outcome}`).sort();

const member = fc.record({ kind: fc.constantFrom<Kind>('web', 'sms', 'whatsapp', 'email'), proxy: fc.boolean() });
const body = fc.string({ unit: fc.constantFrom(...'aé€{ жΔ😀'), maxLength: 30 });
const media = fc.array(fc.record({ contentType: fc.constantFrom('image/jpeg', 'video/mp4', 'audio/ogg', 'application/zip'), size: fc.constantFrom(1000, 3 * MiB, 20 * MiB) }), { maxLength: 2 });

it('gives the functions\' answer for the last join and the message of random conversations', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(fc.array(member, { minLength: 1, maxLength: 5 }), fc.nat(), body, media, async (members, pick, text, files) => {
      emu.reset();
      const at = Date.parse('2026-03-02T10:00:00Z');
      const iso = (t: number) => new Date(t).toISOString();
      const sid = emu.seed.conversation({ serviceSid: CHAT_SERVICE_SID, dateCreated: iso(at) });
      const seedMember = (m: Member, i: number) => emu.seed.participant(sid, { ...(m.kind === 'web' ? { identity: `user-${i}` } : { address: address(m, i), ...(m.proxy && { proxyAddress: proxyOf(m) }) }), dateCreated: iso(at + 1000 * (i + 1)) });
      members.slice(0, -1).forEach(seedMember);

      // The last join, with the members before it.
      const last = members.length - 1;
      const lastMember = members[last]!;
      const join =
        lastMember.kind === 'web'
          ? events.participantAdd({ ConversationSid: sid, Identity: `user-${last}` })
          : events.smsParticipantAdd(lastMember.kind, { ConversationSid: sid, 'MessagingBinding.Address': address(lastMember, last), 'MessagingBinding.ProxyAddress': lastMember.proxy ? proxyOf(lastMember) : '' });
      const joinAnswer = verdictOf(await runtime.post(PRE_EVENT_PATH, join));
      const joined = seedMember(lastMember, last);

      // The message, with every member in.
      const i = pick % members.length;
      const author = members[i]!;
      const mediaField = files.map((f, n) => ({ Sid: `ME${String(n).padStart(32, '0')}`, Filename: `file${n}`, ContentType: f.contentType, Size: f.size }));
      const message = events.messageAdd(
        { ConversationSid: sid, Author: authorOf(author, i), Source: events.AUTHORS[author.kind].Source, Body: text, ...(author.kind !== 'web' && { ClientIdentity: '' }), ...(files.length > 0 && { Media: JSON.stringify(mediaField) }) },
        author.kind,
      );
      const messageAnswer = verdictOf(await runtime.post(PRE_EVENT_PATH, message));
      const messageSid = emu.seed.message(sid, { author: authorOf(author, i), body: text, media: files.map((f, n) => ({ contentType: f.contentType, filename: `file${n}`, size: f.size })), dateCreated: iso(at + 60_000) });

      const auditor = new Auditor(parseSettings(runtimeEnv(emu, LIMITS)));
      const reader = new Reader({ accountSid: events.ACCOUNT_SID, authToken: 'x', baseUrl: emu.url, concurrency: 4 });
      await readHistory(reader, { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z', service: CHAT_SERVICE_SID }, 4, new Set(), (c) => auditor.add(c));
      const report = auditor.finish({ from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' }, CHAT_SERVICE_SID);

      expect(auditVerdict(report, joined)).toEqual(joinAnswer.sort());
      expect(auditVerdict(report, messageSid)).toEqual(messageAnswer.sort());
      for (const v of [...joinAnswer, ...messageAnswer]) seen.add(v.split(' ')[1]!);
    }),
    // A fixed seed: the same sample every run (FUZZ_AUDIT_SEED for another).
    { numRuns: RUNS, seed: Number(process.env.FUZZ_AUDIT_SEED ?? 20260302) },
  );
  // The sample met rejections and annotations, not only actions let through.
  expect([...seen].sort()).toEqual(['annotate', 'reject']);
}, 60_000);
