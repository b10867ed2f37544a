/**
 * Integration harness: the built functions (dist/functions) served by the real local Functions
 * runtime, the one behind `twilio-run start` (see scripts/lib/runtime-server.ts), and requests posted the way
 * Twilio posts a Conversations pre-event webhook.
 *
 *   const runtime = await startRuntime({ AUTH_TOKEN });
 *   const res = await runtime.post('/conversations/pre-event', messageAdd({ Body: '…' }));
 *   res.status, res.json, res.headers, res.logs   // logs: the guard's JSON log lines for this request
 *   await runtime.stop();
 *
 * dist/ is built first when missing or stale (tests/support/build.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { compiledRuntimeServer, stopChild, whenReady } from '../../scripts/lib/local-functions-runtime';
import { ensureBuilt, ROOT } from './build';
import { AUTH_TOKEN, forgedSignature, formBody, postForm, twilioSignature, webhookHeaders } from './twilio-request';
import type { RuntimeServerMessage, RuntimeServerOptions } from '../../scripts/lib/runtime-server';

/** One line the guard logged (JSON on stdout). */
export type GuardLog = Record<string, unknown>;

export interface PostOptions {
  /** true (default): a valid X-Twilio-Signature; 'forged': signed with another token; false: none. */
  sign?: boolean | 'forged';
  /** The URL to sign; default: the URL Twilio called, http://localhost:<port><path>. */
  signedUrl?: string;
  /** The token to sign with; default: the runtime's AUTH_TOKEN. */
  authToken?: string;
}

export interface RuntimeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** The guard's log lines written while handling this request. */
  logs: GuardLog[];
}

export interface Runtime {
  /** The runtime process: a stopped runtime's process may serve a later start (see `idle` below). */
  pid: number;
  port: number;
  /** http://localhost:<port>: the runtime's `url`, where DOMAIN_NAME comes from. */
  url: string;
  post(path: string, params: Readonly<Record<string, string>>, options?: PostOptions): Promise<RuntimeResponse>;
  /** Everything the runtime and the functions printed that is not a guard log line. */
  output: string[];
  /** Every guard log line so far, whichever request printed it (requests sent at once included). */
  guardLogs(): GuardLog[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Run each request in a forked process, as twilio-run does by default.
   * @default false: one warm process, as a deployed instance runs and as `npm start` serves
   */
  forkProcess?: boolean;
}

export const PRE_EVENT_PATH = '/conversations/pre-event';

/**
 * Warm runtime processes that were stopped, kept to serve the next start: released by
 * runtime-server.ts, they load the function modules afresh, so each start is a new instance of the
 * functions, as a new deployed instance is; only Node, express and twilio stay loaded.
 *
 * The pool is the jest worker's, shared by the test files it runs, when the test environment gives
 * one (tests/support/worker-environment.js, the integration project's); otherwise it is this test
 * file's. Either way an idle process holds nothing open, so it never keeps its parent alive, and it
 * exits with it (when IPC closes).
 */
const idle = (globalThis as { idleRuntimeProcesses?: ChildProcess[] }).idleRuntimeProcesses ?? [];

const alive = (child: ChildProcess) => child.connected && child.exitCode === null && child.signalCode === null;

/** Whether the child's process, IPC channel and pipes keep this process alive: not while it is idle. */
function holdOpen(child: ChildProcess, hold: boolean) {
  for (const handle of [child, child.channel, child.stdout as Socket | null, child.stderr as Socket | null]) {
    if (hold) handle?.ref();
    else handle?.unref();
  }
}

/** An idle process still alive, held open again, or undefined. */
function idleProcess(): ChildProcess | undefined {
  for (let child = idle.pop(); child; child = idle.pop()) {
    if (!alive(child)) continue;
    holdOpen(child, true);
    return child;
  }
  return undefined;
}

/** A released child: closed, its function modules forgotten, ready for another start. */
function released(child: ChildProcess): Promise<boolean> {
  if (!alive(child)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), 5_000);
    const onMessage = (message: { released?: boolean }) => message.released !== undefined && done(message.released);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit);
      resolve(ok);
    };
    const onExit = () => done(false);
    child.on('message', onMessage).on('exit', onExit);
    child.send({ release: true } satisfies RuntimeServerMessage);
  });
}

