/**
 * Child process: serves a functions folder with the Functions runtime behind `twilio-run start`
 * (`LocalDevelopmentServer` of @twilio/runtime-handler). Options come as JSON in LOCAL_RUNTIME_OPTIONS;
 * once listening it sends `{ ready, port, url }` over IPC. Run by load-runtime.ts.
 */
import type * as ServerlessApi from '@twilio-labs/serverless-api';
import type * as DevServer from '@twilio/runtime-handler/dist/dev-runtime/server';
import { devServerConfig, freePort, LOOPBACK as HOST } from '../scripts/lib/local-functions-runtime';

/* eslint-disable @typescript-eslint/no-require-imports -- '@twilio/runtime-handler/dev' is only reachable through its exports map */
const { LocalDevelopmentServer } = require('@twilio/runtime-handler/dev') as typeof DevServer;
const { fsHelpers } = require('@twilio-labs/serverless-api') as typeof ServerlessApi;

export interface LocalRuntimeServerOptions {
  /** Folder holding `functionsFolder`; the functions' `require`s resolve from there. */
  baseDir: string;
  functionsFolder: string;
  env: Record<string, string>;
  forkProcess: boolean;
  /** 0 picks a free port. */
  port: number;
}

async function serve(options: LocalRuntimeServerOptions) {
  const routes = await fsHelpers.getListOfFunctionsAndAssets(options.baseDir, { functionsFolderNames: [options.functionsFolder], assetsFolderNames: ['assets'] });
  const port = options.port || (await freePort());
  const url = `http://localhost:${port}`;
  const quiet = () => undefined;
  // Not forked, so not live: a function module is loaded once and keeps its state, as on a warm deployed instance.
  const config = devServerConfig({
    baseDir: options.baseDir,
    env: options.env,
    port,
    url,
    forkProcess: options.forkProcess,
    routes,
    logger: { debug: quiet, info: quiet, warn: quiet, error: (msg: string) => console.error(msg), log: quiet },
  });
  const app = new LocalDevelopmentServer(port, config).getApp();
  await new Promise<void>((resolve, reject) => {
    const server = app.listen(port, HOST, () => resolve());
    server.once('error', reject);
    const stop = () => server.close(() => process.exit(0));
    process.on('disconnect', stop);
    process.on('SIGTERM', stop);
  });
  return { port, url };
}

serve(JSON.parse(process.env.LOCAL_RUNTIME_OPTIONS ?? '{}') as LocalRuntimeServerOptions).then(
  ({ port, url }) => process.send?.({ ready: true, port, url }),
  (error: Error) => {
    process.send?.({ ready: false, error: error.stack ?? String(error) });
    process.exit(1);
  },
);
