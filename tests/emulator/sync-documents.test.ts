import { DEFAULT_SYNC_SERVICE_SID, startEmulator, type Emulator } from '../../emulator';
import { ISO_DATE, SID, call, errorOf, manualClock } from './http';

const DOCS = '/sync/v1/Services/default/Documents';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const createDoc = (form: Record<string, string>) => call(emu, 'POST', DOCS, { form });

describe('Sync documents', () => {
  it('creates a document with the shape Twilio returns', async () => {
    const res = await createDoc({ UniqueName: 'guard-state', Data: JSON.stringify({ count: 1 }) });
    expect(res.status).toBe(201);
    const doc = res.body;
    expect(doc).toEqual({
      sid: expect.stringMatching(SID('ET')),
      unique_name: 'guard-state',
      account_sid: 'AC0123456789abcdef0123456789abcdef',
      service_sid: DEFAULT_SYNC_SERVICE_SID,
      url: `https://sync.twilio.com/v1/Services/${DEFAULT_SYNC_SERVICE_SID}/Documents/${doc.sid}`,
      links: { permissions: `https://sync.twilio.com/v1/Services/${DEFAULT_SYNC_SERVICE_SID}/Documents/${doc.sid}/Permissions` },
      revision: expect.any(String),
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

  it('changes the revision on every update and answers a stale If-Match with 412 54103', async () => {
    const { body: created } = await createDoc({ UniqueName: 'counter', Data: '{"n":0}' });
    const first = await call(emu, 'POST', `${DOCS}/counter`, {
      form: { Data: '{"n":1}' },
      headers: { 'If-Match': created.revision },
    });
    expect(first.status).toBe(200);
    expect(first.body.revision).not.toBe(created.revision);
    expect(first.body.data).toEqual({ n: 1 });

    const stale = await call(emu, 'POST', `${DOCS}/counter`, {
      form: { Data: '{"n":99}' },
      headers: { 'If-Match': created.revision },
    });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual(errorOf(54103, 412));
    expect((await call(emu, 'GET', `${DOCS}/counter`)).body.data).toEqual({ n: 1 });

    const unconditional = await call(emu, 'POST', `${DOCS}/counter`, { form: { Data: '{"n":2}' } });
    expect(unconditional.status).toBe(200);
    expect(unconditional.body.revision).not.toBe(first.body.revision);
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

  it('expires a document after its TTL, freeing its unique name', async () => {
    const clock = manualClock();
    emu.setClock(clock.now);
    try {
      const { body } = await createDoc({ UniqueName: 'short', Data: '{}', Ttl: '60' });
      expect(body.date_expires).toBe(new Date(clock.now() + 60_000).toISOString().replace('.000', ''));
      clock.advance(59_999);
      expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(200);
      clock.advance(1);
      expect((await call(emu, 'GET', `${DOCS}/short`)).status).toBe(404);
      expect((await createDoc({ UniqueName: 'short' })).status).toBe(201);
    } finally {
      emu.setClock(Date.now);
    }
  });

  it('re-arms or clears the expiry on update', async () => {
    const clock = manualClock();
    emu.setClock(clock.now);
    try {
      await createDoc({ UniqueName: 'rearm', Ttl: '10' });
      clock.advance(9_000);
      const updated = await call(emu, 'POST', `${DOCS}/rearm`, { form: { Ttl: '0' } });
      expect(updated.body.date_expires).toBeNull();
      clock.advance(60_000);
      expect((await call(emu, 'GET', `${DOCS}/rearm`)).status).toBe(200);
    } finally {
      emu.setClock(Date.now);
    }
  });
});
