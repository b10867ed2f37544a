/**
 * `npm run bench`: builds dist/, then times decisions of the pre-event function, in-process as a warm
 * instance runs them, against the Twilio API emulator in its own process. Prints remote requests per
 * decision, latency with injected remote latency, the rate limiter's throughput, Sync cost and
 * exactness, and the audit's reading and replay of a generated history. Settings are environment variables (BENCH_*); `--help` lists them and runs nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject } from '../scripts/lib/build-project';
import { runScript } from '../scripts/lib/cli';
import { handlePostEvent } from '../src/guard/post-event';
import { MemoryRateLimiter } from '../src/guard/rate/memory-limiter';
import { SyncDocumentStore } from '../src/guard/store/sync-document-store';
import { twilioClientFor } from '../src/guard/twilio/client';
import { parseWindow, slidingWindow } from '../src/guard/rate/window';
import { SlotRateLimiter, slotsId } from '../src/guard/rate/slot-limiter';
import { groupParts } from '../src/guard/store/slot-store';
import { EmulatorProcess } from './emulator-process';
import { mostInAnyWindow } from './most-in-window';
import { roundTrips } from './round-trips';
import { capacity } from './capacity';
import { guardInstance, percentile } from './guard-instance';
import { seedAuditHistory } from './audit-history';
import { rejectionLogFlood } from './rejection-log-flood';
import { conversation, message, participant, participantAdded, photo, seedConversation, seedIdentity, SERVICE } from './scenarios';

const LATENCY_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Remote requests a piece of work makes, and how many it waits for in sequence (its time at LATENCY_MS per request). */
async function requestsOf(emulator: EmulatorProcess, work: () => Promise<unknown>) {
  await emulator.setLatency(LATENCY_MS);
  await emulator.clearLog();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  await emulator.setLatency(0);
  const log = await emulator.log();
  return { conversations: log.filter((e) => e.product === 'conversations').length, sync: log.filter((e) => e.product === 'sync').length, inSequence: Math.round(ms / LATENCY_MS), roundTrips: roundTrips(log) };
}

