import { TwilioError, invalidParameter } from './errors';
import type { ApiResponse } from './router';
import type { EmulatorState } from './state';
import type { Fault, FaultMatch, SeedConversation, SeedMessage, SeedParticipant, SyncRateLimit } from './types';

/**
 * The `/__emulator/...` control surface: the in-process API over HTTP, for a
 * benchmark or `npm start` running in another process. Bodies are JSON.
 *
 *   POST   /__emulator/reset
 *   GET    /__emulator/log                  -> RequestLogEntry[]
 *   DELETE /__emulator/log
 *   GET    /__emulator/counters             -> Record<object key, {reads, writes, throttled}>
 *   GET    /__emulator/in-flight            -> {now, peak}
 *   POST   /__emulator/latency              {ms, match?}
 *   POST   /__emulator/faults               Fault
 *   DELETE /__emulator/faults
 *   POST   /__emulator/sync-rate-limit      {perSecond, burstSeconds}
 *   POST   /__emulator/sync-ttl             {removalLagMs}
 *   POST   /__emulator/seed/conversations   SeedConversation | SeedConversation[]   -> {sid} | {sids}
 *   POST   /__emulator/seed/conversations/{CH...}/participants
 *                                           SeedParticipant | SeedParticipant[]     -> {sid} | {sids}
 *   POST   /__emulator/seed/conversations/{CH...}/messages
 *                                           SeedMessage | SeedMessage[]             -> {sid} | {sids}
 */
export function handleControl(state: EmulatorState, method: string, segments: string[], rawBody: string): ApiResponse {
  const route = `${method} ${segments.join('/')}`;
  const done: ApiResponse = { status: 200, body: { ok: true } };
  try {
    switch (route) {
      case 'POST reset':
        state.reset();
        return done;
      case 'GET log':
        return { status: 200, body: state.log };
      case 'DELETE log':
        state.log.length = 0;
        state.inFlight.peak = state.inFlight.now;
        return done;
      case 'GET counters':
        return { status: 200, body: state.limiter.counters() };
      case 'GET in-flight':
        return { status: 200, body: state.inFlight };
      case 'POST latency': {
        const { ms, match } = jsonBody<{ ms: number; match?: FaultMatch }>(rawBody);
        state.faults.setLatency(Number(ms), match);
        return done;
      }
      case 'POST faults':
        state.faults.inject(jsonBody<Fault>(rawBody));
        return done;
      case 'DELETE faults':
        state.faults.clearFaults();
        return done;
      case 'POST sync-rate-limit':
        state.limiter.configure(jsonBody<SyncRateLimit>(rawBody));
        return done;
      case 'POST sync-ttl':
        state.sync.setRemovalLag(jsonBody<{ removalLagMs: number }>(rawBody).removalLagMs);
        return done;
      case 'POST seed/conversations':
        return seeded(jsonBody<SeedConversation | SeedConversation[]>(rawBody), (c) => state.seedConversation(c));
    }
    const [seed, conversations, sid, participants] = segments;
    if (method === 'POST' && segments.length === 4 && seed === 'seed' && conversations === 'conversations' && participants === 'participants') {
      const body = jsonBody<SeedParticipant | SeedParticipant[]>(rawBody);
      return seeded(body, (p) => state.seedParticipant(sid!, p));
    }
    if (method === 'POST' && segments.length === 4 && seed === 'seed' && conversations === 'conversations' && participants === 'messages') {
      const body = jsonBody<SeedMessage | SeedMessage[]>(rawBody);
      return seeded(body, (m) => state.seedMessage(sid!, m));
    }
  } catch (err) {
    if (err instanceof RangeError) throw invalidParameter(err.message);
    throw err;
  }
  throw new TwilioError(404, 20404, `Unknown control route: ${method} /__emulator/${segments.join('/')}`);
}

function seeded<T>(body: T | T[], create: (item: T) => string): ApiResponse {
  if (Array.isArray(body)) return { status: 201, body: { sids: body.map(create) } };
  return { status: 201, body: { sid: create(body) } };
}

function jsonBody<T>(raw: string): T {
  try {
    const parsed: unknown = JSON.parse(raw || '{}');
    if (parsed !== null && typeof parsed === 'object') return parsed as T;
  } catch {
    // reported below
  }
  throw invalidParameter('Control requests take a JSON object body');
}
