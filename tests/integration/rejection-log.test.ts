/**
 * The rejection log as an operator searches it: two runtime instances (two processes) share one
 * emulator, rejections of several kinds go to both (tests/support/rejection-scenario.ts), and
 * GET /status, from either instance, finds them by conversation, identity or address, rule, outcome
 * and time. And what it keeps of people: under REJECTION_LOG=masked no phone number or e-mail
 * address reaches Sync (request bodies and stored items, seen through a recording proxy) or the
 * JSON; under full they are kept; under off nothing is written to the log Maps.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { logMapName } from '../../src/guard/rejection-log/buffer';
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from '../support/recording-proxy';
import { CONTACTS, contactsIn, SCENARIO_SETTINGS, sendRejections, storedLog, waitUntilFlushed, type Scenario, type SentRecord } from '../support/rejection-scenario';
import { startedAll, startRuntime, type Runtime } from '../support/runtime';
import { runtimeEnv } from '../support/state-emulator';
import { statusBasicAuth } from '../support/status-client';

jest.setTimeout(60_000);

interface StatusRecord {
  at: string;
  event: string;
  outcome: string;
  rule: string;
  reason: string;
  conversationSid?: string;
  author?: string;
  channel?: string;
  instance: string;
}

interface Search {
  records: StatusRecord[];
  dropped: number;
  complete: boolean;
  incomplete?: string;
}

/** GET /status with `query` (a search when it names one of its parameters). */
async function status(runtime: Runtime, query: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
  const search = new URLSearchParams(query).toString();
  const res = await fetch(`${runtime.url}/status${search ? `?${search}` : ''}`, { headers: { Accept: 'application/json', Authorization: statusBasicAuth() } });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text };
}

async function searched(runtime: Runtime, query: Record<string, string>): Promise<Search> {
  const answer = await status(runtime, query);
  expect(answer.status).toBe(200);
  expect(Object.keys(answer.json).sort()).toEqual(['complete', 'dropped', 'records']);
  return answer.json as Search;
}

/** What identifies a record, as the log keeps it under `privacy`. */
const shapeOf = (r: { conversationSid?: string; event: string; outcome: string; rule: string; channel?: string; author?: string }) =>
  [r.conversationSid, r.event, r.outcome, r.rule, r.channel, r.author].join(' ');
const sentShapes = (sent: readonly SentRecord[], privacy: 'masked' | 'full' = 'masked') =>
  sent.map((r) => shapeOf({ ...r, author: privacy === 'masked' ? r.masked : r.author })).sort();
const shapes = (records: readonly StatusRecord[]) => records.map(shapeOf).sort();

const newestFirst = (records: readonly StatusRecord[]) => records.every((r, i) => i === 0 || Date.parse(records[i - 1]!.at) >= Date.parse(r.at));

const syncRequests = (proxy: RecordingProxy) => proxy.requests.filter((r) => r.url.startsWith('/sync/'));
const logWrites = (requests: readonly RecordedRequest[]) => requests.filter((r) => r.method === 'POST' && /guard_rejection_log_\d+\/Items/.test(decodeURIComponent(r.url)));

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator?.close());

