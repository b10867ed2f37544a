/**
 * `npx tsx bench/audit-offline.ts`: the figures of docs/performance.md, "`npm run audit`". The
 * generated history of `npm run audit` without credentials (seed 1, 7 days) in the in-process emulator,
 * read at 0 and 20 ms per request with --concurrency 1 and 10 (the reading: the requests, the most in
 * flight, the time), then judged with its rate rule (the judging: actions per second), as the command
 * reads and judges it (src/audit). Prints one Markdown table.
 */
import { startEmulator } from '../emulator';
import { DEMO_RATE_LIMITS, seedDemoHistory } from '../scripts/lib/audit-demo';
import { runScript } from '../scripts/lib/cli';
import type { SavedConversation } from '../src/audit/history';
import { Reader, readHistory } from '../src/audit/read';
import { Auditor } from '../src/audit/replay';
import { parseSettings } from '../src/guard/config/load';

const USAGE = `Usage: npx tsx bench/audit-offline.ts

Reads the generated history of \`npm run audit\` (seed 1) from the in-process emulator at 0 and 20 ms
per request, with --concurrency 1 and 10, judges it with RATE_LIMITS="${DEMO_RATE_LIMITS}", and prints
a Markdown table: requests, most in flight, reading time, judging time, actions judged per second.`;

const TO = Date.parse('2026-03-08T00:00:00Z');
const WINDOW = { from: '2026-03-01T00:00:00Z', to: '2026-03-08T00:00:00Z' };

runScript({ name: 'audit-offline', usage: USAGE, options: {} }, async () => {
  const emulator = await startEmulator();
  const env = { RATE_LIMITS: DEMO_RATE_LIMITS };
  const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  try {
    await seedDemoHistory(emulator, { seed: 1, to: TO });
    console.log('| emulator latency per request | `--concurrency` | requests | most in flight | reading | judging | actions judged per second |\n|---|---|---|---|---|---|---|');
    for (const latency of [0, 20]) {
      for (const concurrency of [1, 10]) {
        emulator.setLatency(latency);
        emulator.clearLog();
        const reader = new Reader({ accountSid: 'AC00000000000000000000000000000000', authToken: 'bench', baseUrl: emulator.url, concurrency });
        const read: SavedConversation[] = [];
        const started = performance.now();
        await readHistory(reader, WINDOW, concurrency, new Set(), async (c) => void read.push(c));
        const reading = performance.now() - started;
        const requests = emulator.log.length;
        const peak = emulator.inFlight().peak;
        const judging = performance.now();
        const auditor = new Auditor(parseSettings(env), env);
        for (const c of read) await auditor.add(c);
        const report = auditor.finish(WINDOW, 'default');
        const judged = performance.now() - judging;
        console.log(`| ${latency === 0 ? 'none' : `${latency} ms`} | ${concurrency} | ${requests} | ${peak} | ${(reading / 1000).toFixed(2)} s | ${(judged / 1000).toFixed(2)} s | ${fmt.format(report.totals.judged / (judged / 1000))} |`);
      }
    }
  } finally {
    await emulator.close();
  }
});
