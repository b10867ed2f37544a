import type { Twilio } from 'twilio';
import type { Environment } from '../config/load';
import type { Settings } from '../config/variables';
import type { Logger } from '../log';
import { RateGate } from '../rate/gate';
import { MemoryRateLimiter } from '../rate/memory-limiter';
import { SlotRateLimiter } from '../rate/slot-limiter';
import { remoteJudge, type RemoteJudge } from '../remote';
import { SyncDocumentStore } from '../store/sync-document-store';
import { SyncLogStore } from '../store/log-store';
import { SyncSlotStore } from '../store/slot-store';
import { twilioClientFor } from '../twilio/client';

/** Share of DECISION_TIMEOUT each Sync round of the rate rules may take before the insurance limiter decides. */
const SYNC_SHARE_OF_DEADLINE = 0.4;

// Module state survives between requests on a warm deployed instance: the insurance limiter's
// windows and what the slot limiter knows of each key's slots live here (both bounded).
const insurance = new MemoryRateLimiter();
const limiters = new WeakMap<Twilio, Map<string, SlotRateLimiter>>();

/** The REST client and Sync store of a function's context, built on first use. */
export function servicesFor(context: Environment, settings: Settings) {
  const client = () => twilioClientFor(context, settings.TWILIO_API_BASE_URL);
  return {
    client,
    store: () => new SyncDocumentStore(client(), settings.SYNC_SERVICE_SID),
    logStore: () => new SyncLogStore(client(), settings.SYNC_SERVICE_SID),
  };
}

/** Builds the remote half of the guard from a function's context. */
export function remoteFor(context: Environment, log: Logger): (settings: Settings) => RemoteJudge {
  return (settings) => {
    const { client, store } = servicesFor(context, settings);
    const rate = new RateGate(() => syncLimiter(client(), settings.SYNC_SERVICE_SID), insurance, log, settings.DECISION_TIMEOUT * SYNC_SHARE_OF_DEADLINE);
    return remoteJudge(settings, { client, store, rate, log });
  };
}

function syncLimiter(client: Twilio, serviceSid: string): SlotRateLimiter {
  let byService = limiters.get(client);
  if (!byService) limiters.set(client, (byService = new Map()));
  let limiter = byService.get(serviceSid);
  if (!limiter) byService.set(serviceSid, (limiter = new SlotRateLimiter(new SyncSlotStore(client, serviceSid))));
  return limiter;
}
