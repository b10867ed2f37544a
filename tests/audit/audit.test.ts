/**
 * `npm run audit` in process (scripts/lib/audit-command.ts) against an emulator holding a generated
 * history whose violations are known: the counts per rule are exactly those, only GET requests are
 * sent, at most --concurrency at once, and a saved history judged again gives the identical report.
 * The history is seeded once for the file: a test that adds to it removes what it added, and the
 * faults and the request log are cleared after each test.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../emulator';
import { AUDIT_CLI, audit, type AuditDeps } from '../../scripts/lib/audit-command';
import { DEMO_RATE_LIMITS, seedDemoHistory, type DemoHistory } from '../../scripts/lib/audit-demo';
import { runCommand } from '../../scripts/lib/cli';
import type { AuditReport } from '../../src/audit/replay';
import { maskAddresses } from '../../src/audit/format';

const TO = Date.parse('2026-03-08T00:00:00Z');
const WINDOW = ['--from', '2026-03-01T00:00:00Z', '--to', '2026-03-08T00:00:00Z'];
/** One day of the history: enough where a test needs some conversations, not the known counts. */
const DAY = ['--from', '2026-03-04', '--to', '2026-03-04'];
let emu: Emulator;
let dir: string;
let history: DemoHistory;

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), 'audit-'));
  history = await seedDemoHistory(emu, { seed: 7, to: TO });
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  emu.clearFaults();
  emu.clearLog();
});

/** Removes a conversation a test added to the seeded history (the emulator's REST API, as Twilio's). */
async function removeConversation(sid: string): Promise<void> {
  const res = await fetch(`${emu.url}/conversations/v1/Conversations/${sid}`, { method: 'DELETE', headers: { Authorization: `Basic ${Buffer.from('AC0123456789abcdef0123456789abcdef:x').toString('base64')}` } });
  expect(res.status).toBe(204);
}