describe('two instances, REJECTION_LOG=masked (the default)', () => {
  let proxy: RecordingProxy;
  let runtimes: [Runtime, Runtime];
  let scenario: Scenario;
  let conversationA: string;
  let conversationB: string;
  beforeAll(async () => {
    emulator.reset();
    proxy = await startRecordingProxy(emulator.url);
    const env = runtimeEnv({ url: proxy.url }, { ...SCENARIO_SETTINGS });
    runtimes = (await startedAll([startRuntime(env), startRuntime(env)])) as [Runtime, Runtime];
    expect(runtimes[0].pid).not.toBe(runtimes[1].pid);
    scenario = await sendRejections(emulator, runtimes);
    [conversationA, conversationB] = scenario.conversations;
    await waitUntilFlushed(emulator, runtimes, { records: scenario.sent.length, rejections: scenario.rejected }, conversationA);
  });
  afterAll(async () => {
    await Promise.all(runtimes?.map((runtime) => runtime.stop()) ?? []);
    await proxy?.close();
  });

  it('GET /status lists every record of both instances, newest first, and counts each rejection once per hour', async () => {
    for (const runtime of runtimes) {
      const { json } = await status(runtime);
      expect(json.log).toMatchObject({ privacy: 'masked', keptFor: '7d', dropped: 0, complete: true });
      const records = json.log.records as StatusRecord[];
      expect(shapes(records)).toEqual(sentShapes(scenario.sent));
      expect(newestFirst(records)).toBe(true);
      // Two instances, each named in the records it decided.
      const byInstance = new Map<string, StatusRecord[]>();
      for (const record of records) byInstance.set(record.instance, [...(byInstance.get(record.instance) ?? []), record]);
      expect([...byInstance.values()].map(shapes).sort()).toEqual([0, 1].map((i) => sentShapes(scenario.sent.filter((s) => s.instance === i))).sort());
      // The hours add up to the last day, rule by rule.
      const perHour = json.rejections.perHour as Array<{ hour: number; rules: Record<string, number> }>;
      expect(perHour).toHaveLength(24);
      const summed: Record<string, number> = {};
      for (const { rules } of perHour) for (const [rule, n] of Object.entries(rules)) summed[rule] = (summed[rule] ?? 0) + n;
      expect(summed).toEqual(Object.fromEntries((json.rejections.lastDay as Array<{ rule: string; enforced: number; shadow: number }>).map((t) => [t.rule, t.enforced + t.shadow])));
      expect(Object.values(summed).reduce((a, b) => a + b, 0)).toBe(scenario.rejected);
    }
  });

  it('?conversation= returns exactly that conversation\'s records, from both instances, newest first', async () => {
    for (const [conversation, runtime] of [[conversationA, runtimes[0]], [conversationB, runtimes[1]]] as const) {
      const found = await searched(runtime, { conversation });
      const expected = scenario.sent.filter((s) => s.conversationSid === conversation);
      expect(new Set(expected.map((s) => s.instance))).toEqual(new Set([0, 1]));
      expect(shapes(found.records)).toEqual(sentShapes(expected));
      expect(newestFirst(found.records)).toBe(true);
      expect(found).toMatchObject({ dropped: 0, complete: true });
    }
    expect((await searched(runtimes[0], { conversation: 'CH' + 'f'.repeat(32) })).records).toEqual([]);
  });

  it('?identity= finds an author as sent (a phone number, a WhatsApp address, an e-mail address) or as masked, and a chat identity', async () => {
    const byAuthor = (author: string) => scenario.sent.filter((s) => s.author === author);
    for (const [identity, author] of [
      [CONTACTS.smsAuthor, CONTACTS.smsAuthor],
      ['+1•••••0001', CONTACTS.smsAuthor],
      [CONTACTS.whatsappAuthor, CONTACTS.whatsappAuthor],
      [CONTACTS.whatsappAuthor.replace('whatsapp:', ''), CONTACTS.whatsappAuthor],
      [CONTACTS.apiAuthor, CONTACTS.apiAuthor],
      [CONTACTS.chatIdentity, CONTACTS.chatIdentity],
      [CONTACTS.smsParticipant, CONTACTS.smsParticipant],
      ['alice', 'alice'],
      ['bob', 'bob'],
    ]) {
      const found = await searched(runtimes[1], { identity: identity! });
      expect({ identity, found: shapes(found.records) }).toEqual({ identity, found: sentShapes(byAuthor(author!)) });
      expect(newestFirst(found.records)).toBe(true);
    }
    // Narrowed by conversation too: every given parameter must match.
    const alice = await searched(runtimes[0], { identity: 'alice', conversation: conversationA, rule: 'message.body.bytes' });
    expect(alice.records).toHaveLength(1);
    expect((await searched(runtimes[0], { identity: 'alice', conversation: conversationB })).records).toEqual([]);
  });

  it('?rule= and ?outcome= return the records of that rule, or of that outcome', async () => {
    for (const rule of ['message.body.bytes', 'message.media.file-size', 'participant.non-chat.count', 'participant.identity.conversations']) {
      const found = await searched(runtimes[0], { rule });
      expect({ rule, found: shapes(found.records) }).toEqual({ rule, found: sentShapes(scenario.sent.filter((s) => s.rule === rule)) });
    }
    const annotated = await searched(runtimes[1], { outcome: 'annotate' });
    expect(shapes(annotated.records)).toEqual(sentShapes(scenario.sent.filter((s) => s.outcome === 'annotate')));
    expect(annotated.records.map((r) => r.channel).sort()).toEqual(['sms', 'whatsapp']);
  });

  it('?since= a duration or a date returns the records from then on', async () => {
    const all = (await searched(runtimes[0], { since: '1h' })).records;
    expect(shapes(all)).toEqual(sentShapes(scenario.sent));
    // From the time of the fourth newest: those records and the newer ones, whatever the instance.
    const from = all[3]!.at;
    const since = await searched(runtimes[1], { since: from });
    expect(since.records).toEqual(all.filter((r) => Date.parse(r.at) >= Date.parse(from)));
    expect(since.records.length).toBeGreaterThanOrEqual(4);
    expect((await searched(runtimes[0], { since: new Date(Date.now() + 60_000).toISOString() })).records).toEqual([]);
    expect(shapes((await searched(runtimes[0], { since: '1h', conversation: conversationB })).records)).toEqual(sentShapes(scenario.sent.filter((s) => s.conversationSid === conversationB)));
  });

  it('answers a parameter it cannot read with 400 status.bad-query and a sentence naming it', async () => {
    const since = await status(runtimes[0], { since: 'yesterday' });
    expect(since.status).toBe(400);
    expect(since.json).toEqual({ code: 'status.bad-query', message: expect.stringMatching(/^since=yesterday is neither a duration back from now \(such as 1h/) });
    const outcome = await status(runtimes[0], { outcome: 'dropped' });
    expect(outcome.status).toBe(400);
    expect(outcome.json.message).toMatch(/^outcome=dropped is not one the log keeps: reject, shadow-reject, annotate/);
    expect((await status(runtimes[0], { rule: ' ' })).json).toEqual({ code: 'status.bad-query', message: 'rule must be given once, with a value.' });
  });

  it('keeps no phone number or e-mail address unmasked: not in any Sync request, not in the stored items, not in /status', async () => {
    const sync = syncRequests(proxy);
    const writes = logWrites(sync);
    expect(writes.length).toBeGreaterThan(0);
    // The masked forms did go to Sync: what is checked is what the log wrote.
    expect(writes.map((w) => decodeURIComponent(w.body.replace(/\+/g, ' '))).join('\n')).toContain('+1•••••0001');
    for (const request of sync) expect({ url: request.url, found: [...contactsIn(request.url), ...contactsIn(request.body)] }).toEqual({ url: request.url, found: [] });

    const stored = await storedLog(emulator);
    expect(stored.records).toHaveLength(scenario.sent.length);
    expect(contactsIn(JSON.stringify(stored.items))).toEqual([]);
    expect(stored.records.map((r) => r.author).sort()).toEqual(scenario.sent.map((s) => s.masked).sort());
    // The reason quoting the identity is masked too.
    expect(stored.records.find((r) => r.rule === 'participant.identity.conversations')!.reason).toMatch(/^The number of active or inactive conversations of identity "m•••@example\.com" with this one is 2 conversations/);

    for (const runtime of runtimes) expect(contactsIn((await status(runtime)).text)).toEqual([]);
    for (const identity of [CONTACTS.smsAuthor, CONTACTS.apiAuthor]) expect(contactsIn((await status(runtimes[0], { identity })).text)).toEqual([]);
  });
});

describe('REJECTION_LOG=full', () => {
  let runtime: Runtime;
  let scenario: Scenario;
  beforeAll(async () => {
    emulator.reset();
    runtime = await startRuntime(runtimeEnv(emulator, { ...SCENARIO_SETTINGS, REJECTION_LOG: 'full' }));
    scenario = await sendRejections(emulator, [runtime, runtime]);
    await waitUntilFlushed(emulator, [runtime], { records: scenario.sent.length, rejections: scenario.rejected }, scenario.conversations[0]);
  });
  afterAll(() => runtime?.stop());

  it('keeps the phone numbers and e-mail addresses as they were sent, in Sync and in /status', async () => {
    const stored = await storedLog(emulator);
    expect(stored.records.map((r) => r.author).sort()).toEqual(scenario.sent.map((s) => s.author).sort());
    // The check the masked run passes does find them here.
    expect(contactsIn(JSON.stringify(stored.items)).sort()).toEqual(expect.arrayContaining([CONTACTS.smsAuthor, CONTACTS.apiAuthor, CONTACTS.chatIdentity].sort()));
    const { json } = await status(runtime);
    expect(json.log.privacy).toBe('full');
    expect(shapes(json.log.records)).toEqual(sentShapes(scenario.sent, 'full'));
    const found = await searched(runtime, { identity: CONTACTS.whatsappAuthor });
    expect(found.records.map((r) => r.author)).toEqual([CONTACTS.whatsappAuthor]);
  });
});

describe('REJECTION_LOG=off', () => {
  let runtime: Runtime;
  let scenario: Scenario;
  beforeAll(async () => {
    emulator.reset();
    runtime = await startRuntime(runtimeEnv(emulator, { ...SCENARIO_SETTINGS, REJECTION_LOG: 'off' }));
    scenario = await sendRejections(emulator, [runtime, runtime]);
    await waitUntilFlushed(emulator, [runtime], { records: 0, rejections: scenario.rejected }, scenario.conversations[0]);
  });
  afterAll(() => runtime?.stop());

  it('writes nothing to the log Maps, and /status says the log is off while still counting', async () => {
    const logRequests = emulator.log.filter((entry) => entry.product === 'sync' && /guard_rejection_log_/.test(decodeURIComponent(entry.path)));
    // The only reads are the test's own (storedLog, through waitUntilFlushed): the guard neither wrote nor read them.
    expect(logRequests.filter((entry) => entry.method !== 'GET')).toEqual([]);
    emulator.clearLog();
    const { json } = await status(runtime);
    expect(json.log).toEqual({ privacy: 'off', keptFor: '7d', records: [], dropped: 0, complete: true, off: true });
    expect(json.rejections.lastDay.reduce((n: number, t: { enforced: number }) => n + t.enforced, 0)).toBe(scenario.rejected);
    expect((await status(runtime, { conversation: scenario.conversations[0] })).json).toEqual({ records: [], dropped: 0, complete: true, off: true });
    expect(emulator.log.filter((entry) => [0, 1].some((shard) => decodeURIComponent(entry.path).includes(logMapName(shard))))).toEqual([]);
  });
});
