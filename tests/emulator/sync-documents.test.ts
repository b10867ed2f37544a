import { DEFAULT_REMOVAL_LAG_MS, DEFAULT_SYNC_SERVICE_SID, startEmulator, type Emulator } from '../../emulator';
import { ISO_DATE, SID, call, control, emulatorClock, errorOf } from './http';

const DOCS = '/sync/v1/Services/default/Documents';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());
afterEach(() => emu.setClock(Date.now));
const handClock = (removalLagMs?: number) => emulatorClock(emu, removalLagMs);

const createDoc = (form: Record<string, string>) => call(emu, 'POST', DOCS, { form });

describe('Sync documents', () => {
  it('creates a document with the shape Twilio returns', async () => {
    const res = await createDoc({ UniqueName: 'guard-state', Data: JSON.stringify({ count: 1 }) });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('0');
    const doc = res.body;
    expect(doc).toEqual({
      sid: expect.stringMatching(SID('ET')),
      unique_name: 'guard-state',
      account_sid: 'AC0123456789abcdef0123456789abcdef',
      service_sid: DEFAULT_SYNC_SERVICE_SID,
      url: `https://sync.twilio.com/v1/Services/${DEFAULT_SYNC_SERVICE_SID}/Documents/${doc.sid}`,
      links: { permissions: `https://sync.twilio.com/v1/Services/${DEFAULT_SYNC_SERVICE_SID}/Documents/${doc.sid}/Permissions` },
      revision: '0',
      data: { count: 1 },
      date_expires: null,
      date_created: expect.stringMatching(ISO_DATE),
      date_updated: expect.stringMatching(ISO_DATE),
      created_by: 'system',
    });
  });

  it('refuses a second document with the same unique name (409, 54301)', async () => {
    expect((await createDoc({ UniqueName: 'dup' })).status).toBe(201);
    const again = await createDoc({ UniqueName: 'dup', Data: '{}' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual(errorOf(54301, 409));
  });

  it('fetches by sid and by unique name', async () => {
    const { body: doc } = await createDoc({ UniqueName: 'by-name', Data: '{"x":1}' });
    const byName = await call(emu, 'GET', `${DOCS}/by-name`);
    const bySid = await call(emu, 'GET', `${DOCS}/${doc.sid}`);
    expect(byName.status).toBe(200);
    expect(bySid.body).toEqual(byName.body);
    expect(byName.body.data).toEqual({ x: 1 });
  });

  it('serves the same documents through the default service sid', async () => {
    await createDoc({ UniqueName: 'shared' });
    const res = await call(emu, 'GET', `/sync/v1/Services/${DEFAULT_SYNC_SERVICE_SID}/Documents/shared`);
    expect(res.status).toBe(200);
  });

  it('keeps other services apart and rejects malformed service ids', async () => {
    const other = 'IS0000000000000000000000000000beef';
    await createDoc({ UniqueName: 'only-default' });
    expect((await call(emu, 'GET', `/sync/v1/Services/${other}/Documents/only-default`)).status).toBe(404);
    expect((await call(emu, 'GET', '/sync/v1/Services/not-a-service/Documents/x')).status).toBe(404);
  });

  it('numbers revisions per document from "0" (the ETag header too) and answers a stale If-Match with 412 54103', async () => {
    const { body: created } = await createDoc({ UniqueName: 'counter', Data: '{"n":0}' });
    expect((await createDoc({ UniqueName: 'other' })).body.revision).toBe('0');
    const first = await call(emu, 'POST', `${DOCS}/counter`, {
      form: { Data: '{"n":1}' },
      headers: { 'If-Match': created.revision },
    });
    expect(first.status).toBe(200);
    expect(first.body.revision).toBe('1');
    expect(first.headers.get('etag')).toBe('1');
    expect((await call(emu, 'GET', `${DOCS}/counter`)).headers.get('etag')).toBe('1');
    expect(first.body.data).toEqual({ n: 1 });

    const stale = await call(emu, 'POST', `${DOCS}/counter`, {
      form: { Data: '{"n":99}' },
      headers: { 'If-Match': created.revision },
    });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(errorOf(54103, 412));
    expect((await call(emu, 'GET', `${DOCS}/counter`)).body.data).toEqual({ n: 1 });

    // A quoted entity tag, as HTTP writes it, names the same revision.
    const quoted = await call(emu, 'POST', `${DOCS}/counter`, { form: { Data: '{"n":2}' }, headers: { 'If-Match': '"1"' } });
    expect(quoted.body.revision).toBe('2');
    const unconditional = await call(emu, 'POST', `${DOCS}/counter`, { form: { Data: '{"n":3}' } });
    expect(unconditional.status).toBe(200);
    expect(unconditional.body.revision).toBe('3');
  });

  it('accepts 16 KiB of data and refuses one byte more (400, 54006)', async () => {
    const overhead = JSON.stringify({ s: '' }).length;
    const exact = JSON.stringify({ s: 'a'.repeat(16384 - overhead) });
    expect(Buffer.byteLength(exact)).toBe(16384);
    expect((await createDoc({ UniqueName: 'big', Data: exact })).status).toBe(201);

    const tooBig = JSON.stringify({ s: 'a'.repeat(16385 - overhead) });
    const res = await createDoc({ UniqueName: 'bigger', Data: tooBig });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorOf(54006, 400));
    const update = await call(emu, 'POST', `${DOCS}/big`, { form: { Data: tooBig } });
    expect(update.body.code).toBe(54006);
  });

  it('refuses data that is not a JSON object', async () => {
    const res = await createDoc({ UniqueName: 'bad', Data: '{not json' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(54008);
  });

  it('validates the TTL range (400, 54011)', async () => {
    for (const ttl of ['-1', '31536001', 'soon']) {
      const res = await createDoc({ UniqueName: `ttl${ttl}`, Ttl: ttl });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(54011);
    }
    expect((await createDoc({ UniqueName: 'max', Ttl: '31536000' })).status).toBe(201);
  });

  it('removes a document late after its TTL (never early), freeing its unique name; created again, it starts at revision "0"', async () => {
    const clock = handClock(5_000);
    const { body } = await createDoc({ UniqueName: 'short', Data: '{}', Ttl: '60' });
    expect(body.date_expires).toBe(new Date(clock.now() + 60_000).toISOString().replace('.000', ''));
    await call(emu, 'POST', `${DOCS}/short`, { form: { Data: '{"n":1}' } });
    clock.advance(60_000);
    // Expired, not removed: still served, its name still taken.
    expect((await call(emu, 'GET', `${DOCS}/short`)).body).toMatchObject({ revision: '1', data: { n: 1 } });
    expect((await createDoc({ UniqueName: 'short' })).body).toEqual(errorOf(54301, 409));
    clock.advance(4_999);
    expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(200);
    clock.advance(1);
    expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(404);
    const again = await createDoc({ UniqueName: 'short' });
    expect(again.status).toBe(201);
    expect(again.body.revision).toBe('0');
    expect(again.body.date_created).not.toBe(body.date_created);
  });

  it('removes an expired document at its expiry itself with a removal lag of 0', async () => {
    const clock = handClock(0);
    await createDoc({ UniqueName: 'short', Ttl: '60' });
    clock.advance(59_999);
    expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(200);
    clock.advance(1);
    expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(404);
  });

  it('takes the removal lag over the control surface (POST /__emulator/sync-ttl), refuses a bad one, and reset restores the default', async () => {
    const clock = handClock();
    expect((await control(emu, 'POST', 'sync-ttl', { removalLagMs: 0 })).status).toBe(200);
    await createDoc({ UniqueName: 'short', Ttl: '1' });
    clock.advance(1_000);
    expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(404);
    for (const bad of [{ removalLagMs: -1 }, { removalLagMs: 'soon' }, {}]) expect((await control(emu, 'POST', 'sync-ttl', bad)).status).toBe(400);
    emu.reset();
    await createDoc({ UniqueName: 'short', Ttl: '1' });
    clock.advance(1_000);
    expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(200);
    clock.advance(DEFAULT_REMOVAL_LAG_MS);
    expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(404);
  });

  it('re-arms or clears the expiry on update', async () => {
    const clock = handClock();
    await createDoc({ UniqueName: 'rearm', Ttl: '10' });
    clock.advance(9_000);
    const updated = await call(emu, 'POST', `${DOCS}/rearm`, { form: { Ttl: '0' } });
    expect(updated.body.date_expires).toBeNull();
    clock.advance(60_000);
    expect((await call(emu, 'GET', `${DOCS}/rearm`)).status).toBe(200);
  });
});
