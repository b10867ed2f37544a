/**
 * What every launcher of the local Functions runtime shares (the test harness, `npm run load`,
 * `npm run simulate`): a free loopback port, the `LocalDevelopmentServer` configuration twilio-run
 * uses, and the start/stop handshake with the child process serving it.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { createServer, type AddressInfo } from 'node:net';
import type { ServerConfig } from '@twilio/runtime-handler/dev';

export const LOOPBACK = '127.0.0.1';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * twilio-run's configuration of the runtime. Forked, every request runs in a fresh process with
 * live reload, as `twilio-run start` does by default; unforked, one warm process keeps its modules
 * (live reload would clear the require cache on every request), as a deployed instance does.
 */
export function devServerConfig(options: Pick<ServerConfig, 'baseDir' | 'env' | 'port' | 'url' | 'forkProcess' | 'routes' | 'logger'>): ServerConfig {
  return { ...options, live: options.forkProcess, detailedLogs: false, logs: false, legacyMode: false, appName: 'twilio-run', enableDebugLogs: false };
}

/**
 * The child's `{ ready, port, url }` message, or an error when it fails, exits or takes too long.
 * Its listeners go once it settles, so a reused child can be waited on again.
 */
export function whenReady(child: ChildProcess, timeoutMs: number, details: () => string = () => ''): Promise<{ port: number; url: string }> {
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit);
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`the local Functions runtime did not start within ${timeoutMs / 1000} s${details()}`))), timeoutMs);
    const onMessage = (message: { ready?: boolean; port: number; url: string; error?: string }) => {
      if (message.ready === undefined) return;
      settle(() => (message.ready ? resolve(message) : reject(new Error(`the local Functions runtime did not start: ${message.error}`))));
    };
    const onExit = (code: number | null) => settle(() => reject(new Error(`the local Functions runtime exited with ${code}${details()}`)));
    child.on('message', onMessage).on('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * scripts/lib/runtime-server.ts bundled into one file under node_modules/.cache (so its requires
 * resolve from the project's node_modules), to be forked with plain `node`: a forked function process
 * inherits its parent's flags, and a TypeScript loader in each of them only slows them down. Bundled
 * again only when one of the files esbuild read for it (listed beside the bundle) is newer.
 */
export function compiledRuntimeServer(): string {
  const root = join(__dirname, '..', '..');
  const cache = join(root, 'node_modules', '.cache', 'conversations-limits-guard-runtime');
  const out = join(cache, 'runtime-server.js');
  const inputsFile = join(cache, 'runtime-server.inputs.json');
  if (bundleIsCurrent(out, inputsFile)) return out;
  const result = buildSync({ entryPoints: [join(__dirname, 'runtime-server.ts')], absWorkingDir: root, platform: 'node', format: 'cjs', target: 'node20', bundle: true, packages: 'external', write: false, metafile: true, logLevel: 'silent' });
  mkdirSync(cache, { recursive: true });
  // Renamed into place, so parallel users never read a half-written file; the inputs go first, so a
  // bundle is never checked against another bundle's inputs.
  const inputs = Object.keys(result.metafile.inputs).map((input) => join(root, input));
  for (const [path, text] of [[inputsFile, JSON.stringify(inputs)], [out, result.outputFiles[0]!.text]] as const) {
    const temp = `${path}.${process.pid}`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  }
  return out;
}

function bundleIsCurrent(out: string, inputsFile: string): boolean {
  const built = statSync(out, { throwIfNoEntry: false });
  if (!built || !existsSync(inputsFile)) return false;
  const inputs = JSON.parse(readFileSync(inputsFile, 'utf8')) as string[];
  return inputs.every((input) => (statSync(input, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= built.mtimeMs);
}
