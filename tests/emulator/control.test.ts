import { startEmulator, type Emulator } from '../../emulator';
import { AUTHORIZATION, call, control, errorOf } from './http';
import { waitFor } from '../support/wait';

const DOCS = '/sync/v1/Services/default/Documents';
const CONV = '/conversations/v1/Conversations';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

describe('authentication and routing', () => {
  it('answers 401 (20003) without Basic credentials', async () => {
    const res = await call(emu, 'GET', CONV, { auth: false });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorOf(20003, 401));
    const wrongUser = await call(emu, 'GET', CONV, {
      auth: false,
      headers: { Authorization: `Basic ${Buffer.from('someone:secret').toString('base64')}` },
    });
    expect(wrongUser.status).toBe(401);
  });

  it('accepts an API key as the user', async () => {
    const res = await call(emu, 'GET', CONV, {
      auth: false,
      headers: { Authorization: `Basic ${Buffer.from('SK0123456789abcdef0123456789abcdef:secret').toString('base64')}` },
    });
    expect(res.status).toBe(200);
  });

  it('answers unknown routes with 404 (20404) and wrong methods with 405', async () => {
    expect((await call(emu, 'GET', '/conversations/v1/Nope')).body).toEqual(errorOf(20404, 404));
    expect((await call(emu, 'GET', '/elsewhere')).status).toBe(404);
    expect((await call(emu, 'GET', '/sync/v2/Services/default/Documents')).status).toBe(404);
    expect((await call(emu, 'PUT', CONV)).status).toBe(405);
  });
});

describe('faults and latency', () => {
  it('returns an injected status the given number of times', async () => {
    emu.injectFault({ kind: 'status', status: 503, times: 2, product: 'sync' });
    expect((await call(emu, 'GET', CONV)).status).toBe(200);
    const first = await call(emu, 'POST', DOCS, { form: { UniqueName: 'a' } });
    expect(first.status).toBe(503);
    expect(first.body).toEqual(errorOf(20503, 503));
    expect((await call(emu, 'GET', `${DOCS}/a`)).status).toBe(503);
    expect((await call(emu, 'POST', DOCS, { form: { UniqueName: 'a' } })).status).toBe(201);
  });

  it('matches on method and path, first matching fault winning', async () => {
    emu.injectFault({ kind: 'status', status: 429, code: 54009, method: 'post', pathIncludes: '/Documents/hot' });
    emu.injectFault({ kind: 'status', status: 500, pathIncludes: '/Documents/hot' });
    await call(emu, 'POST', DOCS, { form: { UniqueName: 'hot' } });
    expect((await call(emu, 'POST', `${DOCS}/hot`, { form: { Data: '{}' } })).body).toEqual(errorOf(54009, 429));
    expect((await call(emu, 'GET', `${DOCS}/hot`)).status).toBe(500);
    emu.clearFaults();
    expect((await call(emu, 'GET', `${DOCS}/hot`)).status).toBe(200);
  });

  it('holds a hanging request until the emulator closes', async () => {
    const own = await startEmulator();
    own.injectFault({ kind: 'hang', product: 'sync', times: 1 });
    let settled = false;
    const pending = call(own, 'GET', `${DOCS}/x`).finally(() => {
      settled = true;
    });
    // Another request answered after the hanging one arrived: the hanging one is still open.
    await waitFor(() => own.log.length === 1);
    expect((await call(own, 'GET', CONV)).status).toBe(200);
    expect(settled).toBe(false);
    expect(own.log[0]).toMatchObject({ product: 'sync', status: 0 });
    await own.close();
    await expect(pending).rejects.toThrow();
  });

  it('delays matching requests only', async () => {
    emu.setLatency(150, { product: 'sync' });
    const slow = await call(emu, 'GET', `${DOCS}/missing`);
    await call(emu, 'GET', CONV);
    // Timers never fire early, so the lower bound holds however busy the machine is; the delay each
    // request waited is read from the log rather than timed.
    expect(slow.ms).toBeGreaterThanOrEqual(140);
    expect(emu.log.map((e) => [e.product, e.delayMs])).toEqual([
      ['sync', 150],
      ['conversations', 0],
    ]);
    expect(emu.log[0]!.ms).toBeGreaterThanOrEqual(140);
    emu.setLatency(0);
    await call(emu, 'GET', `${DOCS}/missing`);
    expect(emu.log[2]!.delayMs).toBe(0);
  });

  it('never delays, holds or fails control requests', async () => {
    // Ten minutes of latency and a hold on everything: a control request answered at all was not delayed.
    emu.setLatency(600_000);
    const hold = emu.hold();
    emu.injectFault({ kind: 'status', status: 500 });
    const res = await control(emu, 'GET', 'counters');
    expect(res.status).toBe(200);
    expect(emu.log.map((e) => [e.product, e.delayMs, e.held])).toEqual([['control', 0, false]]);
    hold.release();
  });
});