async function latencies(decide: () => Promise<{ ms: number }>, samples: number) {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push((await decide()).ms);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

const SECTIONS: Array<[string, (e: EmulatorProcess) => Promise<void>]> = [
  ['requests', remoteRequests],
  ['latency', decisionLatency],
  ['rate', rateLimiter],
  ['deadline', writesAfterTheAnswer],
  ['post-event', postEventConcurrency],
  ['counters', rejectionCounters],
  ['log-flood', (emulator) => rejectionLogFlood(emulator, LATENCY_MS)],
  ['audit', auditHistory],
  ['capacity', (emulator) => capacity(emulator, LATENCY_MS)],
];

const USAGE = `Usage: npm run bench

Builds dist/, then times the pre-event function's decisions in-process, as a warm instance makes
them, against the Twilio API emulator in its own process, and prints Markdown tables: remote requests
per decision, latency at injected remote latencies, the rate limiter's bursts, steady streams and
Sync cost, writes after a deadline, post-event work, the rejection counters and log under a flood,
\`npm run audit\` reading a generated history and replaying it at three sizes (time, peak RSS), and
each kind of decision's execution time with the decisions a second it allows under Twilio's 30
Function executions at once (capacity). Takes a few minutes; the figures of docs/performance.md come
from it.

Environment:
  BENCH_ONLY=<section,…>        Run some sections only: ${SECTIONS.map(([name]) => name).join(', ')}.
  BENCH_SAMPLES=<n>             Decisions timed per latency row. Default: 30.
  BENCH_SUSTAINED_SECONDS=<s>   Length of each steady stream. Default: 10.
  BENCH_EMULATOR_PORT=<port>    The emulator's port. Default: 4590.
  BENCH_FLOOD_SECONDS=<s>       Length of the rejection log's flood (10,000 a minute). Default: 60.
  BENCH_AUDIT_CONVERSATIONS=<n> Conversations of the audit's generated history (20 messages each).
                                Default: 10000.

Options:
  -h, --help    Show this text; builds and runs nothing.

Examples:
  npm run bench
  BENCH_ONLY=rate BENCH_SUSTAINED_SECONDS=5 npm run bench
  BENCH_ONLY=audit BENCH_AUDIT_CONVERSATIONS=1000 npm run bench`;

async function main() {
  const emulator = await EmulatorProcess.start(Number(process.env.BENCH_EMULATOR_PORT ?? 4590));
  try {
    console.log(`# Conversations limits guard benchmark (${new Date().toISOString()}, Node ${process.version})\n`);
    const only = process.env.BENCH_ONLY?.split(',');
    for (const [name, run] of SECTIONS) if (!only || only.includes(name)) await run(emulator);
  } finally {
    emulator.stop();
  }
}

async function remoteRequests(emulator: EmulatorProcess) {
  await emulator.reset();
  // The decisions' own requests: the rejection bookkeeping a flush adds has its own row below.
  const guard = guardInstance(emulator.url, { STATUS_COUNTERS: 'off', REJECTION_LOG: 'off' });
  const bookkeeping = guardInstance(emulator.url, {}, { separate: true });
  const conv50 = await seedConversation(emulator, 40, 10);
  const conv1000 = await seedConversation(emulator, 990, 10);
  const indexed1000 = await seedConversation(emulator, 990, 10);
  const indexed999 = await seedConversation(emulator, 990, 9);
  await Promise.all([participantAdded(emulator, indexed1000), participantAdded(emulator, indexed999)]);
  await seedIdentity(emulator, 'agent-900', 900);
  const target = await seedConversation(emulator, 5, 0);
  const rows: Array<[string, { conversations: number; sync: number; inSequence: number; roundTrips: number }, string]> = [
    ['onMessageAdd, short text, 50 participants', await requestsOf(emulator, () => guard.decide(message(conv50))), ''],
    ['onMessageAdd, one photo, 50 participants', await requestsOf(emulator, () => guard.decide(message(conv50, { Media: photo }))), ''],
    ['onMessageAdd, 33 KB body (rejected from the payload)', await requestsOf(emulator, () => guard.decide(message(conv50, { Body: 'x'.repeat(33 * 1024) }))), ''],
    ['onParticipantAdd, identity in 900 conversations, no tally yet', await requestsOf(emulator, () => guard.decide(participant(target, 'agent-900'))), 'rebuilds the tally, written with the join; its join ledger\'s Map created beside (the entry answered 404)'],
    ['onParticipantAdd, identity in 900 conversations, tally kept', await requestsOf(emulator, () => guard.decide(participant(conv50, 'agent-900'))), 'its reads and its ledger entry, at once'],
    ['onParticipantAdd, 1000-participant conversation, no page index', await requestsOf(emulator, () => guard.decide(participant(conv1000, 'newcomer'))), 'rejected: 1001 > 1000; pages in sequence; a new identity: its ledger\'s Map created'],
    ['onParticipantAdd, 1000-participant conversation, page index kept', await requestsOf(emulator, () => guard.decide(participant(indexed1000, 'newcomer'))), 'rejected: 1001 > 1000; the ledger entry made all the same'],
    ['onParticipantAdd, 999-participant conversation, page index kept', await requestsOf(emulator, () => guard.decide(participant(indexed999, 'agent-900'))), 'allowed (1000); tally kept, the join in its ledger'],
    ['onConversationAdd', await requestsOf(emulator, () => guard.decide(conversation(1))), ''],
    ['a rejection whose instance may flush (33 KB body): the decision plus its bookkeeping', await requestsOf(emulator, () => bookkeeping.decide(message(conv50, { Body: 'x'.repeat(33 * 1024) }))), 'counts read then written, beside the log item (the log Map created first: 404, create, item)'],
    ['the same, the log Map there', await requestsOf(emulator, () => bookkeeping.decide(message(conv50, { Body: 'x'.repeat(33 * 1024) }))), 'counts read then written, beside the log item'],
  ];
  console.log(`## Remote requests per decision (default settings; in sequence: the decision's time at ${LATENCY_MS} ms per request, divided by ${LATENCY_MS})\n`);
  console.log('| decision | Conversations requests | Sync requests | round trips in sequence (emulator log) | in sequence (time) | note |\n|---|---|---|---|---|---|');
  for (const [name, r, note] of rows) console.log(`| ${name} | ${r.conversations} | ${r.sync} | ${r.roundTrips} | ${r.inSequence} | ${note} |`);
  console.log('');
}

async function decisionLatency(emulator: EmulatorProcess) {
  await emulator.reset();
  const guard = guardInstance(emulator.url);
  const small = await seedConversation(emulator, 8, 2);
  const large = await seedConversation(emulator, 990, 10);
  await seedIdentity(emulator, 'agent-900', 900);
  await guard.decide(participant(small, 'agent-900')); // builds the tally once
  await emulator.setLatency(LATENCY_MS);
  const samples = Number(process.env.BENCH_SAMPLES ?? 30);
  let n = 0;
  const cases: Array<[string, () => Promise<{ ms: number }>]> = [
    ['onMessageAdd text, 10 participants', () => guard.decide(message(small))],
    ['onMessageAdd photo, 10 participants', () => guard.decide(message(small, { Media: photo }))],
    ['onMessageAdd photo, 1000 participants', () => guard.decide(message(large, { Media: photo }))],
    ['onParticipantAdd, 10 participants, a new identity each time (its tally built)', () => guard.decide(participant(small, `new-${n++}`))],
    ['onParticipantAdd, identity in 900 conversations, this one already in its tally', () => guard.decide(participant(small, 'agent-900'))],
    ['onParticipantAdd, 1000 participants, no page index', () => guard.decide(participant(large, `new-${n++}`))],
    ['onConversationAdd', () => guard.decide(conversation(n++))],
  ];
  console.log(`## Decision latency, ${LATENCY_MS} ms injected per remote request (${samples} sequential decisions each)\n`);
  console.log('| decision | p50 ms | p99 ms | decisions/s one execution sustains (1000 / p50) |\n|---|---|---|---|');
  for (const [name, decide] of cases) {
    const { p50, p99 } = await latencies(decide, samples);
    console.log(`| ${name} | ${fmt(p50)} | ${fmt(p99)} | ${fmt(1000 / p50)} |`);
  }
  await emulator.setLatency(0);
  console.log('');
}

/** The rule every rate scenario uses, unless it says otherwise: rate rules are off by default. */
const RATE_30_PER_MINUTE = { RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1m' };

async function rateLimiter(emulator: EmulatorProcess) {
  console.log('## Rate limits in Sync\n');
  await rateRequests(emulator);
  await bursts(emulator);
  await sustained(emulator);
  await deniedCost(emulator);
}

/**
 * What one rate decision costs in Sync requests and in round trips, by what its instance knows:
 * `30/1m` per conversation (one group a key), conversations the guard has never seen.
 */
async function rateRequests(emulator: EmulatorProcess) {
  await emulator.reset();
  const settings = { ...RATE_30_PER_MINUTE, STATUS_COUNTERS: 'off', REJECTION_LOG: 'off' };
  const window = parseWindow(RATE_30_PER_MINUTE.RATE_LIMIT_ACTIONS_PER_CONVERSATION)!;
  const mapOf = (conversation: string) => groupParts(SlotRateLimiter.groupOf(slotsId('actions-per-conversation', window, conversation), window, 0)).map;
  const sid = (n: number) => `CH${n.toString(16).padStart(32, '0')}`;
  const guard = guardInstance(emulator.url, settings, { separate: true });
  const first = sid(1);
  // Another new conversation whose slots lie in the Map the first one's action creates.
  const neighbour = sid(Array.from({ length: 100_000 }, (_, i) => i + 2).find((n) => mapOf(sid(n)) === mapOf(first))!);
  // The instance's first decision builds its Sync client: made on a key of another Map, untimed.
  await guard.decide(message(sid(Array.from({ length: 100_000 }, (_, i) => i + 2).find((n) => mapOf(sid(n)) !== mapOf(first))!)));
  const rows: Array<[string, { sync: number; inSequence: number }]> = [];
  rows.push(["a key's first action, its rule's Map not there yet (404, the Map, the slot)", await requestsOf(emulator, () => guard.decide(message(first)))]);
  rows.push(["a key's first action (a new conversation), its rule's Map there", await requestsOf(emulator, () => guard.decide(message(neighbour)))]);
  rows.push(['the next action on a key whose slots the instance knows free', await requestsOf(emulator, () => guard.decide(message(neighbour)))]);
  for (let i = 0; i < 28; i++) await guard.decide(message(neighbour));
  rows.push(['a refusal on a key the instance knows full', await requestsOf(emulator, () => guard.decide(message(neighbour)))]);
  const cold = guardInstance(emulator.url, settings, { separate: true });
  rows.push(['another instance, cold, on that key at its limit (409, then a read)', await requestsOf(emulator, () => cold.decide(message(neighbour)))]);
  console.log(`Sync requests of one rate decision, rule \`30/1m\` per conversation (in sequence: its time at ${LATENCY_MS} ms per request, divided by ${LATENCY_MS}):\n`);
  console.log('| decision | Sync requests | in sequence |\n|---|---|---|');
  for (const [name, r] of rows) console.log(`| ${name} | ${r.sync} | ${r.inSequence} |`);
  console.log('');
}

/**
 * Bursts of 3N on one conversation, all at once, from one instance and from three instances with
 * module state of their own, at several Sync latencies.
 */
async function bursts(emulator: EmulatorProcess) {
  console.log('Bursts of 90 messages at once on one conversation, rule `30/1m`:\n');
  console.log('| instances | ms per Sync request | admitted (N = 30) | refused as the limit | contended | fail-open | Sync 429s | Sync requests |\n|---|---|---|---|---|---|---|---|');
  for (const count of [1, 3]) {
    for (const latency of [0, 50, 100, 200]) {
      await emulator.reset();
      await emulator.setLatency(latency, { product: 'sync' });
      const [conv] = await emulator.conversations([{ serviceSid: SERVICE }]);
      const guards = Array.from({ length: count }, () => guardInstance(emulator.url, { ...RATE_30_PER_MINUTE, FAIL_MODE: 'open' }, { separate: true }));
      const results = await Promise.all(Array.from({ length: 90 }, (_, i) => guards[i % count]!.decide(message(conv!))));
      const lines = guards.flatMap((g) => g.lines);
      const admitted = lines.filter((l) => l.outcome === 'allow').length;
      const limited = results.filter((r) => r.outcome === 'rate.actions-per-conversation').length;
      const contended = lines.filter((l) => l.outcome === 'contended').length;
      const failOpen = lines.filter((l) => l.outcome === 'fail-open').length;
      const counters = Object.values(await emulator.counters());
      const throttled = counters.reduce((n, c) => n + c.throttled, 0);
      const sync = (await emulator.log()).filter((e) => e.product === 'sync').length;
      console.log(`| ${count} | ${latency} | ${admitted} | ${limited} | ${contended} | ${failOpen} | ${throttled} | ${sync} |`);
    }
  }
  await emulator.setLatency(0);
  console.log('');
}

/** Replays arrival times through an exact in-process sliding window: what an ideal limiter admits. */
function ideal(arrivals: number[], limit: number, period: string): number {
  let clock = 0;
  const exact = new MemoryRateLimiter(() => clock);
  const window = slidingWindow(limit, period);
  return arrivals.filter((t) => ((clock = t), exact.take('k', window).admitted)).length;
}

/** Steady streams at, under and over `30/1s` on one conversation from three instances, 50 ms per Sync request. */
async function sustained(emulator: EmulatorProcess) {
  const seconds = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 10);
  console.log(`Steady streams on one conversation for ${seconds} s, rule \`30/1s\`, three instances in turn, 50 ms per Sync request:\n`);
  console.log('| messages/s | admitted | ideal (exact in-process, same arrival times) | most in any 1 s | refused as the limit | contended | fail-open | Sync 429s | peak writes/s per Sync object | peak reads/s per Sync object |\n|---|---|---|---|---|---|---|---|---|---|');
  for (const perSecond of [25, 30, 45]) {
    await emulator.reset();
    await emulator.setLatency(LATENCY_MS, { product: 'sync' });
    const guards = Array.from({ length: 3 }, () => guardInstance(emulator.url, { RATE_LIMIT_ACTIONS_PER_CONVERSATION: '30/1s' }, { separate: true }));
    const [conv] = await emulator.conversations([{ serviceSid: SERVICE }]);
    const arrivals: number[] = [];
    const admittedAt: number[] = [];
    const pending: Promise<void>[] = [];
    const start = Date.now();
    for (let i = 0; i < perSecond * seconds; i++) {
      const wait = start + (i * 1000) / perSecond - Date.now();
      if (wait > 0) await sleep(wait);
      arrivals.push(Date.now());
      pending.push(guards[i % 3]!.decide(message(conv!)).then((r) => void (r.outcome === 'allow' && admittedAt.push(Date.now()))));
    }
    await Promise.all(pending);
    const log = (await emulator.log()).filter((e) => e.product === 'sync');
    const counters = Object.values(await emulator.counters());
    const throttled = counters.reduce((n, c) => n + c.throttled, 0);
    const writes = peakPerSecond(log.filter((e) => e.method !== 'GET'));
    const reads = peakPerSecond(log.filter((e) => e.method === 'GET'));
    const lines = guards.flatMap((g) => g.lines);
    const count = (outcome: string) => lines.filter((l) => l.outcome === outcome).length;
    console.log(`| ${perSecond} | ${admittedAt.length} | ${ideal(arrivals, 30, '1s')} | ${mostInAnyWindow(admittedAt, 1000)} | ${count('reject')} | ${count('contended')} | ${count('fail-open')} | ${throttled} | ${Math.max(...writes.values())} | ${Math.max(...reads.values())} |`);
  }
  await emulator.setLatency(0);
  console.log('\n"Most in any 1 s" counts answers as they arrive, up to a round trip after the slot\'s own time; the ideal limiter sees arrival times, so it admits a little less over a run that ends while decisions are still answering.\n');
}

/** The most requests one Sync object received within any second, per object. */
function peakPerSecond(entries: Array<{ at: number; object?: string; path: string }>): Map<string, number> {
  const byObject = new Map<string, number[]>();
  for (const e of entries) byObject.set(e.object ?? e.path, [...(byObject.get(e.object ?? e.path) ?? []), e.at]);
  return new Map([...byObject].map(([object, times]) => [object, mostInAnyWindow(times, 1000)]));
}

async function deniedCost(emulator: EmulatorProcess) {
  await emulator.reset();
  const guard = guardInstance(emulator.url, RATE_30_PER_MINUTE, { separate: true });
  const [conv] = await emulator.conversations([{ serviceSid: SERVICE }]);
  for (let i = 0; i < 30; i++) await guard.decide(message(conv!));
  const next = await requestsOf(emulator, async () => {
    for (let i = 0; i < 100; i++) await guard.decide(message(conv!));
  });
  console.log(`Refusals once a warm instance knows every slot taken (\`30/1m\`, 30 admitted): 100 refusals cost ${next.sync} Sync requests in all.\n`);
}

/**
 * The deadline is real: a join whose participant listing takes 3 s, DECISION_TIMEOUT=1s and
 * FAIL_MODE=closed. The guard answers at 1 s; the writes the decision would have made must never land.
 */
async function writesAfterTheAnswer(emulator: EmulatorProcess) {
  await emulator.reset();
  const guard = guardInstance(emulator.url, { ...RATE_30_PER_MINUTE, DECISION_TIMEOUT: '1s', FAIL_MODE: 'closed', STATUS_COUNTERS: 'off' }, { separate: true });
  const conv = await seedConversation(emulator, 3, 0);
  await emulator.setLatency(3000, { product: 'conversations', pathIncludes: '/Participants' });
  const result = await guard.decide(participant(conv, 'late-joiner'));
  const answeredAt = Date.now();
  await sleep(3500);
  await emulator.setLatency(0);
  const writes = (await emulator.log()).filter((e) => e.product === 'sync' && e.method !== 'GET');
  const after = writes.filter((e) => e.at >= answeredAt).length;
  console.log(`## Writes after the answer\n\nA join whose participant listing takes 3 s (DECISION_TIMEOUT=1s, FAIL_MODE=closed, rate rule on): answered ${result.answer.status} ${result.outcome} after ${fmt(result.ms)} ms; Sync writes after the answer: ${after}; Sync writes in all: ${writes.length}.\n`);
}

/** Closing a conversation of 1000 chat participants: the post-event function's requests in flight. */
async function postEventConcurrency(emulator: EmulatorProcess) {
  await emulator.reset();
  const conv = await seedConversation(emulator, 1000, 0);
  const env = { TWILIO_API_BASE_URL: emulator.url, SIGNATURE_CHECK: 'off' };
  const client = twilioClientFor(env, emulator.url);
  await emulator.setLatency(LATENCY_MS);
  await emulator.clearLog();
  const started = performance.now();
  await handlePostEvent(
    { event: { EventType: 'onConversationStateUpdated', ConversationSid: conv, ChatServiceSid: SERVICE, StateFrom: 'active', StateTo: 'closed' }, env, path: '/conversations/post-event' },
    { log: () => undefined, client: () => client, store: () => new SyncDocumentStore(client, 'default') },
  );
  const ms = performance.now() - started;
  const requests = (await emulator.log()).length;
  const { peak } = await emulator.inFlight();
  await emulator.setLatency(0);
  console.log(`## Post-event work\n\nClosing a conversation of 1000 chat participants (${LATENCY_MS} ms per request): ${requests} Twilio requests in ${fmt(ms)} ms (the post-event budget is 4 s), at most ${peak} in flight at once.\n`);
}

/**
 * A flood of rejected messages on one warm instance: the rejection counters must cost a bounded
 * number of Sync requests per interval, whatever the flood's size.
 */
async function rejectionCounters(emulator: EmulatorProcess) {
  await emulator.reset();
  const intervalMs = 2000;
  const guard = guardInstance(emulator.url, { MAX_CHAT_BODY_BYTES: '10', RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'off', STATUS_FLUSH_INTERVAL: `${intervalMs}ms` });
  const [conv] = await emulator.conversations([{}]);
  const rows: string[] = [];
  for (const latency of [0, LATENCY_MS]) {
    await emulator.setLatency(latency);
    await sleep(intervalMs); // every run starts with a flush due
    await emulator.clearLog();
    const durationMs = 6000;
    const ms: number[] = [];
    let rejected = 0;
    const started = performance.now();
    while (performance.now() - started < durationMs) {
      const r = await guard.decide(message(conv!, { Body: 'over ten bytes' }));
      ms.push(r.ms);
      if (r.outcome === 'message.body.bytes') rejected++;
    }
    const seconds = (performance.now() - started) / 1000;
    const counters = (await emulator.log()).filter((e) => e.product === 'sync');
    const perDocument = new Map<string, number>();
    for (const e of counters) perDocument.set(e.object ?? e.path, (perDocument.get(e.object ?? e.path) ?? 0) + 1);
    rows.push(`| ${latency} | ${rejected} | ${fmt(rejected / seconds)} | ${counters.length} | ${fmt(Math.max(0, ...perDocument.values()) / seconds)} | ${fmt(percentile(ms, 50))} | ${fmt(percentile(ms, 100))} |`);
  }
  await emulator.setLatency(0);
  console.log(`## Rejection counters under a flood (one warm instance, STATUS_FLUSH_INTERVAL=${intervalMs} ms, 6 s)\n`);
  console.log('| ms per remote request | rejections | rejections/s | Sync requests for the counters | busiest document, requests/s | p50 ms | slowest ms (a decision that flushed) |\n|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('');
}

runScript({ name: 'bench', usage: USAGE, options: {} }, async () => {
  console.log(await buildProject());
  await main();
});

/** One audit in a child process: its time and peak RSS (bench/audit-child.ts). */
function auditChild(args: string[]): Promise<{ code: number; ms: number; maxRssKiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, 'audit-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const line = output.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as { code: number; ms: number; maxRssKiB: number });
      } catch {
        reject(new Error(`the audit printed no result: ${output.slice(-500)}`));
      }
    });
  });
}

