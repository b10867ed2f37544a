/**
 * `npm run load`: builds dist/, then puts the pre-event function under load, served by the local
 * Functions runtime as `npm start` serves it (one warm module, state kept between requests, like a
 * deployed instance), beside an empty function on the same runtime. Twilio's API is the emulator in
 * its own process. LOAD_DURATION (s, default 10), LOAD_CONNECTIONS (default 10), LOAD_FORK_DURATION
 * (s, default 5; 0 skips the forked-process comparison). `--help` lists them and runs nothing.
 */
import { cpus, totalmem } from 'node:os';
import { buildProject } from '../scripts/lib/build-project';
import { runScript } from '../scripts/lib/cli';
import { EmulatorProcess } from './emulator-process';
import { runScenario, type LoadOptions, type LoadRow } from './load-run';
import { startLocalRuntime, type LocalRuntime } from './load-runtime';
import { EMPTY_FUNCTION, EMPTY_FUNCTION_PATH, LOAD_RATE_LIMITS, loadEnv, loadScenarios } from './load-scenarios';

const fmt = (n: number, digits = 1) => n.toFixed(digits);

const USAGE = `Usage: npm run load

Builds dist/, then drives the pre-event function with autocannon as npm start serves it (the local
Functions runtime, one warm process), beside an empty function on the same runtime, with the Twilio
API emulator in its own process, and prints a Markdown table per scenario: requests/s, p50 and p99,
unexpected answers, 5xx, fail-open decisions, remote requests per decision. Then the same for a
forked process per request, twilio-run's default.

Environment:
  LOAD_DURATION=<s>        Seconds per scenario. Default: 10.
  LOAD_CONNECTIONS=<n>     Concurrent connections. Default: 10.
  LOAD_FORK_DURATION=<s>   Seconds per forked-process scenario; 0 skips them. Default: 5.

Options:
  -h, --help    Show this text; builds and runs nothing.

Example:
  LOAD_DURATION=5 npm run load`;

function table(rows: LoadRow[]): string {
  const lines = [
    '| scenario | requests/s | p50 ms | p99 ms | answers | unexpected answers or errors | 5xx | fail-open/closed | Conversations requests per decision | Sync requests per decision |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.scenario} | ${fmt(r.requestsPerSecond)} | ${r.p50} | ${r.p99} | ${r.answers} | ${r.unexpected} | ${r.status5xx} | ${r.failModeDecisions} | ${fmt(r.conversationsPerDecision, 2)} | ${fmt(r.syncPerDecision, 2)} |`);
  }
  return lines.join('\n');
}

/** Counts the guard's decision log lines by outcome. */
function outcomeCounter(outcomes: Map<string, number>) {
  return (line: string) => {
    const outcome = /"outcome":"([a-z-]+)"/.exec(line)?.[1];
    if (outcome) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  };
}

async function measure(emulator: EmulatorProcess, forkProcess: boolean, pick: (names: string[]) => number[], options: LoadOptions): Promise<LoadRow[]> {
  const outcomes = new Map<string, number>();
  let runtime: LocalRuntime | undefined;
  try {
    runtime = await startLocalRuntime({ env: loadEnv(emulator.url), forkProcess, extraFunctions: { [EMPTY_FUNCTION_PATH]: EMPTY_FUNCTION }, onLine: outcomeCounter(outcomes) });
    const origin = `http://127.0.0.1:${runtime.port}`;
    const scenarios = await loadScenarios(runtime.url, emulator);
    const rows: LoadRow[] = [];
    for (const index of pick(scenarios.map((s) => s.name))) {
      const row = await runScenario(origin, scenarios[index]!, emulator, options, outcomes);
      rows.push(forkProcess ? { ...row, scenario: `${row.scenario}, forked process per request` } : row);
    }
    return rows;
  } finally {
    await runtime?.stop();
  }
}

async function main() {
  const options: LoadOptions = { duration: Number(process.env.LOAD_DURATION ?? 10), connections: Number(process.env.LOAD_CONNECTIONS ?? 10) };
  const forkDuration = Number(process.env.LOAD_FORK_DURATION ?? 5);
  const cpu = cpus();
  console.log(`# Load: pre-event function on the local Functions runtime (${new Date().toISOString()})\n`);
  console.log(`Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}. autocannon, the runtime and the emulator share these cores.`);
  console.log(`${options.connections} connections, ${options.duration} s per scenario; signed, form-encoded requests; emulator latency 0 ms. Settings: built-in rate rules off, RATE_LIMITS="${LOAD_RATE_LIMITS}".\n`);
  const emulator = await EmulatorProcess.start(0);
  try {
    const rows = await measure(emulator, false, (names) => names.map((_, i) => i), options);
    if (forkDuration > 0) {
      // twilio-run's default: every request runs in a new child process that loads the function afresh.
      rows.push(...(await measure(emulator, true, () => [0, 1], { ...options, duration: forkDuration })));
    }
    console.log(table(rows));
  } finally {
    emulator.stop();
  }
}

runScript({ name: 'load', usage: USAGE, options: {} }, async () => {
  console.log(await buildProject());
  // Done once the table is printed, or on a failure: keep-alive sockets and forked function
  // processes must not keep it running.
  try {
    await main();
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
});
