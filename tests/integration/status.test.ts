/**
 * /status and the rejection counters through the real local runtime, in one warm process (as
 * `npm start` serves, and as a deployed instance lives), with the emulator as Twilio.
 */
import { startEmulator, type Emulator } from '../../emulator';
import { totals } from '../../src/guard/stats/counts';
import { countsDocumentName, readCounts } from '../../src/guard/stats/recorder';
import { messageAdd } from '../support/events';
import { PRE_EVENT_PATH, startRuntime, type Runtime } from '../support/runtime';
import { emulatorClient, emulatorStore, runtimeEnv } from '../support/state-emulator';
import { getStatus, STATUS_PASSWORD, statusBasicAuth } from '../support/status-client';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

const overLong = () => messageAdd({ Body: 'x'.repeat(11) });
const countsRequests = () => emulator.log.filter((entry) => entry.product === 'sync' && /guard_rejections_/.test(decodeURIComponent(entry.path)));

describe('rejection counters under a flood', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { STATUS_PASSWORD, MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '500ms', STATUS_SHARDS: '1' }), { forkProcess: false });
  });
  afterAll(() => runtime.stop());

  it('counts every rejection while writing each counts document far below Sync’s 20 writes per second', async () => {
    emulator.reset();
    emulator.clearLog();
    const started = Date.now();
    for (let i = 0; i < 150; i += 1) expect((await runtime.post(PRE_EVENT_PATH, overLong())).status).toBe(403);
    const elapsedMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 600));
    // An allowed message after the interval carries the last pending counts to Sync.
    expect((await runtime.post(PRE_EVENT_PATH, messageAdd({ Body: 'short' }))).status).toBe(200);

    const writes = countsRequests().filter((entry) => entry.method === 'POST');
    const flushesAllowed = Math.ceil((elapsedMs + 600) / 500) + 1;
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThanOrEqual(flushesAllowed);
    expect(writes.length / ((elapsedMs + 600) / 1000)).toBeLessThan(20);
    expect(emulator.log.filter((entry) => entry.status === 429)).toEqual([]);

    const status = await getStatus(runtime.url);
    expect(status.status).toBe(200);
    expect(status.json.rejections.lastHour).toEqual([{ rule: 'message.body.bytes', enforced: 150, shadow: 0 }]);
    expect(status.json.rejections.lastDay).toEqual([{ rule: 'message.body.bytes', enforced: 150, shadow: 0 }]);
    // STATUS_SHARDS=1: every read goes to the one shard document.
    const reads = countsRequests().filter((entry) => entry.method === 'GET');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((entry) => decodeURIComponent(entry.path).endsWith(countsDocumentName(0)))).toBe(true);
  });
});

describe('counts not flushed yet', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    emulator.reset();
    // An hour between flushes, where the default is 10 s: a slow run must not reach the next flush mid-test.
    runtime = await startRuntime(runtimeEnv(emulator, { STATUS_PASSWORD, MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '1h' }), { forkProcess: false });
  });
  afterAll(() => runtime.stop());

  it('are shown by the instance that counted them: four rejections, three flushed at once, four counted', async () => {
    for (let i = 0; i < 4; i += 1) expect((await runtime.post(PRE_EVENT_PATH, overLong())).status).toBe(403);
    // A quiet instance flushes its first three rejections at once, each in its own decision (its burst);
    // the fourth waits in its memory for the next flush, an hour on.
    const inSync = async () => totals(await readCounts(emulatorStore(emulatorClient(emulator)), 2), Date.now()).lastHour;
    expect(await inSync()).toEqual([{ rule: 'message.body.bytes', enforced: 3, shadow: 0 }]);
    const status = await getStatus(runtime.url);
    expect(status.status).toBe(200);
    expect(status.json.rejections.lastHour).toEqual([{ rule: 'message.body.bytes', enforced: 4, shadow: 0 }]);
    expect(status.json.rejections.lastDay).toEqual([{ rule: 'message.body.bytes', enforced: 4, shadow: 0 }]);
    expect(status.json.counters.unflushedHere).toBe(1);
    // Reading the status flushed nothing and counted nothing twice.
    expect(await inSync()).toEqual([{ rule: 'message.body.bytes', enforced: 3, shadow: 0 }]);
    expect((await getStatus(runtime.url)).json.rejections.lastHour).toEqual([{ rule: 'message.body.bytes', enforced: 4, shadow: 0 }]);
  });
});

