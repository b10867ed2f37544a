import { DEFAULT_SYNC_SERVICE_SID, startEmulator, type Emulator } from '../../emulator';
import { ISO_DATE, SID, call, emulatorPath, errorOf, manualClock } from './http';

const MAPS = '/sync/v1/Services/default/Maps';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

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
      revision: expect.any(String),
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
      revision: expect.any(String),
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
    expect(updated.body.revision).not.toBe(created.body.revision);
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

  it('expires items after ItemTtl and the whole map after CollectionTtl', async () => {
    const clock = manualClock();
    emu.setClock(clock.now);
    try {
      await createMap('m', { Ttl: '300' });
      await createItem('m', 'short', {}, { ItemTtl: '10' });
      await createItem('m', 'long', {});
      clock.advance(10_000);
      expect((await call(emu, 'GET', itemPath('m', 'short'))).status).toBe(404);
      expect((await call(emu, 'GET', `${MAPS}/m/Items`)).body.items.map((i: { key: string }) => i.key)).toEqual(['long']);
      expect((await createItem('m', 'short', {})).status).toBe(201);
      clock.advance(290_000);
      expect((await call(emu, 'GET', `${MAPS}/m/Items`)).status).toBe(404);
      expect((await call(emu, 'GET', itemPath('m', 'long'))).status).toBe(404);
    } finally {
      emu.setClock(Date.now);
    }
  });

  it('lets CollectionTtl on an item write extend the map', async () => {
    const clock = manualClock();
    emu.setClock(clock.now);
    try {
      await createMap('m', { CollectionTtl: '10' });
      clock.advance(5_000);
      await createItem('m', 'k', {}, { CollectionTtl: '60' });
      clock.advance(30_000);
      expect((await call(emu, 'GET', `${MAPS}/m/Items`)).status).toBe(200);
    } finally {
      emu.setClock(Date.now);
    }
  });
});
