import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { consoleLogger } from '../guard/log';
import { unflushedRejections } from '../guard/runtime/rejection-counter';
import { respond } from '../guard/runtime/respond';
import { servicesFor } from '../guard/runtime/wiring';
import { readShard } from '../guard/stats/shard';
import { handleStatus } from '../guard/status';

/**
 * GET /status: effective configuration and rejections per rule (those in Sync, read within
 * DECISION_TIMEOUT, plus the ones this instance has not flushed yet). Public at the runtime level,
 * because a browser cannot sign requests; the guard checks its own password (HTTP Basic) itself.
 */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  const answer = await handleStatus(
    { event, env: context, path: '/status' },
    { log: consoleLogger, readShard: (settings, shard) => readShard(servicesFor(context, settings).store(), shard), unflushed: unflushedRejections },
  );
  respond(callback, answer);
};
