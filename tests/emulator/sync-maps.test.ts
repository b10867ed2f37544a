import { DEFAULT_REMOVAL_LAG_MS, DEFAULT_SYNC_SERVICE_SID, startEmulator, type Emulator } from '../../emulator';
import { ISO_DATE, SID, call, emulatorPath, emulatorClock, errorOf } from './http';

const MAPS = '/sync/v1/Services/default/Maps';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());
afterEach(() => emu.setClock(Date.now));
const handClock = (removalLagMs?: number) => emulatorClock(emu, removalLagMs);

const createMap = (name: string, form: Record<string, string> = {}) =>
  call(emu, 'POST', MAPS, { form: { UniqueName: name, ...form } });
const createItem = (map: string, key: string, data: unknown, form: Record<string, string> = {}) =>
  call(emu, 'POST', `${MAPS}/${map}/Items`, { form: { Key: key, Data: JSON.stringify(data), ...form } });
const itemPath = (map: string, key: string) => `${MAPS}/${map}/Items/${encodeURIComponent(key)}`;

describe('Sync maps', () => {
  it('creates a map with the shape Twilio returns and refuses a duplicate name (409, 54301)', async () => {
    const res = await createMap('windows');
    expect(res.status).toBe(201);
    const url = `https://sync.twilio.com/v1/Services/${DEFAULT_SYNC_SERVICE_SID}/Maps/${res.body.sid}`;
    expect(res.body).toEqual({
      sid: expect.stringMatching(SID('MP')),
      unique_name: 'windows',
      account_sid: expect.stringMatching(SID('AC')),
      service_sid: DEFAULT_SYNC_SERVICE_SID,
      url,
      links: { items: `${url}/Items`, permissions: `${url}/Permissions` },
      revision: '0',
      date_expires: null,
      date_created: expect.stringMatching(ISO_DATE),
      date_updated: expect.stringMatching(ISO_DATE),
      created_by: 'system',
    });
    const dup = await createMap('windows');
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual(errorOf(54301, 409));
    // Its items are reachable by sid as by name.
    await createItem('windows', 'CH1', { n: 1 });
    expect((await call(emu, 'GET', `${MAPS}/${res.body.sid}/Items`)).body.items.map((i: { key: string }) => i.key)).toEqual(['CH1']);
  });

  it('creates, fetches and updates items', async () => {
    const { body: map } = await createMap('m');
    const created = await createItem('m', 'CH1', { count: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      key: 'CH1',
      account_sid: expect.stringMatching(SID('AC')),
      service_sid: DEFAULT_SYNC_SERVICE_SID,
      map_sid: map.sid,
      url: `${map.url}/Items/CH1`,
      revision: '0',
      data: { count: 1 },
      date_expires: null,
      date_created: expect.stringMatching(ISO_DATE),
      date_updated: expect.stringMatching(ISO_DATE),
      created_by: 'system',
    });
    expect((await call(emu, 'GET', itemPath('m', 'CH1'))).body.data).toEqual({ count: 1 });

    const updated = await call(emu, 'POST', itemPath('m', 'CH1'), {
      form: { Data: '{"count":2}' },
      headers: { 'If-Match': created.body.revision },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.revision).toBe('1');
    const missing = await call(emu, 'GET', itemPath('m', 'CH2'));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(20404);
  });

  it('refuses an existing key (409, 54208) and a stale revision (412, 54205)', async () => {
    await createMap('m');
    const first = await createItem('m', 'k', { v: 1 });
    const dup = await createItem('m', 'k', { v: 2 });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual(errorOf(54208, 409));

    await call(emu, 'POST', itemPath('m', 'k'), { form: { Data: '{"v":3}' }, headers: { 'If-Match': first.body.revision } });
    const stale = await call(emu, 'POST', itemPath('m', 'k'), {
      form: { Data: '{"v":4}' },
      headers: { 'If-Match': first.body.revision },
    });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(errorOf(54205, 412));
    expect((await call(emu, 'GET', itemPath('m', 'k'))).body.data).toEqual({ v: 3 });
  });

  it('deletes an item (204), then answers 404 for it, and honours If-Match (412, 54205)', async () => {
    await createMap('m');
    const first = await createItem('m', 'k', { v: 1 });
    await createItem('m', 'other', { v: 1 });
    const stale = await call(emu, 'DELETE', itemPath('m', 'k'), { headers: { 'If-Match': String(Number(first.body.revision) + 1) } });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(errorOf(54205, 412));

    const deleted = await call(emu, 'DELETE', itemPath('m', 'k'));
    expect(deleted.status).toBe(204);
    expect((await call(emu, 'GET', itemPath('m', 'k'))).status).toBe(404);
    expect((await call(emu, 'GET', `${MAPS}/m/Items`)).body.items.map((i: { key: string }) => i.key)).toEqual(['other']);
    const again = await call(emu, 'DELETE', itemPath('m', 'k'));
    expect(again.status).toBe(404);
    expect(again.body.code).toBe(20404);
    expect((await call(emu, 'DELETE', itemPath('missing-map', 'k'))).status).toBe(404);
    // The key is free again: a create makes a new item.
    expect((await createItem('m', 'k', { v: 2 })).status).toBe(201);
  });

  it('takes keys with any character when URL-encoded in the path', async () => {
    await createMap('m');
    const key = 'a/b c?d%e#f+g:ü';
    const created = await createItem('m', key, { ok: true });
    expect(created.body.key).toBe(key);
    expect(created.body.url.endsWith(`/Items/${encodeURIComponent(key)}`)).toBe(true);
    const fetched = await call(emu, 'GET', itemPath('m', key));
    expect(fetched.status).toBe(200);
    expect(fetched.body.key).toBe(key);
  });

  it('needs Key and Data to create an item', async () => {
    await createMap('m');
    expect((await call(emu, 'POST', `${MAPS}/m/Items`, { form: { Data: '{}' } })).status).toBe(400);
    expect((await call(emu, 'POST', `${MAPS}/m/Items`, { form: { Key: 'k' } })).status).toBe(400);
    expect((await createItem('missing-map', 'k', {})).status).toBe(404);
  });

  it('pages through items in key order, following next_page_url', async () => {
    await createMap('big');
    const keys = Array.from({ length: 120 }, (_, i) => `key-${String(i).padStart(3, '0')}`);
    for (const key of [...keys].reverse()) await createItem('big', key, { key });
    const seen: string[] = [];
    let path: string | null = `${MAPS}/big/Items?PageSize=50`;
    let pages = 0;
    while (path) {
      const res = await call(emu, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.body.meta.key).toBe('items');
      seen.push(...res.body.items.map((i: { key: string }) => i.key));
      pages += 1;
      const next: string | null = res.body.meta.next_page_url;
      path = next ? emulatorPath(next) : null;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  it('lists items in descending key order, from a key, inclusive or exclusive, paging on in that order (Order, From, Bounds)', async () => {
    await createMap('ordered');
    const keys = Array.from({ length: 7 }, (_, i) => `k${i}`);
    for (const key of keys) await createItem('ordered', key, {});
    const listAll = async (query: string) => {
      const seen: string[] = [];
      let path: string | null = `${MAPS}/ordered/Items?PageSize=3&${query}`;
      while (path) {
        const res = await call(emu, 'GET', path);
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((i: { key: string }) => i.key));
        const next: string | null = res.body.meta.next_page_url;
        path = next ? emulatorPath(next) : null;
      }
      return seen;
    };
    expect(await listAll('Order=desc')).toEqual([...keys].reverse());
    expect(await listAll('Order=desc&From=k4')).toEqual(['k4', 'k3', 'k2', 'k1', 'k0']);
    expect(await listAll('Order=desc&From=k4&Bounds=exclusive')).toEqual(['k3', 'k2', 'k1', 'k0']);
    expect(await listAll('From=k4&Bounds=exclusive')).toEqual(['k5', 'k6']);
    expect((await call(emu, 'GET', `${MAPS}/ordered/Items?Order=newest`)).status).toBe(400);
    expect((await call(emu, 'GET', `${MAPS}/ordered/Items?From=k1&Bounds=open`)).status).toBe(400);
  });

  it('numbers revisions per item from "0", with the ETag header equal to the revision', async () => {
    await createMap('m');
    const a = await createItem('m', 'a', { n: 0 });
    const b = await createItem('m', 'b', { n: 0 });
    expect([a.body.revision, b.body.revision]).toEqual(['0', '0']);
    expect(a.headers.get('etag')).toBe('0');
    const updated = await call(emu, 'POST', itemPath('m', 'a'), { form: { Data: '{"n":1}' }, headers: { 'If-Match': '0' } });
    expect(updated.body.revision).toBe('1');
    expect(updated.headers.get('etag')).toBe('1');
    const fetched = await call(emu, 'GET', itemPath('m', 'a'));
    expect([fetched.body.revision, fetched.headers.get('etag')]).toEqual(['1', '1']);
    // b's revision is its own: a's update did not move it.
    expect((await call(emu, 'GET', itemPath('m', 'b'))).body.revision).toBe('0');
  });

  it('removes an expired item late, never early: until the removal lag has passed it is served, listed, written and its key taken', async () => {
    const clock = handClock(30_000);
    await createMap('m');
    const created = await createItem('m', 'k', { n: 0 }, { ItemTtl: '10' });
    clock.advance(10_000);
    // Expired (date_expires has passed) but not removed yet.
    const late = await call(emu, 'GET', itemPath('m', 'k'));
    expect(late.status).toBe(200);
    expect(Date.parse(late.body.date_expires)).toBeLessThanOrEqual(clock.now());
    expect((await call(emu, 'GET', `${MAPS}/m/Items`)).body.items.map((i: { key: string }) => i.key)).toEqual(['k']);
    expect((await createItem('m', 'k', { n: 9 })).body).toEqual(errorOf(54208, 409));
    clock.advance(29_999);
    expect((await call(emu, 'GET', itemPath('m', 'k'))).status).toBe(200);
    clock.advance(1);
    expect((await call(emu, 'GET', itemPath('m', 'k'))).status).toBe(404);
    // Created again: a new item, at revision "0" again, with its own date_created.
    const again = await createItem('m', 'k', { n: 1 });
    expect(again.status).toBe(201);
    expect(again.body.revision).toBe('0');
    expect(again.body.date_created).not.toBe(created.body.date_created);
  });

  it('renews an expired item that is written with a TTL before it is removed', async () => {
    const clock = handClock(30_000);
    await createMap('m');
    const created = await createItem('m', 'k', { n: 0 }, { ItemTtl: '10' });
    clock.advance(20_000);
    const renewed = await call(emu, 'POST', itemPath('m', 'k'), { form: { Data: '{"n":1}', ItemTtl: '10' }, headers: { 'If-Match': '0' } });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ revision: '1', date_created: created.body.date_created });
    clock.advance(39_999);
    expect((await call(emu, 'GET', itemPath('m', 'k'))).body.data).toEqual({ n: 1 });
  });

  it('a stale revision matches an item created again (Sync numbers revisions per item, not per key): only date_created tells them apart', async () => {
    const clock = handClock(0);
    await createMap('m');
    const first = await createItem('m', 'k', { by: 'a' }, { ItemTtl: '61' });
    clock.advance(64_000);
    const second = await createItem('m', 'k', { by: 'b' }, { ItemTtl: '61' });
    expect(second.body.revision).toBe(first.body.revision);
    const stale = await call(emu, 'POST', itemPath('m', 'k'), { form: { Data: '{"by":"a again"}' }, headers: { 'If-Match': first.body.revision } });
    expect(stale.status).toBe(200);
    expect(stale.body.date_created).toBe(second.body.date_created);
    expect(stale.body.date_created).not.toBe(first.body.date_created);
  });

  it('expires items after ItemTtl and the whole map after CollectionTtl, each removed once the removal lag has passed', async () => {
    const clock = handClock();
    const lag = DEFAULT_REMOVAL_LAG_MS;
    await createMap('m', { Ttl: '300' });
    await createItem('m', 'short', {}, { ItemTtl: '10' });
    await createItem('m', 'long', {});
    clock.advance(10_000 + lag);
    expect((await call(emu, 'GET', itemPath('m', 'short'))).status).toBe(404);
    expect((await call(emu, 'GET', `${MAPS}/m/Items`)).body.items.map((i: { key: string }) => i.key)).toEqual(['long']);
    expect((await createItem('m', 'short', {})).status).toBe(201);
    // The map expires at 300 s and is removed at 300 s + the lag.
    clock.advance(289_999);
    expect((await call(emu, 'GET', `${MAPS}/m/Items`)).status).toBe(200);
    clock.advance(1);
    expect((await call(emu, 'GET', `${MAPS}/m/Items`)).status).toBe(404);
    expect((await call(emu, 'GET', itemPath('m', 'long'))).status).toBe(404);
  });

  it('lets CollectionTtl on an item write extend the map', async () => {
    const clock = handClock(0);
    await createMap('m', { CollectionTtl: '10' });
    clock.advance(5_000);
    await createItem('m', 'k', {}, { CollectionTtl: '60' });
    clock.advance(30_000);
    expect((await call(emu, 'GET', `${MAPS}/m/Items`)).status).toBe(200);
  });
});
