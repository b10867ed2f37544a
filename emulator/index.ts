import { startServer } from './server';
import { EmulatorState } from './state';
import type { Emulator, EmulatorOptions } from './types';

export type {
  ConversationState,
  Emulator,
  EmulatorOptions,
  Fault,
  FaultMatch,
  Hold,
  ObjectCounters,
  Product,
  RequestLogEntry,
  SeedConversation,
  SeedMessage,
  SeedParticipant,
  Seeder,
  SyncRateLimit,
} from './types';
export { TwilioError } from './errors';
export {
  DEFAULT_ACCOUNT_SID,
  DEFAULT_CONVERSATIONS_SERVICE_SID,
  DEFAULT_SYNC_SERVICE_SID,
} from './ids';
export { DEFAULT_SYNC_RATE_LIMIT } from './rate-limit';
export { DEFAULT_REMOVAL_LAG_MS } from './sync-model';

/**
 * Starts a local stand-in for Twilio's Conversations v1 and Sync v1 REST APIs.
 * It serves `https://<product>.twilio.com/v1/...` as `<url>/<product>/v1/...`;
 * links inside responses stay absolute Twilio URLs, as the real API returns them.
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const state = new EmulatorState();
  const server = await startServer(state, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return {
    url: server.url,
    port: server.port,
    close: () => server.close(),
    reset: () => state.reset(),
    log: state.log,
    clearLog: () => {
      state.log.length = 0;
      state.inFlight.peak = state.inFlight.now;
    },
    counters: () => state.limiter.counters(),
    inFlight: () => ({ ...state.inFlight }),
    setLatency: (ms, match) => state.faults.setLatency(ms, match),
    hold: (match) => state.faults.hold(match),
    injectFault: (fault) => state.faults.inject(fault),
    clearFaults: () => state.faults.clearFaults(),
    setSyncRateLimit: (limit) => state.limiter.configure(limit),
    setSyncRemovalLag: (ms) => state.sync.setRemovalLag(ms),
    setClock: (now) => state.setClock(now),
    seed: {
      conversation: (c) => state.seedConversation(c),
      participant: (sid, p) => state.seedParticipant(sid, p),
      message: (sid, m) => state.seedMessage(sid, m),
    },
  };
}