/** Starts the runtime on a free port of 127.0.0.1 with `env` as the functions' context. */
export async function startRuntime(env: Record<string, string>, startOptions: StartOptions = {}): Promise<Runtime> {
  ensureBuilt();
  const forkProcess = startOptions.forkProcess ?? false;
  const options: RuntimeServerOptions = {
    baseDir: ROOT,
    functionsFolder: 'dist/functions',
    assetsFolder: 'dist/assets',
    env,
    forkProcess,
  };
  const reused = forkProcess ? undefined : idleProcess();
  const child =
    reused ??
    fork(compiledRuntimeServer(), [], {
      // Its own process group, so that stopping it stops the function processes it forks (runtime-server.ts).
      detached: true,
      cwd: ROOT,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Not the test process's environment: the functions see `env` only through their context.
      env: { PATH: process.env.PATH ?? '', GUARD_RUNTIME_OPTIONS: JSON.stringify(options) },
    });
  reused?.send({ start: options } satisfies RuntimeServerMessage);

  const output: string[] = [];
  const logs: { seq: number; line: GuardLog }[] = [];
  const done = new Map<number, () => void>();
  let finished = 0;
  const onLine = (text: string) => {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      output.push(text);
      return;
    }
    const r = record as Record<string, unknown>;
    if (r && r.harness === true && typeof r.done === 'number') {
      finished = r.done;
      done.get(r.done)?.();
    } else if (r && r.guard === 'conversations-limits') logs.push({ seq: finished + 1, line: r });
    else output.push(text);
  };
  let buffered = '';
  const onStdout = (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    lines.filter((l) => l.trim() !== '').forEach(onLine);
  };
  const onStderr = (chunk: string) => output.push(chunk);
  child.stdout!.setEncoding('utf8').on('data', onStdout);
  child.stderr!.setEncoding('utf8').on('data', onStderr);

  let ready: { port: number; url: string };
  try {
    ready = await whenReady(child, 20_000, () => `:\n${output.join('\n')}`);
  } catch (error) {
    child.stdout!.off('data', onStdout);
    child.stderr!.off('data', onStderr);
    await stopChild(child);
    throw error;
  }
  const { port, url } = ready;

  // Requests go one at a time, so the n-th request is the n-th the runtime finishes.
  let queue: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  let sent = 0;

  const send = async (path: string, params: Readonly<Record<string, string>>, postOptions: PostOptions): Promise<RuntimeResponse> => {
    const seq = ++sent;
    const body = formBody(params);
    const signedUrl = postOptions.signedUrl ?? `${url}${path}`;
    const sign = postOptions.sign ?? true;
    const authToken = postOptions.authToken ?? env.AUTH_TOKEN ?? AUTH_TOKEN;
    const signature = sign === true ? twilioSignature(authToken, signedUrl, params) : sign === 'forged' ? forgedSignature(signedUrl, params) : undefined;
    const headers = webhookHeaders(port, body, signature);
    const marker = new Promise<void>((resolve, reject) => {
      if (finished >= seq) return resolve();
      const timer = setTimeout(() => reject(new Error(`request ${seq} to ${path} finished without a marker:\n${output.join('\n')}`)), 15_000);
      done.set(seq, () => {
        clearTimeout(timer);
        done.delete(seq);
        resolve();
      });
    });
    marker.catch(() => undefined); // reported through the response promise below
    const response = await postForm(port, path, headers, body, 15_000);
    await marker;
    return { ...response, logs: logs.filter((l) => l.seq === seq).map((l) => l.line) };
  };

  return {
    pid: child.pid!,
    port,
    url,
    output,
    guardLogs: () => logs.map((l) => l.line),
    post(path, params, postOptions = {}) {
      const result = queue.then(() => send(path, params, postOptions));
      queue = result.catch(() => undefined);
      return result;
    },
    stop() {
      // Once: a second call must not release a process that may serve another start by then.
      stopping ??= (async () => {
        child.stdout!.off('data', onStdout);
        child.stderr!.off('data', onStderr);
        if (!forkProcess && (await released(child))) {
          holdOpen(child, false);
          idle.push(child);
        } else await stopChild(child);
      })();
      return stopping;
    },
  };
}

/**
 * Runtimes started together; if one fails to start, the others are stopped before the error is
 * thrown, so that a failing suite leaves no server behind.
 */
export async function startedAll(starting: Array<Promise<Runtime>>): Promise<Runtime[]> {
  const results = await Promise.allSettled(starting);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return results.map((r) => (r as PromiseFulfilledResult<Runtime>).value);
  await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  throw failed.reason;
}
