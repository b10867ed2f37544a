/**
 * The one launcher of the local Functions runtime, as `twilio-run start` assembles it, run in a
 * process of its own, bundled by esbuild (compiledRuntimeServer) and forked with plain node by the
 * test harness (tests/support/runtime.ts) and by bench/load-runtime.ts (`npm run load`,
 * `npm run simulate`):
 *
 * - routes from @twilio-labs/serverless-api's getListOfFunctionsAndAssets over the configured
 *   functions and assets folders (twilio-run's findRoutes, with .twilioserverlessrc's
 *   functionsFolder/assetsFolder), imported from its own module: the package's index also loads the
 *   whole deploy client, which doubled the start-up time of every runtime process;
 * - `LocalDevelopmentServer` from @twilio/runtime-handler/dev with twilio-run's defaults: live,
 *   forkProcess (every request runs the function in a fresh child process), the env as `context`;
 *   without forkProcess, one warm process with live reload off, as `npm start` serves;
 * - served on 127.0.0.1 at a free port, with `url` http://localhost:<port> (what twilio-run passes,
 *   and where the function's DOMAIN_NAME comes from).
 *
 * Forked function processes inherit this process's stdout, so the function's log lines reach the
 * harness through the same pipe. After each response this process writes a marker line
 * `{"harness":"done","seq":n}`; the function wrote its lines before answering, so they come first.
 *
 * Reuse (the test harness's warm runtimes): on `{ release: true }`, when no request is open and no
 * REST call of the functions has been out for a moment, the server closes and the function modules
 * leave the require cache; `{ start: options }` then serves a
 * fresh instance of them with other options, without paying again for Node, express and twilio's
 * start-up.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { join } from 'node:path';
import { getListOfFunctionsAndAssets } from '@twilio-labs/serverless-api/dist/utils/fs';
import { LocalDevelopmentServer } from '@twilio/runtime-handler/dev';
import { devServerConfig, freePort, LOOPBACK as HOST } from './local-functions-runtime';

export interface RuntimeServerOptions {
  baseDir: string;
  functionsFolder: string;
  assetsFolder: string;
  env: Record<string, string>;
  forkProcess: boolean;
}

function line(record: Record<string, unknown>) {
  process.stdout.write(JSON.stringify({ harness: true, ...record }) + '\n');
}

async function start(options: RuntimeServerOptions): Promise<{ server: Server; port: number; url: string }> {
  const routes = await getListOfFunctionsAndAssets(options.baseDir, {
    functionsFolderNames: [options.functionsFolder],
    assetsFolderNames: [options.assetsFolder],
  });
  if (routes.functions.length === 0) throw new Error(`No functions found in ${join(options.baseDir, options.functionsFolder)}`);
  let seq = 0;
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const url = `http://localhost:${port}`;
    const config = devServerConfig({
      baseDir: options.baseDir,
      env: options.env,
      port,
      url,
      forkProcess: options.forkProcess,
      routes,
      logger: {
        debug: (msg) => line({ runtimeLog: 'debug', msg }),
        info: (msg) => line({ runtimeLog: 'info', msg }),
        warn: (msg) => line({ runtimeLog: 'warn', msg }),
        error: (msg) => line({ runtimeLog: 'error', msg }),
        log: (msg) => line({ runtimeLog: 'log', msg }),
      },
    });
    const app = new LocalDevelopmentServer(port, config).getApp();
    const server = createHttpServer((req, res) => {
      const n = ++seq;
      openRequests += 1;
      res.on('finish', () => line({ done: n, status: res.statusCode }));
      res.on('close', () => (openRequests -= 1));
      app(req, res);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, HOST, () => resolve());
      });
      return { server, port, url };
    } catch (error) {
      // Another process took the port between the probe and listen: try another.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

/** What the parent may send: serve with these options, or close and forget the function modules. */
export type RuntimeServerMessage = { start: RuntimeServerOptions } | { release: true };

let serving: { server: Server; options: RuntimeServerOptions } | undefined;
/** Requests received and not yet answered (or abandoned) by the server serving now. */
let openRequests = 0;
/**
 * Outbound requests (the functions' REST calls, all made with fetch) not yet settled, and how many
 * have started: a flush of the rejection counts or an identity-tally listing may go on after the
 * answer that started it, one call after another.
 */
let outboundRequests = 0;
let outboundStarted = 0;
/** How long no REST call may have been out before a release: the gap between two calls of one task. */
const QUIET_MS = 25;
const nodeFetch = globalThis.fetch;
globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
  outboundRequests += 1;
  outboundStarted += 1;
  try {
    return await nodeFetch(...args);
  } finally {
    outboundRequests -= 1;
  }
};
/** The globals before any function ran: a released instance's own (the guard keeps one) go with it. */
const BASELINE_GLOBALS = new Set(Reflect.ownKeys(globalThis));

function serve(options: RuntimeServerOptions) {
  start(options).then(
    ({ server, port, url }) => {
      serving = { server, options };
      process.send?.({ ready: true, port, url });
    },
    (error: Error) => {
      process.send?.({ ready: false, error: error.stack ?? String(error) });
      process.exit(1);
    },
  );
}

/**
 * Closes the server and drops the function modules and the globals set since start-up (the runtime
 * sets its own again on the next start), so the next start is a fresh instance. Refused while a
 * request is still being handled, or unless no REST call has been out for {@link QUIET_MS} (a call
 * ends when its headers arrive, and the task that made it may read the body and make another): that
 * work would go on beside the next instance's, its log lines read as the next instance's, so the
 * parent stops this process instead.
 */
function release() {
  const busy = () => !serving || serving.options.forkProcess || openRequests > 0 || outboundRequests > 0;
  if (busy()) return process.send?.({ released: false });
  const started = outboundStarted;
  setTimeout(() => {
    if (busy() || outboundStarted !== started) return process.send?.({ released: false });
    const { server, options } = serving!;
    serving = undefined;
    server.close();
    server.closeAllConnections();
    const functions = join(options.baseDir, options.functionsFolder);
    for (const path of Object.keys(require.cache)) if (path.startsWith(functions)) delete require.cache[path];
    for (const key of Reflect.ownKeys(globalThis)) if (!BASELINE_GLOBALS.has(key)) Reflect.deleteProperty(globalThis, key);
    process.send?.({ released: true });
  }, QUIET_MS);
}

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Started detached, this process leads a process group that its forked function processes
  // share: they go with it instead of living on as orphans.
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // Not a group leader: close, not waiting for keep-alive connections (a load generator's).
    if (!serving) return process.exit(0);
    serving.server.close(() => process.exit(0));
    serving.server.closeAllConnections();
  }
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('message', (message: RuntimeServerMessage) => ('start' in message ? serve(message.start) : release()));
serve(JSON.parse(process.env.GUARD_RUNTIME_OPTIONS ?? '{}') as RuntimeServerOptions);
