/**
 * `npm run bench`: decisions of the pre-event function, in-process as a warm instance runs them,
 * against the Twilio API emulator in its own process. Prints remote requests per decision, latency
 * with injected remote latency, and the rate limiter's throughput, Sync cost and exactness.
 */
import { MemoryRateLimiter } from '../src/guard/rate/memory-limiter';
import { SyncRateLimiter } from '../src/guard/rate/sync-limiter';
import { SyncDocumentStore } from '../src/guard/store/sync-document-store';
import { twilioClientFor } from '../src/guard/twilio/client';
import { slidingWindow } from '../src/guard/rate/window';
import { EmulatorProcess } from './emulator-process';
import { guardInstance, percentile } from './guard-instance';
import { conversation, message, participant, photo, seedConversation, seedIdentity } from './scenarios';

const LATENCY_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

async function requestsOf(emulator: EmulatorProcess, work: () => Promise<unknown>) {
  await emulator.clearLog();
  await work();
  const log = await emulator.log();
  return { conversations: log.filter((e) => e.product === 'conversations').length, sync: log.filter((e) => e.product === 'sync').length };
}

async function latencies(decide: () => Promise<{ ms: number }>, samples: number) {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push((await decide()).ms);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

async function main() {
  const emulator = await EmulatorProcess.start(Number(process.env.BENCH_EMULATOR_PORT ?? 4590));
  try {
    console.log(`# Conversations limits guard benchmark (${new Date().toISOString()}, Node ${process.version})\n`);
    // BENCH_ONLY=requests,latency,rate,counters runs some sections only.
    const only = process.env.BENCH_ONLY?.split(',');
    const sections: Array<[string, (e: EmulatorProcess) => Promise<void>]> = [['requests', remoteRequests], ['latency', decisionLatency], ['rate', rateLimiter], ['counters', rejectionCounters]];
    for (const [name, run] of sections) if (!only || only.includes(name)) await run(emulator);
  } finally {
    emulator.stop();
  }
}

async function remoteRequests(emulator: EmulatorProcess) {
  await emulator.reset();
  const guard = guardInstance(emulator.url);
  const conv50 = await seedConversation(emulator, 40, 10);
  const conv1000 = await seedConversation(emulator, 990, 10);
  await seedIdentity(emulator, 'agent-900', 900);
  const target = await seedConversation(emulator, 5, 0);
  const rows: Array<[string, { conversations: number; sync: number }, string]> = [
    ['onMessageAdd, short text, 50 participants', await requestsOf(emulator, () => guard.decide(message(conv50))), ''],
    ['onMessageAdd, one photo, 50 participants', await requestsOf(emulator, () => guard.decide(message(conv50, { Media: photo }))), ''],
    ['onMessageAdd, 33 KB body (rejected from the payload)', await requestsOf(emulator, () => guard.decide(message(conv50, { Body: 'x'.repeat(33 * 1024) }))), ''],
    ['onParticipantAdd, identity in 900 conversations, no tally yet', await requestsOf(emulator, () => guard.decide(participant(target, 'agent-900'))), 'rebuilds the tally'],
    ['onParticipantAdd, identity in 900 conversations, tally kept', await requestsOf(emulator, () => guard.decide(participant(conv50, 'agent-900'))), ''],
    ['onParticipantAdd, 1000-participant conversation', await requestsOf(emulator, () => guard.decide(participant(conv1000, 'newcomer'))), 'rejected: 1001 > 1000'],
    ['onConversationAdd', await requestsOf(emulator, () => guard.decide(conversation(1))), ''],
  ];
  console.log('## Remote requests per decision (default settings)\n');
  console.log('| decision | Conversations requests | Sync requests | note |\n|---|---|---|---|');
  for (const [name, r, note] of rows) console.log(`| ${name} | ${r.conversations} | ${r.sync} | ${note} |`);

  // Requests in sequence: with a fixed latency per request, a decision takes about rounds × latency.
  await emulator.setLatency(LATENCY_MS);
  const warm = await guard.decide(participant(await seedConversation(emulator, 3, 0), 'agent-900'));
  await emulator.setLatency(0);
  console.log(`\nonParticipantAdd for the identity in 900 conversations, ${LATENCY_MS} ms per remote request: ${fmt(warm.ms)} ms, about ${Math.round(warm.ms / LATENCY_MS)} requests in sequence (${warm.outcome}).\n`);
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
    ['onParticipantAdd, 10 participants', () => guard.decide(participant(small, `new-${n++}`))],
    ['onParticipantAdd, identity in 900 conversations', () => guard.decide(participant(small, 'agent-900'))],
    ['onParticipantAdd, 1000 participants', () => guard.decide(participant(large, `new-${n++}`))],
    ['onConversationAdd', () => guard.decide(conversation(n++))],
  ];
  console.log(`## Decision latency, ${LATENCY_MS} ms injected per remote request (${samples} sequential decisions each)\n`);
  console.log('| decision | p50 ms | p99 ms |\n|---|---|---|');
  for (const [name, decide] of cases) {
    const { p50, p99 } = await latencies(decide, samples);
    console.log(`| ${name} | ${fmt(p50)} | ${fmt(p99)} |`);
    await sleep(1100); // let the per-conversation rate window drain between cases
  }
  await emulator.setLatency(0);
  console.log('');
}

