import '@twilio-labs/serverless-runtime-types';
import type { Context, ServerlessCallback, ServerlessEventObject } from '@twilio-labs/serverless-runtime-types/types';
import { consoleLogger } from '../guard/log';
import { searchLog } from '../guard/rejection-log/search';
import { unflushedRejections } from '../guard/runtime/rejection-counter';
import { unflushedLog } from '../guard/runtime/rejection-log';
import { respond } from '../guard/runtime/respond';
import { servicesFor } from '../guard/runtime/wiring';
import { readShard } from '../guard/stats/shard';
import { handleStatus } from '../guard/status';

/** Records a page of the status shows, and a search returns, at most. */
const RECENT_RECORDS = 100;
/** Pages of each log Map a search reads one after another, at most (100 batches a page). */
const SEARCH_PAGES = 5;

/**
 * GET /status: effective configuration, rejections per rule (those in Sync, read within
 * DECISION_TIMEOUT, plus the ones this instance has not flushed yet) and the newest records of the
 * rejection log; with ?conversation=, ?identity=, ?rule=, ?outcome= or ?since=, the matching records
 * only. Public at the runtime level, because a browser cannot sign requests; the guard checks its own
 * password (HTTP Basic) itself.
 */
export const handler = async (context: Context, event: ServerlessEventObject, callback: ServerlessCallback) => {
  const answer = await handleStatus(
    { event, env: context, path: '/status' },
    {
      log: consoleLogger,
      readShard: (settings, shard) => readShard(servicesFor(context, settings).store(), shard),
      unflushed: unflushedRejections,
      searchLog: (settings, query, signal) =>
        searchLog(query, {
          store: servicesFor(context, settings).logStore(),
          shards: settings.STATUS_SHARDS,
          now: Date.now(),
          ttlMs: settings.REJECTION_LOG_TTL,
          limit: RECENT_RECORDS,
          maxPages: SEARCH_PAGES,
          unflushed: unflushedLog,
          signal,
        }),
    },
  );
  respond(callback, answer);
};
