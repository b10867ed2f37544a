/**
 * The rejection log under the flood the issue names: 10,000 rejections in one minute on one warm
 * instance. The decisions are real (decidePreEvent on signed requests of four kinds); each is counted,
 * kept and flushed as the pre-event function does it (countRejection, keepDecision, flushRejections),
 * at times on one clock the test moves, shared by the emulator (its request log and per-object rate
 * limits): the minute is exactly 10,000 decisions 6 ms apart however fast the machine runs them.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { handler as statusFunction } from '../../src/functions/status';
import { decidePreEvent, type PreEventDecision } from '../../src/guard/pre-event';
import { MAX_RECORDS_PER_FLUSH, logMapName } from '../../src/guard/rejection-log/buffer';
import { searchLog } from '../../src/guard/rejection-log/search';
import { PRE_EVENT_PATH } from '../../src/guard/runtime/answer-pre-event';
import { countRejection, flushRejections } from '../../src/guard/runtime/rejection-counter';
import { keepDecision, rejectionLog, unflushedLog } from '../../src/guard/runtime/rejection-log';
import { remoteFor } from '../../src/guard/runtime/wiring';
import { SyncLogStore } from '../../src/guard/store/log-store';
import { CHAT_SERVICE_SID, messageAdd } from '../support/events';
import { file, mediaField } from '../support/media';
import { documentOf, isWrite, peakPerWindow, syncRequests } from '../support/rate-emulator';
import { emulatorClient, runtimeEnv } from '../support/state-emulator';
import { verbose } from '../support/verbose';
import { STATUS_PASSWORD, statusBasicAuth } from '../support/status-client';
import { AUTH_TOKEN, twilioSignature } from '../support/twilio-request';
import { waitFor } from '../support/wait';

const DOMAIN = 'localhost:3000';
const REJECTIONS = 10_000;
const MINUTE_MS = 60_000;
const FLUSH_INTERVAL_MS = 10_000; // STATUS_FLUSH_INTERVAL's default

let emulator: Emulator;
let env: Record<string, string>;
const lines: Record<string, unknown>[] = [];
const log = (line: Record<string, unknown>) => void lines.push(line);

beforeAll(async () => {
  emulator = await startEmulator();
  env = runtimeEnv(emulator, { DOMAIN_NAME: DOMAIN, STATUS_PASSWORD, MAX_CHAT_BODY_BYTES: '10' });
});
afterAll(async () => {
  emulator.setClock(Date.now);
  await emulator.close();
});

/** A real decision on a signed request, as the pre-event function makes it. */
async function decide(params: Record<string, string>): Promise<PreEventDecision> {
  const signature = twilioSignature(AUTH_TOKEN, `http://${DOMAIN}${PRE_EVENT_PATH}`, params);
  const event = { ...params, request: { headers: { 'x-twilio-signature': signature }, cookies: {} } };
  return decidePreEvent({ event, env, path: PRE_EVENT_PATH }, { log, remote: remoteFor(env, log) });
}

/** The instance's log flush has ended (written, or kept for the next one): none is under way. */
const logFlushEnded = () => !rejectionLog.flushing;

/** GET /status through the function itself (its answer object stands in for the runtime's Twilio.Response). */
async function status(query: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  class Response {
    status = 200;
    body: unknown;
    setStatusCode(code: number) {
      this.status = code;
    }
    appendHeader() {}
    setBody(body: unknown) {
      this.body = body;
    }
  }
  (globalThis as unknown as { Twilio: unknown }).Twilio = { Response };
  return new Promise((resolve, reject) => {
    const event = { ...query, request: { headers: { authorization: statusBasicAuth() }, cookies: {} } };
    void statusFunction(env as never, event as never, (error, response) => (error ? reject(error) : resolve(response as never)));
  });
}