/** A saved history cut to its header, its first `count` conversations and every identity count. */
function prefixOf(file: string, count: number, target: string): number {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  let kept = 0;
  let messages = 0;
  const out = lines.filter((line, i) => {
    if (i === 0 || line.startsWith('{"kind":"identity"')) return true;
    if (kept >= count) return false;
    kept += 1;
    messages += (JSON.parse(line) as { messages: unknown[] }).messages.length;
    return true;
  });
  writeFileSync(target, `${out.join('\n')}\n`);
  return messages;
}

async function auditHistory(emulator: EmulatorProcess) {
  const conversations = Number(process.env.BENCH_AUDIT_CONVERSATIONS ?? 10_000);
  const messagesEach = 20;
  const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));
  try {
    await emulator.reset();
    const to = Date.parse('2026-03-08T00:00:00Z');
    await seedAuditHistory(emulator, { conversations, messages: messagesEach, to });
    const env = join(dir, 'audit.env');
    writeFileSync(env, `ACCOUNT_SID=AC${'0'.repeat(31)}1\nAUTH_TOKEN=bench\nTWILIO_API_BASE_URL=${emulator.url}\nRATE_LIMITS=agent=100/1m per author\n`);
    const saved = join(dir, 'history.ndjson');
    await emulator.setLatency(LATENCY_MS);
    await emulator.clearLog();
    const read = await auditChild(['--env', env, '--from', '2026-03-01', '--to', '2026-03-07', '--save', saved, '--concurrency', '10']);
    const requests = (await emulator.log()).length;
    await emulator.setLatency(0);
    if (read.code !== 0) throw new Error(`the audit exited ${read.code}`);
    console.log(`## Audit of a generated history (${conversations} conversations, ${conversations * messagesEach} messages, ${LATENCY_MS} ms per request, --concurrency 10, RATE_LIMITS="agent=100/1m per author")\n`);
    console.log('| run | conversations | messages | time s | conversations/s | requests | requests/s | messages/s | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|');
    const mb = (kib: number) => (kib / 1024).toFixed(0);
    console.log(`| read from the emulator | ${conversations} | ${conversations * messagesEach} | ${(read.ms / 1000).toFixed(1)} | ${fmt(conversations / (read.ms / 1000))} | ${requests} | ${fmt(requests / (read.ms / 1000))} | | ${mb(read.maxRssKiB)} |`);
    for (const count of [conversations / 4, conversations / 2, conversations].map(Math.round)) {
      const file = join(dir, `replay-${count}.ndjson`);
      const messages = prefixOf(saved, count, file);
      const replay = await auditChild(['--env', env, '--replay', file]);
      if (replay.code !== 0) throw new Error(`the replay exited ${replay.code}`);
      console.log(`| --replay | ${count} | ${messages} | ${(replay.ms / 1000).toFixed(1)} | ${fmt(count / (replay.ms / 1000))} | 0 | | ${fmt(messages / (replay.ms / 1000))} | ${mb(replay.maxRssKiB)} |`);
    }
    console.log('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