function envFile(extra: Record<string, string> = {}): string {
  const file = join(dir, `env-${Math.random().toString(36).slice(2)}`);
  const vars = { ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', AUTH_TOKEN: '0123456789abcdef0123456789abcdef', TWILIO_API_BASE_URL: emu.url, RATE_LIMITS: DEMO_RATE_LIMITS, ...extra };
  writeFileSync(file, Object.entries(vars).map(([k, v]) => `${k}="${v}"`).join('\n'));
  return file;
}

async function run(argv: string[], shellEnv: Record<string, string> = {}, deps: Partial<AuditDeps> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = { log: (t: string) => stdout.push(t), error: (t: string) => stderr.push(t) };
  const code = await runCommand(AUDIT_CLI, argv, (args, o) => audit(args, o, { root: dir, shellEnv, sleep: async () => undefined, ...deps }), out);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

const countsOf = (report: AuditReport) => Object.fromEntries(report.rules.map((r) => [`${r.code} ${r.outcome}`, r.count]));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as AuditReport;

describe('npm run audit against a known history', () => {
  it('counts exactly the planted violations, sending only GET requests, at most --concurrency at once', async () => {
    const json = join(dir, 'report.json');
    const { code, stdout } = await run(['--env', envFile(), ...WINDOW, '--json', json, '--concurrency', '3']);
    expect(code).toBe(0);
    const report = readJson(json);
    expect(countsOf(report)).toEqual(history.planted);
    expect(report.totals.conversations).toBe(history.conversations);
    expect(report.notReconstructible).toMatchObject({ ...history.notReconstructible, identityLimitNotChecked: 0 });
    expect(report.window).toEqual({ from: '2026-03-01T00:00:00Z', to: '2026-03-08T00:00:00Z' });
    expect(report.settings).toEqual({ RATE_LIMITS: DEMO_RATE_LIMITS });
    expect(report.perDay.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08']);

    const methods = new Set(emu.log.filter((e) => e.product !== 'control').map((e) => e.method));
    expect([...methods]).toEqual(['GET']);
    expect(emu.inFlight().peak).toBeLessThanOrEqual(3);

    // What a person reads: the rule, the outcome, the sentence the webhook's answer carries.
    expect(stdout).toMatch(/message\.fanout\.sms\.body-chars\s+reject\s+3\s+[\d.]+%\s+The message body is 1,700 characters; SMS delivery allows at most 1,600\./);
    expect(stdout).toMatch(/message\.media\.count\s+annotate\s+3/);
    expect(stdout).toContain('Per day, 2026-03-01 to 2026-03-08: |');
    const example = report.rules.find((r) => r.code === 'rate.bot-loop')!.examples[0]!;
    expect(example.message).toBe('Too many actions from this author: rate limit "bot-loop" allows 10 per 10 seconds; retry in 10000 ms.');
    expect(example.messageSid).toMatch(/^IM/);

    // What it would cost: a pre-event execution per action judged, an onParticipantAdded post-event
    // per join admitted (all but the Group MMS member and the over-long identity), per day as in total.
    const { functionExecutions: executions, syncRequests: sync } = report.cost;
    expect(executions.onConversationAdd + executions.onParticipantAdd + executions.onMessageAdd).toBe(report.totals.judged);
    expect(executions.onParticipantAdded).toBe(report.totals.participants - 2);
    for (const type of ['onConversationAdd', 'onParticipantAdd', 'onMessageAdd', 'onParticipantAdded'] as const) expect(report.perDay.reduce((sum, d) => sum + d.executions[type], 0)).toBe(executions[type]);
    const all = Object.values(executions).reduce((sum, n) => sum + n, 0);
    expect(stdout).toContain(`What it would have cost (an estimate; docs/audit.md, "What it would cost"): ${all.toLocaleString('en-US')} Function executions (the pre-event webhooks, and the onParticipantAdded post-event), ${sync.total.toLocaleString('en-US')} Sync requests.`);
    for (const d of report.perDay) expect(stdout).toMatch(new RegExp(`\n  ${d.day} +${d.executions.onConversationAdd} +${d.executions.onParticipantAdd} +${d.executions.onMessageAdd} +${d.executions.onParticipantAdded} +[\\d,]+\n`));
    expect(stdout).toContain(`  Sync: rate rules reads ${sync.rateReads}, writes ${sync.rateWrites.toLocaleString('en-US')}; identity tallies reads ${sync.identityTallyReads}, writes ${sync.identityTallyWrites};`);
    // Every rejection is logged as well as counted, and so is every annotation: more periods to flush.
    expect(sync.rejectionCountReads).toBeGreaterThan(0);
    expect(sync.rejectionLogWrites).toBeGreaterThan(sync.rejectionCountWrites);

    // What it cannot count, and why: older conversations' actions, which the per-author rule counts too.
    expect(report.notReconstructible.notCounted.map((g) => [g.what, g.rules])).toEqual([
      ['actions in conversations created before 2026-03-01T00:00:00Z', ['rate.bot-loop']],
      ['participants who left without writing', undefined],
    ]);
    for (const gap of report.notReconstructible.notCounted) expect(stdout).toContain(`  Not counted, ${gap.what}: ${gap.why}`);
  });

  it('saves what it read without message bodies, resumes a cut run, and a replay gives the identical report with no request', async () => {
    const save = join(dir, 'history.ndjson');
    const first = join(dir, 'first.json');
    rmSync(save, { force: true });
    expect((await run(['--env', envFile(), ...WINDOW, '--save', save, '--json', first])).code).toBe(0);
    const text = readFileSync(save, 'utf8');
    expect(text).not.toContain('site visit');
    expect(text).not.toContain('zzzz');
    const lines = text.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('{"kind":"conversation"'))).toHaveLength(history.conversations);

    // A run stopped while writing its 51st conversation, restarted with the same --save: the line
    // cut short is removed, and only the conversations not saved whole are read, that one included.
    const fiftieth = lines.findIndex((l, i) => lines.slice(0, i + 1).filter((k) => k.startsWith('{"kind":"conversation"')).length === 50);
    const next = lines.slice(fiftieth + 1).find((l) => l.startsWith('{"kind":"conversation"'))!;
    writeFileSync(save, `${lines.slice(0, fiftieth + 1).join('\n')}\n${next.slice(0, next.length >> 1)}`);
    emu.clearLog();
    const resumed = join(dir, 'resumed.json');
    const restart = await run(['--env', envFile(), ...WINDOW, '--save', save, '--json', resumed]);
    expect(restart.code).toBe(0);
    expect(restart.stderr.split('\n')[0]).toBe(`audit: ${save} ended with a line cut short (the run that wrote it stopped while writing it): removed, and what it held is read again.`);
    expect(restart.stderr).toContain(`audit: going on with ${save}: 50 conversations read already`);
    const participantLists = emu.log.filter((e) => e.path.endsWith('/Participants')).length;
    expect(participantLists).toBe(history.conversations - 50);
    expect(emu.log.some((e) => e.path.endsWith(`${JSON.parse(next).sid}/Participants`))).toBe(true);
    expect(readJson(resumed)).toEqual(readJson(first));
    const rewritten = readFileSync(save, 'utf8');
    expect(rewritten.endsWith('\n')).toBe(true);
    expect(rewritten.trim().split('\n').filter((l) => JSON.parse(l).kind === 'conversation')).toHaveLength(history.conversations);

    emu.clearLog();
    const replayed = join(dir, 'replayed.json');
    const replay = await run(['--env', envFile(), '--replay', save, '--json', replayed]);
    expect(replay.code).toBe(0);
    expect(emu.log).toHaveLength(0);
    expect(readJson(replayed)).toEqual(readJson(first));

    // A replay of a file whose last line was cut short judges the lines before it, and says so.
    const cut = join(dir, 'cut-replay.ndjson');
    writeFileSync(cut, rewritten.slice(0, -20));
    const partial = await run(['--env', envFile(), '--replay', cut, '--json', replayed]);
    expect(partial).toMatchObject({ code: 0, stderr: `audit: ${cut} ends with a line cut short (the run that wrote it stopped while writing it): judged without it; run the audit again with --save ${cut} to read that conversation again.` });
    expect(readJson(replayed).totals.conversations).toBe(history.conversations - 1);
  });

  it('saves identities, addresses and authors as stand-ins unless --keep-addresses, and judges them as it judged the values', async () => {
    const kept = join(dir, 'kept.ndjson');
    const masked = join(dir, 'masked.ndjson');
    const plain = join(dir, 'plain.json');
    const replayed = join(dir, 'masked-replayed.json');
    for (const f of [kept, masked, `${masked}.key`]) rmSync(f, { force: true });
    // The run that keeps the values reports as a run that saves nothing: its report is the plain one.
    expect((await run(['--env', envFile(), ...WINDOW, '--save', kept, '--keep-addresses', '--json', plain])).code).toBe(0);
    const maskedRun = await run(['--env', envFile(), ...WINDOW, '--save', masked]);
    expect(maskedRun.code).toBe(0);
    // No two values of this history share a stand-in: the run would say so.
    expect(maskedRun.stderr).not.toContain('stand for more than one value');
    const values = new Set<string>();
    for (const line of readFileSync(kept, 'utf8').trim().split('\n').slice(1)) {
      const entry = JSON.parse(line) as { kind: string; identity?: string; participants?: Array<Record<string, string>>; messages?: Array<{ author: string }> };
      if (entry.identity) values.add(entry.identity);
      for (const p of entry.participants ?? []) for (const k of ['identity', 'address', 'proxyAddress', 'projectedAddress']) if (p[k]) values.add(p[k]!);
      for (const m of entry.messages ?? []) if (m.author) values.add(m.author);
    }
    expect(values).toContain('echo-bot');
    expect([...values].some((v) => v.startsWith('whatsapp:+'))).toBe(true);
    const text = readFileSync(masked, 'utf8');
    expect([...values].filter((v) => text.includes(JSON.stringify(v)))).toEqual([]);
    expect(text).toContain('"whatsapp:+');
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ masked: true });
    expect(readFileSync(`${masked}.key`, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);

    expect((await run(['--env', envFile(), '--replay', masked, '--json', replayed])).code).toBe(0);
    const [a, b] = [readJson(plain), readJson(replayed)];
    expect(countsOf(b)).toEqual(countsOf(a));
    expect(countsOf(b)).toEqual(history.planted);
    expect(b.totals).toEqual(a.totals);
    expect(b.notReconstructible).toEqual(a.notReconstructible);
    expect(b.perDay).toEqual(a.perDay);

    // Going on with a file the other way round would mix values and stand-ins.
    const refused = await run(['--env', envFile(), ...WINDOW, '--save', kept]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(`audit: --save ${kept} was written with --keep-addresses; go on with it with --keep-addresses.`);
  });

  it('says when a stand-in stands for more than one value read in the run', async () => {
    // 26 one-letter chat identities of one conversation: 26 stand-ins to share, some two almost surely draw the same.
    const crowd = emu.seed.conversation({ dateCreated: '2026-03-04T12:00:00Z' });
    try {
      for (const letter of 'abcdefghijklmnopqrstuvwxyz') emu.seed.participant(crowd, { identity: letter, dateCreated: '2026-03-04T12:00:01Z' });
      const save = join(dir, 'crowd.ndjson');
      for (const f of [save, `${save}.key`]) rmSync(f, { force: true });
      const { code, stderr } = await run(['--env', envFile(), ...DAY, '--save', save]);
      expect(code).toBe(0);
      expect(stderr).toMatch(/^audit: \d+ stand-ins? stands? for more than one value read in this run: the report counts each as one author, participant or identity \(docs\/audit\.md, "What is kept"\); --keep-addresses keeps the values\.$/m);
    } finally {
      await removeConversation(crowd);
    }
  });

  it('counts the joins that reached the MAX_CONVERSATIONS_PER_IDENTITY check of an identity in more conversations than the cap as not reconstructible, and no join another rule refused first', async () => {
    // echo-bot and the over-long identity each join a second conversation: both are then in more
    // conversations than a cap of 1, but the over-long identity's joins are refused by its length first.
    const long = `agent-${'q'.repeat(300)}`;
    const added = [emu.seed.conversation({ dateCreated: '2026-03-05T10:00:00Z' }), emu.seed.conversation({ dateCreated: '2026-03-05T11:00:00Z' })];
    try {
      emu.seed.participant(added[0]!, { identity: 'echo-bot', dateCreated: '2026-03-05T10:00:01Z' });
      emu.seed.participant(added[1]!, { identity: long, dateCreated: '2026-03-05T11:00:01Z' });
      const json = join(dir, 'identity.json');
      const { code, stdout } = await run(['--env', envFile({ MAX_CONVERSATIONS_PER_IDENTITY: '1' }), ...WINDOW, '--json', json]);
      expect(code).toBe(0);
      const report = readJson(json);
      expect(report.notReconstructible.identityLimitNotChecked).toBe(2);
      expect(stdout).toContain('chat joins that reached the MAX_CONVERSATIONS_PER_IDENTITY check but could not be judged by it: 2.');
      expect(countsOf(report)).toEqual({ ...history.planted, 'participant.identity.length reject': history.planted['participant.identity.length reject']! + 1 });
      const lookups = emu.log.filter((e) => e.path.endsWith('/ParticipantConversations'));
      expect(lookups.every((e) => e.method === 'GET' && e.query.Identity !== undefined)).toBe(true);
      expect(lookups.map((e) => e.query.Identity)).toEqual(expect.arrayContaining(['echo-bot', long]));
    } finally {
      for (const sid of added) await removeConversation(sid);
    }
  });

  it('masks phone numbers and e-mail addresses in example sentences unless --show-addresses', () => {
    expect(maskAddresses('The identity "agent.smith@example.com" of +15550100123 and whatsapp:+44 20 7946 0958')).toBe('The identity "a••••••@example.com" of +•••••••••23 and whatsapp:+•• •• •••• ••58');
    expect(maskAddresses('The message body is 1,700 characters; SMS delivery allows at most 1,600.')).toBe('The message body is 1,700 characters; SMS delivery allows at most 1,600.');
    // Only what looks like a phone number: not a duration, a date, a size or a short number.
    for (const plain of ['Too many actions: retry in 86399000 ms.', 'The file scan 2026-01-15.pdf is 26214400 bytes.', 'Call +1234567 or 12345678 ms.', 'at 2026-03-01T12:00:00Z']) expect(maskAddresses(plain)).toBe(plain);
    expect(maskAddresses('from sms:15550100123, "447946095812" and +49 (30) 1234567')).toBe('from sms:•••••••••23, "••••••••••12" and +•• (••) •••••67');
  });
});

describe('what goes wrong', () => {
  it('names the variables when Twilio refuses the credentials', async () => {
    const { code, stderr } = await run(['--env', envFile({ ACCOUNT_SID: 'nobody' }), ...WINDOW]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^audit: Twilio refused the credentials \(401, Twilio error 20003\): set ACCOUNT_SID and AUTH_TOKEN in .+ to the account's/);
  });

  it('says so in one sentence when the service does not exist', async () => {
    emu.injectFault({ kind: 'status', status: 404, pathIncludes: '/Services/IS' });
    const { code, stderr } = await run(['--env', envFile(), ...WINDOW, '--service', 'IS0123456789abcdef0123456789abcdef']);
    expect(code).toBe(1);
    expect(stderr).toBe('audit: There is no Conversations service IS0123456789abcdef0123456789abcdef in this account; --service takes a Conversations service SID (IS…) of this account.');
  });

  it('retries a 429 or 5xx, and a failure that lasts ends the run keeping what was saved', async () => {
    emu.injectFault({ kind: 'status', status: 429, pathIncludes: '/Messages', times: 3 });
    emu.injectFault({ kind: 'status', status: 503, pathIncludes: '/Participants', times: 2 });
    const json = join(dir, 'retried.json');
    expect((await run(['--env', envFile(), ...WINDOW, '--json', json])).code).toBe(0);
    expect(countsOf(readJson(json))).toEqual(history.planted);

    // The 40th conversation listed (newest first) keeps failing: the 39 before it are saved.
    const listed = await fetch(`${emu.url}/conversations/v1/Conversations?StartDate=2026-03-01T00:00:00Z&EndDate=2026-03-08T00:00:00Z&PageSize=100`, { headers: { Authorization: `Basic ${Buffer.from('AC0123456789abcdef0123456789abcdef:x').toString('base64')}` } });
    const fortieth = ((await listed.json()) as { conversations: Array<{ sid: string }> }).conversations[39]!.sid;
    emu.injectFault({ kind: 'status', status: 500, pathIncludes: `${fortieth}/Participants` });
    const save = join(dir, 'cut.ndjson');
    rmSync(save, { force: true });
    const { code, stderr } = await run(['--env', envFile(), ...WINDOW, '--save', save, '--concurrency', '1']);
    expect(code).toBe(1);
    expect(stderr).toBe(`audit: /v1/Conversations/${fortieth}/Participants answered 500, Twilio error 20500 after 6 attempts. What was read is kept in ${save}; run again with the same --save to go on.`);
    expect(readFileSync(save, 'utf8').trim().split('\n').filter((l) => l.startsWith('{"kind":"conversation"'))).toHaveLength(39);
    emu.clearFaults();
  });

  it('ends with one sentence when the connection drops partway, keeping what was saved, and the same command goes on', async () => {
    // A stand-in for the network in front of the emulator: the 11th conversation's first request
    // loses its connection, and nothing answers after it.
    let participants = 0;
    const proxy = createServer((req, res) => {
      if (req.url!.includes('/Participants') && ++participants > 10) {
        req.socket.destroy();
        proxy.close();
        proxy.closeAllConnections();
        return;
      }
      void fetch(`${emu.url}${req.url}`, { headers: { Authorization: req.headers.authorization! } }).then(async (answer) => {
        res.writeHead(answer.status, { 'Content-Type': 'application/json' });
        res.end(await answer.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const save = join(dir, 'dropped.ndjson');
    rmSync(save, { force: true });
    const cut = await run(['--env', envFile({ TWILIO_API_BASE_URL: origin }), ...WINDOW, '--save', save, '--concurrency', '1']);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(new RegExp(`^audit: could not reach ${origin} \\([^)\n]+\\)\\. What was read is kept in ${save}; run again with the same --save to go on\\.$`));
    expect(readFileSync(save, 'utf8').trim().split('\n').filter((l) => l.startsWith('{"kind":"conversation"'))).toHaveLength(10);

    const json = join(dir, 'went-on.json');
    const { code, stderr } = await run(['--env', envFile(), ...WINDOW, '--save', save, '--json', json]);
    expect(code).toBe(0);
    expect(stderr).toContain(`audit: going on with ${save}: 10 conversations read already`);
    expect(countsOf(readJson(json))).toEqual(history.planted);
  });

  it('takes credentials and settings from the shell as well as the --env file, the shell winning', async () => {
    const file = join(dir, 'settings-only.env');
    writeFileSync(file, `RATE_LIMITS="${DEMO_RATE_LIMITS}"\nACCOUNT_SID=\nMAX_SMS_BODY_CHARS=1500\n`);
    const json = join(dir, 'shell.json');
    const shell = { ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', AUTH_TOKEN: '0123456789abcdef0123456789abcdef', TWILIO_API_BASE_URL: emu.url, MAX_SMS_BODY_CHARS: '', INBOUND_POLICY: 'reject' };
    // One day of the history is enough to show where it was read from.
    const { code, stderr } = await run(['--env', file, ...DAY, '--json', json], shell);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = readJson(json);
    expect(report.settings).toEqual({ RATE_LIMITS: DEMO_RATE_LIMITS, MAX_SMS_BODY_CHARS: '1500', INBOUND_POLICY: 'reject' });
    expect(report.totals.conversations).toBeGreaterThan(0);
    expect(emu.log.some((e) => e.product === 'conversations')).toBe(true);
  });

  it('says which origin it could not reach', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code, stderr } = await run(['--env', envFile({ TWILIO_API_BASE_URL: origin }), ...WINDOW]);
    expect(code).toBe(1);
    expect(stderr).toBe(`audit: could not reach ${origin} (ECONNREFUSED).`);
  });

  it('counts a message the webhook would refuse as malformed, and a message with no index as telling nothing of deletions', async () => {
    const file = join(dir, 'malformed.ndjson');
    const json = join(dir, 'malformed.json');
    const shape = { bytes: 2, object: true };
    const message = (sid: string, index: number | null, media: unknown[] = []) => ({ sid, index, author: 'agent-1', participantSid: 'MB1', dateCreated: '2026-03-02T10:00:00Z', body: [['a', 5]], attributes: shape, media });
    const conversation = {
      kind: 'conversation', sid: 'CH1', serviceSid: 'IS1', dateCreated: '2026-03-02T09:00:00Z', state: 'active', friendlyNameChars: 3, uniqueNameChars: 0, attributes: shape,
      participants: [{ sid: 'MB1', identity: 'agent-1', attributes: shape, dateCreated: '2026-03-02T09:00:01Z' }],
      messages: [message('IM0', 0), message('IM1', 1, [{ contentType: 'image/png', filename: 'a.png', size: -5 }]), message('IM2', 2, [{ contentType: 'image/png', filename: 'b.png', size: 1.5 }]), message('IMx', null), message('IM4', 4)],
    };
    const header = { kind: 'audit-history', version: 1, window: { from: '2026-03-01T00:00:00Z', to: '2026-03-08T00:00:00Z' }, service: 'default' };
    writeFileSync(file, `${JSON.stringify(header)}\n${JSON.stringify(conversation)}\n`);
    const { code, stdout } = await run(['--env', envFile(), '--replay', file, '--json', json]);
    expect(code).toBe(0);
    const report = readJson(json);
    expect(report.notReconstructible).toMatchObject({ malformed: 2, deletedMessages: 1 });
    expect(report.totals).toMatchObject({ messages: 5, judged: 1 + 1 + 3 });
    expect(stdout).toContain('actions the webhook would have refused as malformed (not judged): 2;');
  });

  it('refuses window, service and reading options with --replay, and going on with a --save file of another service or of the generated history', async () => {
    const save = join(dir, 'other-service.ndjson');
    const service = 'IS0123456789abcdef0123456789abcdef';
    writeFileSync(save, `${JSON.stringify({ kind: 'audit-history', version: 1, window: { from: '2026-03-01T00:00:00Z', to: '2026-03-08T00:00:00Z' }, service, masked: true })}\n`);
    writeFileSync(`${save}.key`, `${'ab'.repeat(32)}\n`);
    emu.clearLog();
    const sentence = '--replay judges a saved history as it was read: --save, --since, --from, --to, --service, --concurrency and --keep-addresses do not apply.';
    for (const extra of [['--to', '2026-03-08'], ['--concurrency', '3'], ['--from', '2026-03-01'], ['--since', '2d'], ['--service', service], ['--keep-addresses']]) {
      expect(await run(['--env', envFile(), '--replay', save, ...extra])).toMatchObject({ code: 2, stderr: `audit: ${sentence}\n\n${AUDIT_CLI.usage}` });
    }
    const other = await run(['--env', envFile(), ...WINDOW, '--save', save]);
    expect(other.code).toBe(2);
    expect(other.stderr.split('\n')[0]).toBe(`audit: --save ${save} holds ${service}, not the account's default service; go on with it as it was started, or give a new file.`);
    expect(emu.log).toHaveLength(0);

    // A generated history (no credentials) is not gone on with against an account.
    const generated = join(dir, 'generated.ndjson');
    rmSync(generated, { force: true });
    const offline = join(dir, 'offline.env');
    writeFileSync(offline, 'MAX_CONVERSATIONS_PER_IDENTITY="1000"\n');
    expect((await run(['--env', offline, ...DAY, '--save', generated])).code).toBe(0);
    const real = await run(['--env', envFile(), ...WINDOW, '--save', generated]);
    expect(real.code).toBe(2);
    expect(real.stderr.split('\n')[0]).toBe(`audit: --save ${generated} holds the generated history, not the account's default service; go on with it as it was started, or give a new file.`);
  });

  it('refuses a saved file that is not an audit history, naming the line', async () => {
    const file = join(dir, 'not-audit.ndjson');
    writeFileSync(file, `${JSON.stringify({ kind: 'audit-history', version: 1, window: { from: 'a', to: 'b' }, service: 'default' })}\n{"hello":1}\n`);
    const { code, stderr } = await run(['--replay', file]);
    expect(code).toBe(1);
    expect(stderr).toBe(`audit: ${file}:2 is not a line of an audit history (not a saved conversation); give --save or --replay a file written by --save.`);
  });

  it('reads a date-time without a zone as UTC whatever TZ says, and refuses a day the calendar does not have', async () => {
    // TZ is read when a process starts: the window of the options is worked out in a process of New
    // York's zone, by the module the command uses; the command itself runs here, in UTC or not.
    const script = `import(${JSON.stringify(join(__dirname, '../../src/audit/window.ts'))}).then(({ default: m }) => console.log(JSON.stringify([new Date(Date.UTC(2026, 2, 1)).getTimezoneOffset(), m.auditWindow({ from: '2026-03-01T00:00:00', to: '2026-03-07T23:59' }, 0), m.auditWindow({ from: '2026-03-01T01:00:00+01:00', to: '2026-03-07' }, 0)])))`;
    const inNewYork = await new Promise<string>((resolve, reject) => execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(__dirname, '../..'), env: { PATH: process.env.PATH ?? '', TZ: 'America/New_York' } }, (error, out) => (error ? reject(error) : resolve(out))));
    expect(JSON.parse(inNewYork)).toEqual([300, { from: '2026-03-01T00:00:00Z', to: '2026-03-07T23:59:00Z' }, { from: '2026-03-01T00:00:00Z', to: '2026-03-07T23:59:59Z' }]);
    const json = join(dir, 'zoneless.json');
    expect((await run(['--env', envFile(), '--from', '2026-03-04T00:00:00', '--to', '2026-03-04T23:59', '--json', json])).code).toBe(0);
    expect(readJson(json).window).toEqual({ from: '2026-03-04T00:00:00Z', to: '2026-03-04T23:59:00Z' });
    emu.clearLog();
    expect(await run(['--from', '2026-02-31', '--to', '2026-03-08'])).toMatchObject({ code: 2, stderr: `audit: --from 2026-02-31: there is no day 31 in 2026-02.\n\n${AUDIT_CLI.usage}` });
    expect(await run(['--from', '2026-02-01', '--to', '2025-02-29T10:00:00Z'])).toMatchObject({ code: 2, stderr: `audit: --to 2025-02-29T10:00:00Z: there is no day 29 in 2025-02.\n\n${AUDIT_CLI.usage}` });
    expect((await run(['--from', '2026-03-01T25:00:00Z', '--to', '2026-03-08'])).code).toBe(2);
    expect(emu.log).toHaveLength(0);
  });

  it('exits 2 on a wrong date or option with one sentence, then the usage, before any request', async () => {
    emu.clearLog();
    expect(await run(['--from', '2026-13-45', '--to', '2026-03-08'])).toMatchObject({ code: 2, stderr: `audit: --from 2026-13-45: expected an ISO 8601 date such as 2026-03-01 or 2026-03-01T12:00:00Z.\n\n${AUDIT_CLI.usage}` });
    expect(await run(['--since', 'soon'])).toMatchObject({ code: 2, stderr: `audit: --since soon: expected a duration such as 7d, 36h or 30d.\n\n${AUDIT_CLI.usage}` });
    expect(await run(['--bogus'])).toMatchObject({ code: 2, stderr: `audit: unknown option --bogus; see --help.\n\n${AUDIT_CLI.usage}` });
    expect((await run(['--help'])).stdout).toContain('Usage: npm run audit');
    expect(emu.log).toHaveLength(0);
  });
});

describe('temporary files', () => {
  /** The rate rules' runs on disk under `parent`. */
  const runsIn = (parent: string) => readdirSync(parent).filter((d) => d.startsWith('audit-rates-')).flatMap((d) => readdirSync(join(parent, d)));

  it("removes the rate rules' runs on disk when the run fails", async () => {
    const spill = mkdtempSync(join(dir, 'spill-'));
    // Identities are counted once every conversation is read: by then the per-author rule's actions wait on disk.
    const hold = emu.hold({ pathIncludes: '/ParticipantConversations' });
    emu.injectFault({ kind: 'status', status: 500, pathIncludes: '/ParticipantConversations' });
    try {
      const running = run(['--env', envFile(), ...DAY], {}, { spill: { runSize: 50, dir: spill } });
      await hold.arrived(1);
      expect(runsIn(spill).length).toBeGreaterThan(1);
      hold.release();
      const { code, stderr } = await running;
      expect(code).toBe(1);
      expect(stderr).toMatch(/\/ParticipantConversations answered 500, Twilio error 20500 after 6 attempts\.$/);
      expect(readdirSync(spill)).toEqual([]);
    } finally {
      hold.release();
    }
  });

  it('removes them when stopped by Ctrl-C (SIGINT), the process ending by that signal and what was saved kept', async () => {
    const spill = mkdtempSync(join(dir, 'spill-'));
    const save = join(dir, 'interrupted.ndjson');
    rmSync(save, { force: true });
    const hold = emu.hold({ pathIncludes: '/ParticipantConversations' });
    try {
      // With --keep-addresses the identities are counted after every conversation is read and saved.
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'audit-child.ts'), '--env', envFile(), ...DAY, '--save', save, '--keep-addresses'], {
        cwd: join(__dirname, '../..'),
        env: { PATH: process.env.PATH ?? '', SPILL_DIR: spill },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      const ended = exited.then(() => Promise.reject(new Error(`the audit ended before counting identities: ${stderr}`)));
      ended.catch(() => undefined);
      await Promise.race([hold.arrived(1), ended]);
      expect(runsIn(spill).length).toBeGreaterThan(1);
      child.kill('SIGINT');
      expect(await exited).toEqual({ code: null, signal: 'SIGINT' });
      expect(readdirSync(spill)).toEqual([]);
      // Every conversation of the day was read, and is saved.
      const read = emu.log.filter((e) => e.path.endsWith('/Participants')).length;
      expect(read).toBeGreaterThan(10);
      expect(readFileSync(save, 'utf8').trim().split('\n').filter((l) => l.startsWith('{"kind":"conversation"'))).toHaveLength(read);
    } finally {
      hold.release();
    }
  });
});
