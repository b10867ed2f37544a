/**
 * The DocumentStore contract, run against both implementations: MemoryDocumentStore and
 * SyncDocumentStore over twilio-node talking to the local Twilio API emulator. Then what only Sync
 * does: TTL, and how its failures (429/54009, 5xx, no answer at all) come out.
 */
import { DEFAULT_REMOVAL_LAG_MS, startEmulator, type Emulator } from '../../../emulator';
import { StoreUnavailableError, type DocumentStore } from '../../../src/guard/store/document-store';
import { MemoryDocumentStore } from '../../../src/guard/store/memory-document-store';
import { syncName } from '../../../src/guard/store/names';
import { SyncDocumentStore } from '../../../src/guard/store/sync-document-store';
import { twilioClientFor } from '../../../src/guard/twilio/client';
import { ACCOUNT_SID } from '../../support/events';
import { emulatorStore, syncRequests } from '../../support/rate-emulator';
import { AUTH_TOKEN } from '../../support/twilio-request';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const implementations: Array<[string, () => DocumentStore]> = [
  ['MemoryDocumentStore', () => new MemoryDocumentStore()],
  ['SyncDocumentStore (emulator)', () => emulatorStore(emu)],
];

describe.each(implementations)('%s', (_name, makeStore) => {
  let store: DocumentStore;
  beforeEach(() => {
    store = makeStore();
  });

  test('a document that was never written reads as undefined', async () => {
    expect(await store.get('guard_test_absent')).toBeUndefined();
  });

  test('create, then read back the data with the same revision', async () => {
    const created = await store.create('guard_test_a', { t: [1, 2, 3] }, 61);
    expect(created).toEqual({ data: { t: [1, 2, 3] }, revision: expect.any(String) });
    expect(await store.get('guard_test_a')).toEqual(created);
  });

  test('creating a name that exists answers "exists" and leaves the document alone', async () => {
    await store.create('guard_test_a', { n: 1 });
    expect(await store.create('guard_test_a', { n: 2 })).toBe('exists');
    expect((await store.get<{ n: number }>('guard_test_a'))?.data).toEqual({ n: 1 });
  });

  test('replace with the current revision writes and moves the revision on', async () => {
    const first = await store.create('guard_test_a', { n: 1 });
    if (typeof first !== 'object') throw new Error('not created');
    const second = await store.replace('guard_test_a', { n: 2 }, first.revision, 61);
    if (typeof second !== 'object') throw new Error(`replace answered ${second}`);
    expect(second.data).toEqual({ n: 2 });
    expect(second.revision).not.toBe(first.revision);
    expect(await store.get('guard_test_a')).toEqual(second);
  });

  test('replace with a stale revision answers "conflict" and writes nothing', async () => {
    const first = await store.create('guard_test_a', { n: 1 });
    if (typeof first !== 'object') throw new Error('not created');
    await store.replace('guard_test_a', { n: 2 }, first.revision);
    expect(await store.replace('guard_test_a', { n: 3 }, first.revision)).toBe('conflict');
    expect((await store.get<{ n: number }>('guard_test_a'))?.data).toEqual({ n: 2 });
  });

  test('replace of a document that is gone answers "missing"', async () => {
    expect(await store.replace('guard_test_gone', { n: 1 }, '0')).toBe('missing');
  });

  test('of two concurrent writers holding the same revision, exactly one wins', async () => {
    const first = await store.create('guard_test_a', { n: 0 });
    if (typeof first !== 'object') throw new Error('not created');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.replace('guard_test_a', { n: i + 1 }, first.revision)));
    expect(results.filter((r) => typeof r === 'object')).toHaveLength(1);
    expect(results.filter((r) => r === 'conflict')).toHaveLength(7);
  });

  test('hashed names of hostile keys are accepted as they are', async () => {
    for (const key of ['a/b?c', '../x', 'x'.repeat(300), '😀', '', 'ET' + '0'.repeat(32)]) {
      const name = syncName('rate', key, '0');
      expect(await store.create(name, { key })).toMatchObject({ data: { key } });
      expect((await store.get<{ key: string }>(name))?.data.key).toBe(key);
    }
  });
});

