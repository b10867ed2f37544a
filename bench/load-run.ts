import autocannon from 'autocannon';
import type { EmulatorProcess } from './emulator-process';
import type { LoadScenario, SignedRequest } from './load-scenarios';

export interface LoadOptions {
  /** Seconds per scenario (env LOAD_DURATION). @default 10 */
  duration: number;
  /** Concurrent connections, each sending its next request once the previous one is answered (env LOAD_CONNECTIONS). @default 10 */
  connections: number;
}

export interface LoadRow {
  scenario: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  answers: number;
  /** Answers other than the expected status, plus connection errors and timeouts. */
  unexpected: number;
  status5xx: number;
  /** Remote requests per answered decision, from the emulator's request log. */
  conversationsPerDecision: number;
  syncPerDecision: number;
  /** Decisions the guard logged as fail-open or fail-closed during the run. */
  failModeDecisions: number;
}

/** Sends `request` once, outside the measured run, and checks it gets the scenario's answer. */
export async function preflight(origin: string, scenario: LoadScenario, request: SignedRequest = scenario.requests[0]!): Promise<void> {
  const response = await fetch(`${origin}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  const code = response.status === 200 ? undefined : (JSON.parse(text) as { code?: string }).code;
  if (response.status !== scenario.expect.status || code !== scenario.expect.code) {
    throw new Error(`${scenario.name}: expected ${scenario.expect.status} ${scenario.expect.code ?? ''}, got ${response.status} ${text.slice(0, 300)}`);
  }
}

/**
 * Runs one scenario with autocannon against `origin` (http://127.0.0.1:<port>). Requests are taken
 * in turn from the scenario's list across all connections, so each is sent about as often as any
 * other. `outcomes` counts the guard's logged outcomes meanwhile.
 */
export async function runScenario(origin: string, scenario: LoadScenario, emulator: EmulatorProcess, options: LoadOptions, outcomes: Map<string, number>): Promise<LoadRow> {
  await preflight(origin, scenario);
  for (let i = 0; i < (scenario.warmUp ?? []).length; i += 20) await Promise.all(scenario.warmUp!.slice(i, i + 20).map((request) => preflight(origin, scenario, request)));
  await emulator.clearLog();
  outcomes.clear();
  let next = 0;
  const result = await autocannon({
    url: `${origin}${scenario.path}`,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const signed = scenario.requests[next++ % scenario.requests.length]!;
          return { ...request, path: signed.path, body: signed.body, headers: { ...request.headers, ...signed.headers } };
        },
      },
    ],
  });
  const log = await emulator.log();
  const expected = result.statusCodeStats?.[String(scenario.expect.status) as `${number}`]?.count ?? 0;
  const answers = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    scenario: scenario.name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    answers,
    unexpected: answers - expected + result.errors,
    status5xx: result['5xx'],
    conversationsPerDecision: log.filter((e) => e.product === 'conversations').length / Math.max(answers, 1),
    syncPerDecision: log.filter((e) => e.product === 'sync').length / Math.max(answers, 1),
    failModeDecisions: (outcomes.get('fail-open') ?? 0) + (outcomes.get('fail-closed') ?? 0),
  };
}
