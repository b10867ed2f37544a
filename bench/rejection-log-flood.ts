/**
 * The rejection log under a flood (`BENCH_ONLY=log-flood npm run bench`): one warm instance, 10,000
 * rejected messages a minute arriving at an even pace whatever the answers' times (as Twilio sends
 * webhooks), each remote request answered after `latencyMs`, with REJECTION_LOG=masked and =off. In
 * real time: the flush interval is STATUS_FLUSH_INTERVAL's default, 10 s.
 */
import { searchLog } from '../src/guard/rejection-log/search';
import { unflushedLog, rejectionLog } from '../src/guard/runtime/rejection-log';
import { SyncLogStore } from '../src/guard/store/log-store';
import { twilioClientFor } from '../src/guard/twilio/client';
import type { EmulatorProcess } from './emulator-process';
import { guardInstance, percentile } from './guard-instance';
import { mostInAnyWindow } from './most-in-window';
import { message, SERVICE } from './scenarios';

const PER_MINUTE = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export async function rejectionLogFlood(emulator: EmulatorProcess, latencyMs: number): Promise<void> {
  const seconds = Number(process.env.BENCH_FLOOD_SECONDS ?? 60);
  const total = Math.round((PER_MINUTE * seconds) / 60);
  const rows: string[] = [];
  for (const privacy of ['masked', 'off'] as const) {
    await emulator.reset();
    rejectionLog.discard(); // what earlier sections left waiting
    const guard = guardInstance(emulator.url, { MAX_CHAT_BODY_BYTES: '10', RATE_LIMIT_ACTIONS_PER_CONVERSATION: 'off', REJECTION_LOG: privacy });
    const [conversation] = await emulator.conversations([{ serviceSid: SERVICE }]);
    await emulator.setLatency(latencyMs);
    await emulator.clearLog();
    const ms: number[] = [];
    let unexpected = 0;
    const answers: Promise<void>[] = [];
    const started = performance.now();
    for (let sent = 0; sent < total; await sleep(1)) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / (seconds * 1000)) * total) + 1);
      for (; sent < due; sent++) {
        const author = `member-${sent % 50}`;
        answers.push(
          guard.decide(message(conversation!, { Author: author, Body: 'over ten bytes' })).then((r) => {
            ms.push(r.ms);
            if (r.outcome !== 'message.body.bytes') unexpected++;
          }),
        );
      }
    }
    await Promise.all(answers);
    const minutes = (performance.now() - started) / 60_000;
    await emulator.setLatency(0);
    const sync = (await emulator.log()).filter((e) => e.product === 'sync');
    const writes = new Map<string, number[]>();
    for (const e of sync.filter((e) => e.method !== 'GET')) writes.set(e.object ?? e.path, [...(writes.get(e.object ?? e.path) ?? []), e.at]);
    const busiest = Math.max(0, ...[...writes.values()].map((times) => mostInAnyWindow(times, 1000)));
    const logRequests = sync.filter((e) => /guard_rejection_log_/.test(e.object ?? e.path)).length;
    const store = new SyncLogStore(twilioClientFor({}, emulator.url), 'default');
    const inSync = await searchLog({}, { store, shards: 2, now: Date.now(), ttlMs: 86_400_000, limit: total, maxPages: 100 });
    const waiting = unflushedLog();
    rows.push(
      `| ${privacy} | ${total} | ${unexpected} | ${fmt(sync.length / minutes)} | ${fmt(logRequests / minutes)} | ${busiest} | ${inSync.records.length} | ${inSync.dropped} | ${waiting.records.length + waiting.dropped} | ${fmt(percentile(ms, 50))} | ${fmt(percentile(ms, 100))} |`,
    );
  }
  console.log(`## Rejection log under a flood (one warm instance, ${PER_MINUTE.toLocaleString('en-US')} rejections a minute for ${seconds} s, ${latencyMs} ms per remote request, STATUS_FLUSH_INTERVAL=10s, STATUS_SHARDS=2)\n`);
  console.log(
    '| REJECTION_LOG | rejections | other answers | Sync requests/min (counts and log) | of which the log | busiest Sync object, most writes in any 1 s | records in Sync | dropped (counted in Sync) | left for the next flush | p50 ms | slowest ms |\n|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const row of rows) console.log(row);
  console.log('');
}
