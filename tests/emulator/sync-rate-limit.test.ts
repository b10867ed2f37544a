import { startEmulator, type Emulator } from '../../emulator';
import { call, errorOf, manualClock } from './http';

const SYNC = '/sync/v1/Services/default';
let emu: Emulator;
let clock: ReturnType<typeof manualClock>;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  clock = manualClock();
  emu.setClock(clock.now);
});

const writeDoc = (name: string, n: number) => call(emu, 'POST', `${SYNC}/Documents/${name}`, { form: { Data: JSON.stringify({ n }) } });
const readDoc = (name: string) => call(emu, 'GET', `${SYNC}/Documents/${name}`);

describe('Sync per-object rate limit', () => {
  it('throttles the write beyond the burst with 429 54009, leaving other objects and reads alone', async () => {
    await call(emu, 'POST', `${SYNC}/Documents`, { form: { UniqueName: 'hot' } });
    await call(emu, 'POST', `${SYNC}/Documents`, { form: { UniqueName: 'cold' } });
    emu.setSyncRateLimit({ perSecond: 5, burstSeconds: 1 });

    for (let i = 0; i < 5; i += 1) expect((await writeDoc('hot', i)).status).toBe(200);
    const throttled = await writeDoc('hot', 5);
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual(errorOf(54009, 429));
    expect((await readDoc('hot')).body.data).toEqual({ n: 4 });

    expect((await readDoc('cold')).status).toBe(200);
    expect((await writeDoc('cold', 1)).status).toBe(200);

    // The create counts as a write too.
    expect(emu.counters()['sync:default:documents:hot']).toEqual({ reads: 1, writes: 6, throttled: 1 });
    expect(emu.counters()['sync:default:documents:cold']).toEqual({ reads: 1, writes: 2, throttled: 0 });
  });

  it('refills at perSecond tokens per second', async () => {
    await call(emu, 'POST', `${SYNC}/Documents`, { form: { UniqueName: 'doc' } });
    emu.setSyncRateLimit({ perSecond: 5, burstSeconds: 2 });
    for (let i = 0; i < 10; i += 1) expect((await readDoc('doc')).status).toBe(200);
    expect((await readDoc('doc')).status).toBe(429);
    clock.advance(200);
    expect((await readDoc('doc')).status).toBe(200);
    expect((await readDoc('doc')).status).toBe(429);
    clock.advance(2_000);
    for (let i = 0; i < 10; i += 1) expect((await readDoc('doc')).status).toBe(200);
    expect((await readDoc('doc')).status).toBe(429);
  });

  it('counts map item writes against the map', async () => {
    await call(emu, 'POST', `${SYNC}/Maps`, { form: { UniqueName: 'windows' } });
    emu.setSyncRateLimit({ perSecond: 5, burstSeconds: 1 });
    for (let i = 0; i < 4; i += 1) {
      const res = await call(emu, 'POST', `${SYNC}/Maps/windows/Items`, { form: { Key: `CH${i}`, Data: '{}' } });
      expect(res.status).toBe(201);
    }
    expect((await call(emu, 'POST', `${SYNC}/Maps/windows/Items/CH0`, { form: { Data: '{"n":1}' } })).status).toBe(200);
    const sixth = await call(emu, 'POST', `${SYNC}/Maps/windows/Items`, { form: { Key: 'CH9', Data: '{}' } });
    expect(sixth.status).toBe(429);
    expect(sixth.body.code).toBe(54009);
    expect((await call(emu, 'GET', `${SYNC}/Maps/windows/Items/CH1`)).status).toBe(200);
    expect(emu.counters()['sync:default:maps:windows']).toEqual({ reads: 1, writes: 1 + 5, throttled: 1 });
  });

  it('defaults to 20 per second with a 10-second burst', async () => {
    await call(emu, 'POST', `${SYNC}/Documents`, { form: { UniqueName: 'doc' } });
    for (let i = 1; i < 200; i += 1) expect((await writeDoc('doc', i)).status).toBe(200);
    expect((await writeDoc('doc', 200)).status).toBe(429);
    clock.advance(1_000);
    for (let i = 0; i < 20; i += 1) expect((await writeDoc('doc', i)).status).toBe(200);
    expect((await writeDoc('doc', 21)).status).toBe(429);
  });

  it('keys counters by sid for objects without a unique name, and reset clears them', async () => {
    const { body } = await call(emu, 'POST', `${SYNC}/Documents`, { form: { Data: '{}' } });
    await readDoc(body.sid);
    expect(emu.counters()).toEqual({ [`sync:default:documents:${body.sid}`]: { reads: 1, writes: 1, throttled: 0 } });
    emu.setSyncRateLimit({ perSecond: 1, burstSeconds: 1 });
    emu.reset();
    expect(emu.counters()).toEqual({});
    await call(emu, 'POST', `${SYNC}/Documents`, { form: { UniqueName: 'after-reset' } });
    expect((await writeDoc('after-reset', 1)).status).toBe(200);
  });
});
