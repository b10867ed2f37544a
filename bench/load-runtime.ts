import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compiledRuntimeServer, stopChild, whenReady } from '../scripts/lib/local-functions-runtime';
import type { RuntimeServerOptions } from '../scripts/lib/runtime-server';

const ROOT = join(__dirname, '..');

export interface LocalRuntime {
  port: number;
  /** http://localhost:<port>: where the functions' DOMAIN_NAME comes from, and the URL Twilio signs. */
  url: string;
  stop(): Promise<void>;
}

export interface LocalRuntimeOptions {
  /** The functions' context (AUTH_TOKEN, TWILIO_API_BASE_URL, limits…). */
  env: Record<string, string>;
  /** Run every request in a fresh child process (twilio-run's default) instead of a warm module. @default false */
  forkProcess?: boolean;
  /** Extra functions served beside dist/functions: route path (without .js) → source. @default {} */
  extraFunctions?: Record<string, string>;
  /** Receives each line the runtime prints (the guard's JSON decision lines, the launcher's markers); unset: discarded. @default undefined */
  onLine?: (line: string) => void;
}

/**
 * The built functions (dist/functions) served by the local Functions runtime in its own process.
 * The folder served is a copy under node_modules/.cache, so extra functions can sit beside the
 * guard's and `require('twilio')` still resolves from the project's node_modules.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const baseDir = join(ROOT, 'node_modules', '.cache', 'conversations-limits-guard-local', `${process.pid}-${Date.now()}`);
  const functions = join(baseDir, 'functions');
  mkdirSync(functions, { recursive: true });
  cpSync(join(ROOT, 'dist', 'functions'), functions, { recursive: true });
  for (const [route, source] of Object.entries(options.extraFunctions ?? {})) {
    const file = join(functions, `${route.replace(/^\//, '')}.js`);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, source);
  }
  const serverOptions: RuntimeServerOptions = { baseDir, functionsFolder: 'functions', assetsFolder: 'assets', env: options.env, forkProcess: options.forkProcess ?? false };
  const child = fork(compiledRuntimeServer(), [], {
    // Its own process group, so that stopping it stops the function processes it forks (runtime-server.ts).
    detached: true,
    cwd: ROOT,
    execArgv: [],
    stdio: ['ignore', options.onLine ? 'pipe' : 'ignore', 'inherit', 'ipc'],
    // Not this process's environment: the functions see `env` only through their context.
    env: { PATH: process.env.PATH ?? '', GUARD_RUNTIME_OPTIONS: JSON.stringify(serverOptions) },
  });
  if (options.onLine) forEachLine(child, options.onLine);
  const cleanUp = () => rmSync(baseDir, { recursive: true, force: true });
  try {
    const { port, url } = await whenReady(child, 30_000);
    return { port, url, stop: () => stopChild(child).then(cleanUp) };
  } catch (error) {
    child.kill('SIGKILL');
    cleanUp();
    throw error;
  }
}

function forEachLine(child: ChildProcess, onLine: (line: string) => void) {
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (buffered + chunk).split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line !== '') onLine(line);
  });
}