test('10,000 rejections in a minute on one instance: bounded memory, under 20 writes a second per Sync object, the rest counted as dropped and reported by /status', async () => {
  const conversations = [emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID }), emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID })];
  const kinds = await Promise.all([
    decide(messageAdd({ ConversationSid: conversations[0]!, Body: 'over ten bytes' })), // chat: reject
    decide(messageAdd({ ConversationSid: conversations[1]!, Media: mediaField([file('jpg', 3 * 1024 * 1024)]) }, 'sms')), // inbound SMS: annotate
    decide(messageAdd({ ConversationSid: conversations[0]!, Media: mediaField([file('jpg', 17 * 1024 * 1024)]) }, 'whatsapp')), // inbound WhatsApp: annotate
    decide(messageAdd({ ConversationSid: conversations[1]!, Media: '{' })), // malformed
  ]);
  expect(kinds.map((k) => k.logged.map((r) => `${r.outcome} ${r.rule}`))).toEqual([
    ['reject message.body.bytes'],
    ['annotate message.media.file-size'],
    ['annotate message.media.file-size'],
    ['malformed request.malformed'],
  ]);

  // Two minutes ago, so that /status, which reads the real clock, finds every record inside REJECTION_LOG_TTL.
  const start = Math.floor(Date.now() / 1000) * 1000 - 2 * MINUTE_MS;
  let clock = start;
  emulator.setClock(() => clock);
  emulator.clearLog();
  let mostWaiting = 0;
  for (let i = 0; i < REJECTIONS; i++) {
    clock = start + Math.floor((i * MINUTE_MS) / REJECTIONS);
    const decision = kinds[i % kinds.length]!;
    countRejection(decision.rejection, clock);
    keepDecision(decision.logged, env, clock);
    // No flush is under way here (each is awaited below), so everything the log holds is waiting.
    mostWaiting = Math.max(mostWaiting, unflushedLog().records.length);
    await flushRejections(env, log, clock, () => clock);
    // A flush past its 1 s budget is still out: this instance's next decision would not wait for it,
    // but a test on a busy machine must not move its clock past a flush it has not seen end.
    await waitFor(logFlushEnded, { what: 'the log flush to end' });
  }
  expect(mostWaiting).toBe(MAX_RECORDS_PER_FLUSH);

  // The last flush, one interval after the minute: afterwards nothing waits.
  clock = start + MINUTE_MS + FLUSH_INTERVAL_MS;
  await flushRejections(env, log, clock, () => clock);
  await waitFor(() => !rejectionLog.pending, { what: 'the last log flush' });
  expect(unflushedLog()).toEqual({ records: [], dropped: 0 });

  const sync = syncRequests(emulator);
  expect(sync.filter((e) => e.status === 429)).toEqual([]);
  const peaks = peakPerWindow(sync.filter(isWrite), 1000);
  expect([...peaks.keys()].some((name) => name.startsWith('guard_rejection_log_'))).toBe(true);
  expect(Object.fromEntries([...peaks].filter(([, writes]) => writes >= 20))).toEqual({});
  // One item per flush: three at 0 s (the burst of an instance that has not flushed for an
  // interval), then every 10 s to 50 s, and the last one at 70 s.
  const logWrites = sync.filter((e) => isWrite(e) && documentOf(e)?.startsWith('guard_rejection_log_'));
  const itemsWritten = logWrites.filter((e) => e.status === 201 && /\/Items$/.test(e.path)).length;
  expect(itemsWritten).toBe(9);

  // Every record is either in Sync or counted as dropped; none is in Sync twice.
  const store = new SyncLogStore(emulatorClient(emulator), 'default');
  const inSync = await searchLog({}, { store, shards: 2, now: clock, ttlMs: 7 * 86_400_000, limit: REJECTIONS, maxPages: 10 });
  expect(inSync.complete).toBe(true);
  expect(inSync.records.length + inSync.dropped).toBe(REJECTIONS);
  expect(inSync.records.length).toBeLessThanOrEqual(itemsWritten * MAX_RECORDS_PER_FLUSH);
  expect(inSync.dropped).toBeGreaterThan(REJECTIONS - itemsWritten * MAX_RECORDS_PER_FLUSH - 1);
  expect(new Set(inSync.records.map((r) => `${r.at} ${r.rule} ${r.outcome} ${r.conversationSid}`)).size).toBe(inSync.records.length);
  verbose({ peakWritesPerSecond: Object.fromEntries(peaks), syncRequests: sync.length, itemsWritten, recordsInSync: inSync.records.length, dropped: inSync.dropped });
  for (const shard of [0, 1]) expect(emulator.counters()[`sync:default:maps:${logMapName(shard)}`]).toBeDefined();

  // /status says how many were dropped: on its page (the newest records) and in a search.
  emulator.setClock(Date.now);
  const page = await status();
  expect(page.status).toBe(200);
  expect(page.body.log).toMatchObject({ dropped: inSync.dropped, complete: true });
  expect(page.body.log.records).toHaveLength(100);
  const search = await status({ conversation: conversations[0]! });
  expect(search.body).toMatchObject({ dropped: inSync.dropped, complete: true });
  expect(search.body.records.length).toBeGreaterThan(0);
  expect(lines.filter((line) => 'warning' in line)).toEqual([]);
}, 120_000);