describe('GET /status', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { STATUS_PASSWORD, GUARD_MODE: 'shadow', MAX_CHAT_BODY_BYTES: '10', STATUS_FLUSH_INTERVAL: '1ms' }), { forkProcess: false });
  });
  afterAll(() => runtime.stop());

  it('asks a browser to sign in, with a Basic challenge', async () => {
    const res = await getStatus(runtime.url, '');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Conversations limits guard"/);
  });

  it('refuses a wrong password', async () => {
    expect((await getStatus(runtime.url, statusBasicAuth('wrong'))).status).toBe(401);
  });

  it('reports shadow-mode rejections as would-be rejections, and the effective configuration', async () => {
    emulator.reset();
    const answer = await runtime.post(PRE_EVENT_PATH, overLong());
    expect(answer.status).toBe(200); // shadow mode allows
    const res = await getStatus(runtime.url);
    expect(res.json.mode).toBe('shadow');
    expect(res.json.rejections.lastHour).toEqual([{ rule: 'message.body.bytes', enforced: 0, shadow: 1 }]);
    expect(res.json.configuration).toContainEqual(expect.objectContaining({ variable: 'MAX_CHAT_BODY_BYTES', value: '10', default: '32768', changed: true }));
  });

  it('serves the status page as a public asset', async () => {
    const res = await fetch(`${runtime.url}/status.html`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<script src="status.js">');
  });
});

describe('GET /status while Sync does not answer', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    emulator.reset();
    // The deadline of /status's Sync reads is DECISION_TIMEOUT; the reads are held, so none can make it.
    runtime = await startRuntime(runtimeEnv(emulator, { STATUS_PASSWORD, MAX_CHAT_BODY_BYTES: '10', DECISION_TIMEOUT: '300ms', STATUS_FLUSH_INTERVAL: '1h' }), { forkProcess: false });
  });
  afterAll(() => runtime.stop());

  it('answers by the deadline with the counts it has, saying which are missing', async () => {
    // A warm /status first: a cold one spends part of its 300 ms building the Sync client, and
    // might answer before both reads have even reached Twilio.
    await getStatus(runtime.url);
    // Counted in this instance's memory: the first rejection's flush is held at its write (the only
    // Sync write here, the rate rules being off), so the count stays there.
    const flushes = emulator.hold({ product: 'sync', method: 'POST' });
    expect((await runtime.post(PRE_EVENT_PATH, overLong())).status).toBe(403);
    const reads = emulator.hold({ product: 'sync', method: 'GET', pathIncludes: 'guard_rejections_' });
    const status = await getStatus(runtime.url);
    // The answer came while both reads were still held: the deadline, not Sync, ended them.
    expect(reads.waiting).toBe(2);
    reads.release();
    flushes.release();
    expect(status.status).toBe(200);
    expect(status.json.rejections).toEqual({
      lastHour: [{ rule: 'message.body.bytes', enforced: 1, shadow: 0 }],
      lastDay: [{ rule: 'message.body.bytes', enforced: 1, shadow: 0 }],
      perHour: expect.any(Array),
      complete: false,
      incomplete: expect.stringMatching(
        /^The counts are incomplete: Sync document guard_rejections_0 did not answer within DECISION_TIMEOUT \(300 ms\); Sync document guard_rejections_1 did not answer within DECISION_TIMEOUT \(300 ms\)\./,
      ),
    });
  });
});

describe('a STATUS_PASSWORD shorter than 16 characters', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime(runtimeEnv(emulator, { STATUS_PASSWORD: 'abc', MAX_CHAT_BODY_BYTES: '10', STATUS_COUNTERS: 'off', REJECTION_LOG: 'off' }), { forkProcess: false });
  });
  afterAll(() => runtime.stop());

  it('turns the status page off, saying why, even to its password; the guard decides as before', async () => {
    const res = await getStatus(runtime.url, statusBasicAuth('abc'));
    expect(res.status).toBe(404);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.json).toEqual({ code: 'status.password-too-short', message: expect.stringContaining('STATUS_PASSWORD is shorter than 16 characters') });
    expect((await runtime.post(PRE_EVENT_PATH, overLong())).status).toBe(403);
    expect((await runtime.post(PRE_EVENT_PATH, messageAdd({ Body: 'short' }))).status).toBe(200);
  });
});