async function rateLimiter(emulator: EmulatorProcess) {
  console.log('## Rate limits in Sync\n');
  console.log('| run | decisions/s | p50 ms | p99 ms | Sync requests per allowed decision |\n|---|---|---|---|---|');
  for (const latency of [0, LATENCY_MS]) {
    await emulator.reset();
    await emulator.setLatency(latency);
    const guard = guardInstance(emulator.url);
    const convs = await Promise.all(Array.from({ length: 40 }, () => emulator.conversations([{}]).then(([sid]) => sid!)));
    await emulator.clearLog();
    const total = 400;
    const concurrency = 16;
    const ms: number[] = [];
    let next = 0;
    let allowed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const r = await guard.decide(message(convs[i % convs.length]!));
          ms.push(r.ms);
          if (r.outcome === 'allow') allowed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const sync = (await emulator.log()).filter((e) => e.product === 'sync').length;
    console.log(`| ${total} text messages over 40 conversations, ${concurrency} concurrent, ${latency} ms latency | ${fmt(total / seconds)} | ${fmt(percentile(ms, 50))} | ${fmt(percentile(ms, 99))} | ${(sync / allowed).toFixed(2)} (${allowed} allowed) |`);
  }
  await emulator.setLatency(0);
  console.log('');
  await deniedCost(emulator);
  await exactness(emulator);
  await sustained(emulator);
  for (const perSecond of [30, 45]) await sustainedFromNewInstances(emulator, perSecond);
}

async function deniedCost(emulator: EmulatorProcess) {
  await emulator.reset();
  const guard = guardInstance(emulator.url);
  const [conv] = await emulator.conversations([{}]);
  for (let i = 0; i < 30; i++) await guard.decide(message(conv!));
  const first = await requestsOf(emulator, () => guard.decide(message(conv!)));
  const next = await requestsOf(emulator, async () => {
    for (let i = 0; i < 10; i++) await guard.decide(message(conv!));
  });
  const writes = (await emulator.log()).filter((e) => e.product === 'sync' && e.method !== 'GET').length;
  console.log(`Denied decisions (30/1s, 30 admitted in the window): the first costs ${first.sync} Sync reads (shards this instance has not yet seen full); the next 10 on the same warm instance cost ${next.sync} in all; Sync writes for denied decisions: ${writes}.\n`);
}

/** Replays arrival times through an exact in-process sliding window: what an ideal limiter admits. */
function ideal(arrivals: number[], limit: number, period: string): number {
  let clock = 0;
  const exact = new MemoryRateLimiter(() => clock);
  const window = slidingWindow(limit, period);
  return arrivals.filter((t) => ((clock = t), exact.take('k', window).admitted)).length;
}