describe('SyncDocumentStore: what only Sync does', () => {
  test('requests go to the emulator: a fetch by unique name, a create, an update with If-Match', async () => {
    const store = emulatorStore(emu);
    const created = await store.create('guard_test_a', { n: 1 }, 61);
    if (typeof created !== 'object') throw new Error('not created');
    await store.replace('guard_test_a', { n: 2 }, created.revision, 61);
    await store.get('guard_test_a');
    expect(syncRequests(emu).map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/sync/v1/Services/default/Documents', 201],
      ['POST', '/sync/v1/Services/default/Documents/guard_test_a', 200],
      ['GET', '/sync/v1/Services/default/Documents/guard_test_a', 200],
    ]);
  });

  test('the TTL is sent: the document is never gone before it expires, and gone once Sync removes it (late)', async () => {
    let now = Date.now();
    emu.setClock(() => now);
    try {
      const store = emulatorStore(emu);
      await store.create('guard_test_ttl', { n: 1 }, 61);
      now += 60_999;
      expect(await store.get('guard_test_ttl')).toBeDefined();
      now += 1 + DEFAULT_REMOVAL_LAG_MS;
      expect(await store.get('guard_test_ttl')).toBeUndefined();
    } finally {
      emu.setClock(Date.now);
    }
  });

  test('a document of another Sync service is another document', async () => {
    const service = 'IS' + 'a'.repeat(32);
    await emulatorStore(emu).create('guard_test_a', { n: 1 });
    expect(await emulatorStore(emu, service).get('guard_test_a')).toBeUndefined();
  });

  test.each([
    ['read', (s: DocumentStore) => s.get('guard_test_a')],
    ['create', (s: DocumentStore) => s.create('guard_test_b', { n: 1 })],
    ['replace', (s: DocumentStore) => s.replace('guard_test_a', { n: 2 }, '1')],
  ])('a throttled %s (429 / 54009) throws StoreUnavailableError, throttled', async (_op, operation) => {
    await emulatorStore(emu).create('guard_test_a', { n: 1 });
    emu.injectFault({ kind: 'status', status: 429, code: 54009, product: 'sync' });
    const error = await operation(emulatorStore(emu)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ status: 429, code: 54009, throttled: true });
    expect((error as Error).message).toMatch(/429 \/ 54009/);
  });

  test('a server error (500) throws StoreUnavailableError, not throttled', async () => {
    emu.injectFault({ kind: 'status', status: 500, product: 'sync' });
    const error = await emulatorStore(emu).get('guard_test_a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ status: 500, throttled: false });
  });

  test('past the per-document write limit (here 1/s after a burst of 20: the one retry cannot help), a write throws StoreUnavailableError, throttled', async () => {
    emu.setSyncRateLimit({ perSecond: 1, burstSeconds: 20 });
    const store = emulatorStore(emu);
    const created = await store.create('guard_test_a', { n: 0 });
    if (typeof created !== 'object') throw new Error('not created');
    let revision = created.revision;
    let error: unknown;
    for (let i = 1; i <= 25 && !error; i++) {
      try {
        const written = await store.replace('guard_test_a', { n: i }, revision);
        if (typeof written !== 'object') throw new Error(`write ${i} answered ${written}`);
        revision = written.revision;
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ status: 429, code: 54009, throttled: true });
  });

  test('nobody listening: StoreUnavailableError, no status', async () => {
    const closed = await startEmulator();
    const url = closed.url;
    await closed.close();
    const store = new SyncDocumentStore(twilioClientFor({ ACCOUNT_SID, AUTH_TOKEN }, url), 'default');
    const error = await store.get('guard_test_a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).status).toBeUndefined();
  });
});