describe('holds', () => {
  it('keep matching requests waiting until released, then apply them', async () => {
    const hold = emu.hold({ product: 'sync', method: 'POST' });
    let created = false;
    const creating = call(emu, 'POST', DOCS, { form: { UniqueName: 'held' } }).then((r) => ((created = true), r));
    await hold.arrived();
    // Requests that do not match go by; the held one is neither answered nor applied yet.
    expect((await call(emu, 'GET', `${DOCS}/held`)).status).toBe(404);
    expect((await call(emu, 'GET', CONV)).status).toBe(200);
    expect(created).toBe(false);
    expect(hold.waiting).toBe(1);
    expect(emu.log[0]).toMatchObject({ method: 'POST', status: 0, held: true });

    hold.release();
    expect((await creating).status).toBe(201);
    expect(hold.waiting).toBe(0);
    expect((await call(emu, 'GET', `${DOCS}/held`)).status).toBe(200);
    // A released hold holds nothing more.
    expect((await call(emu, 'POST', DOCS, { form: { UniqueName: 'after' } })).status).toBe(201);
  });

  it('count arrivals, so a test waits for a request instead of sleeping', async () => {
    const hold = emu.hold({ pathIncludes: '/Documents' });
    const requests = [call(emu, 'GET', `${DOCS}/a`), call(emu, 'GET', `${DOCS}/b`)];
    await hold.arrived(2);
    expect(hold.waiting).toBe(2);
    hold.release();
    expect((await Promise.all(requests)).map((r) => r.status)).toEqual([404, 404]);
  });

  it('do not apply a request whose client gave up while it was held (499)', async () => {
    const hold = emu.hold({ product: 'sync' });
    const abort = new AbortController();
    const creating = fetch(`${emu.url}${DOCS}`, {
      method: 'POST',
      signal: abort.signal,
      headers: { Authorization: AUTHORIZATION, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ UniqueName: 'abandoned' }),
    });
    await hold.arrived();
    abort.abort();
    await expect(creating).rejects.toThrow();
    await waitFor(() => emu.log[0]!.status === 499);
    hold.release();
    expect((await call(emu, 'GET', `${DOCS}/abandoned`)).status).toBe(404);
  });

  it('are released by reset, which answers what they held', async () => {
    emu.hold();
    const pending = call(emu, 'GET', CONV);
    await waitFor(() => emu.log.length === 1);
    emu.reset();
    expect((await pending).status).toBe(200);
  });
});

describe('request log and counters', () => {
  it('records every request in arrival order with the Sync object it touched', async () => {
    await call(emu, 'POST', DOCS, { form: { UniqueName: 'state' } });
    await call(emu, 'GET', `${DOCS}/state?Foo=bar`);
    await call(emu, 'GET', `${CONV}?PageSize=5`);
    await control(emu, 'GET', 'counters');
    expect(emu.log.map(({ method, product, path, query, status, object }) => ({ method, product, path, query, status, object }))).toEqual([
      { method: 'POST', product: 'sync', path: DOCS, query: {}, status: 201, object: 'sync:default:documents:state' },
      { method: 'GET', product: 'sync', path: `${DOCS}/state`, query: { Foo: 'bar' }, status: 200, object: 'sync:default:documents:state' },
      { method: 'GET', product: 'conversations', path: CONV, query: { PageSize: '5' }, status: 200, object: undefined },
      { method: 'GET', product: 'control', path: '/__emulator/counters', query: {}, status: 200, object: undefined },
    ]);
    expect(emu.log.every((e) => e.at > 0 && e.ms >= 0)).toBe(true);
    emu.clearLog();
    expect(emu.log).toEqual([]);
  });
});

