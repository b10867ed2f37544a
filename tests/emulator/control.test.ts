import { startEmulator, type Emulator } from '../../emulator';
import { call, control, errorOf } from './http';

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
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(settled).toBe(false);
    expect(own.log[0]).toMatchObject({ product: 'sync', status: 0 });
    const closing = performance.now();
    await own.close();
    await expect(pending).rejects.toThrow();
    expect(performance.now() - closing).toBeLessThan(1_000);
  });

  it('delays matching requests only', async () => {
    emu.setLatency(150, { product: 'sync' });
    const slow = await call(emu, 'GET', `${DOCS}/missing`);
    const fast = await call(emu, 'GET', CONV);
    expect(slow.ms).toBeGreaterThanOrEqual(140);
    expect(fast.ms).toBeLessThan(100);
    expect(emu.log[0]!.ms).toBeGreaterThanOrEqual(140);
    emu.setLatency(0);
    expect((await call(emu, 'GET', `${DOCS}/missing`)).ms).toBeLessThan(100);
  });

  it('never delays or fails control requests', async () => {
    emu.setLatency(300);
    emu.injectFault({ kind: 'status', status: 500 });
    const res = await control(emu, 'GET', 'counters');
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(200);
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
  it('drives the emulator from another process', async () => {
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

    await control(emu, 'POST', 'reset');
    expect(emu.counters()).toEqual({});
    expect((await call(emu, 'GET', CONV)).ms).toBeLessThan(100);
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