async function exactness(emulator: EmulatorProcess) {
  console.log('| traffic on one conversation | rule | admitted | ideal (exact in-process) |\n|---|---|---|---|');
  for (const [limit, period, latency] of [[30, '1s', 0], [30, '1s', 100], [5, '10s', 0]] as const) {
    await emulator.reset();
    await emulator.setLatency(latency);
    const guard = guardInstance(emulator.url, { RATE_LIMIT_ACTIONS_PER_CONVERSATION: `${limit}/${period}` });
    const [conv] = await emulator.conversations([{}]);
    const arrivals: number[] = [];
    const results = await Promise.all(Array.from({ length: 3 * limit }, () => ((arrivals.push(Date.now())), guard.decide(message(conv!)))));
    const admitted = results.filter((r) => r.outcome === 'allow').length;
    const failOpen = guard.lines.filter((l) => l.outcome === 'fail-open').length;
    console.log(`| burst of ${3 * limit} at once, ${latency} ms per Sync request | ${limit}/${period} | ${admitted} (${failOpen} fail-open) | ${ideal(arrivals, limit, period)} |`);
  }
  await emulator.setLatency(0);
  for (const rate of [25, 45]) {
    await emulator.reset();
    const guard = guardInstance(emulator.url);
    const [conv] = await emulator.conversations([{}]);
    const { arrivals, admitted } = await stream(guard, conv!, rate, 6000);
    console.log(`| steady ${rate}/s for 6 s | 30/1s | ${admitted} | ${ideal(arrivals, 30, '1s')} |`);
  }
  console.log('');
}

async function stream(guard: ReturnType<typeof guardInstance>, conv: string, perSecond: number, durationMs: number) {
  const arrivals: number[] = [];
  const pending: Promise<{ outcome: string }>[] = [];
  const start = Date.now();
  for (let i = 0; i < (perSecond * durationMs) / 1000; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    arrivals.push(Date.now());
    pending.push(guard.decide(message(conv)));
  }
  const results = await Promise.all(pending);
  return { arrivals, admitted: results.filter((r) => r.outcome === 'allow').length, results };
}

async function sustained(emulator: EmulatorProcess) {
  await emulator.reset();
  const guard = guardInstance(emulator.url);
  const [conv] = await emulator.conversations([{}]);
  const seconds = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 15);
  const { admitted, results, arrivals } = await stream(guard, conv!, 30, seconds * 1000);
  const counters = await emulator.counters();
  const shards = Object.entries(counters).filter(([key]) => key.includes('guard_rate_'));
  const throttled = Object.values(counters).reduce((sum, c) => sum + c.throttled, 0);
  const fallbacks = guard.lines.filter((l) => typeof l.warning === 'string' && l.warning.includes('insurance')).length;
  console.log(`Sustained 30 messages/s on one conversation for ${seconds} s (limit 30/1s, Sync limits 20/s per object, 10 s burst): ${admitted}/${results.length} admitted (ideal ${ideal(arrivals, 30, '1s')}), ${throttled} Sync 429s, ${fallbacks} insurance fallbacks, ${shards.length} shard documents, writes/s per shard: ${shards.map(([, c]) => fmt(c.writes / seconds)).join(', ')}; reads/s per shard: ${shards.map(([, c]) => fmt(c.reads / seconds)).join(', ')}.`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

/**
 * The same stream, but every decision made by a limiter that remembers nothing, as happens when each
 * request runs in a new process (twilio-run locally) or lands on a cold instance.
 */
async function sustainedFromNewInstances(emulator: EmulatorProcess, perSecond: number) {
  await emulator.reset();
  const store = new SyncDocumentStore(twilioClientFor({}, emulator.url), 'default');
  const window = slidingWindow(30, '1s');
  const seconds = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 15);
  const decisions: Promise<boolean>[] = [];
  const start = Date.now();
  for (let i = 0; i < perSecond * seconds; i++) {
    const wait = start + (i * 1000) / perSecond - Date.now();
    if (wait > 0) await sleep(wait);
    const limiter = new SyncRateLimiter(store);
    decisions.push(limiter.reserve('conversation', window).then((r) => limiter.commit('conversation', window, r)).then((o) => o.admitted, () => false));
  }
  const admitted = (await Promise.all(decisions)).filter(Boolean).length;
  const counters = Object.values(await emulator.counters());
  const throttled = counters.reduce((sum, c) => sum + c.throttled, 0);
  console.log(`${perSecond} decisions/s on one key for ${seconds} s, each from a new instance (30/1s): ${admitted} admitted, ${throttled} Sync 429s, reads/s per shard: ${counters.map((c) => fmt(c.reads / seconds)).join(', ')}; writes/s per shard: ${counters.map((c) => fmt(c.writes / seconds)).join(', ')}.`);
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