describe('HTTP control surface', () => {
  afterEach(() => emu.setClock(Date.now));

  it('drives the emulator from another process', async () => {
    // One write a second with no burst: the second write is refused unless the clock moves (it is fixed here).
    emu.setClock(() => 1_700_000_000_000);
    expect((await control(emu, 'POST', 'sync-rate-limit', { perSecond: 1, burstSeconds: 1 })).status).toBe(200);
    await call(emu, 'POST', DOCS, { form: { UniqueName: 'doc' } });
    expect((await call(emu, 'POST', `${DOCS}/doc`, { form: { Data: '{}' } })).status).toBe(429);

    const counters = await control(emu, 'GET', 'counters');
    expect(counters.body).toEqual({ 'sync:default:documents:doc': { reads: 0, writes: 1, throttled: 1 } });
    const log = await control(emu, 'GET', 'log');
    // The log includes the request that reads it.
    expect(log.body.map((e: { path: string; status: number }) => [e.path.split('/').pop(), e.status])).toEqual([
      ['sync-rate-limit', 200],
      ['Documents', 201],
      ['doc', 429],
      ['counters', 200],
      ['log', 200],
    ]);
    expect((await control(emu, 'DELETE', 'log')).status).toBe(200);
    expect(emu.log).toEqual([]);

    await control(emu, 'POST', 'faults', { kind: 'status', status: 500, times: 1 });
    expect((await call(emu, 'GET', CONV)).status).toBe(500);
    await control(emu, 'POST', 'faults', { kind: 'status', status: 502 });
    await control(emu, 'DELETE', 'faults');
    expect((await call(emu, 'GET', CONV)).status).toBe(200);

    await control(emu, 'POST', 'latency', { ms: 120, match: { product: 'conversations' } });
    expect((await call(emu, 'GET', CONV)).ms).toBeGreaterThanOrEqual(110);
    expect(emu.log.at(-1)!.delayMs).toBe(120);

    await control(emu, 'POST', 'reset');
    expect(emu.counters()).toEqual({});
    await call(emu, 'GET', CONV);
    expect(emu.log.at(-1)!.delayMs).toBe(0);
    await call(emu, 'POST', DOCS, { form: { UniqueName: 'doc' } });
    expect((await call(emu, 'POST', `${DOCS}/doc`, { form: { Data: '{}' } })).status).toBe(200);
  });

  it('seeds conversations and participants', async () => {
    const one = await control(emu, 'POST', 'seed/conversations', { friendlyName: 'seeded', state: 'inactive' });
    expect(one.status).toBe(201);
    const many = await control(emu, 'POST', 'seed/conversations', [{}, { uniqueName: 'named' }]);
    expect(many.body.sids).toHaveLength(2);
    const people = await control(emu, 'POST', `seed/conversations/${one.body.sid}/participants`, [
      { identity: 'alice' },
      { address: '+15558675310', proxyAddress: '+15017122661' },
    ]);
    expect(people.status).toBe(201);
    const list = await call(emu, 'GET', `${CONV}/${one.body.sid}/Participants`);
    expect(list.body.participants.map((p: { sid: string }) => p.sid)).toEqual(people.body.sids);
    expect((await call(emu, 'GET', `${CONV}/named`)).status).toBe(200);

    const dup = await control(emu, 'POST', `seed/conversations/${one.body.sid}/participants`, { identity: 'alice' });
    expect(dup.body).toEqual(errorOf(50433, 409));
    expect((await control(emu, 'POST', 'seed/conversations', 'nope')).status).toBe(400);
    expect((await control(emu, 'POST', 'faults', { kind: 'status', status: 200 })).status).toBe(400);
    expect((await control(emu, 'GET', 'nothing-here')).status).toBe(404);
  });
});
