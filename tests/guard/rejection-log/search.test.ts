import { startEmulator, type Emulator } from '../../../emulator';
import { RejectionLog } from '../../../src/guard/rejection-log/buffer';
import { parseLogQuery, parseSince } from '../../../src/guard/rejection-log/query';
import type { LogRecord } from '../../../src/guard/rejection-log/record';
import { LOG_PAGE_SIZE, sameAuthor, searchLog, type LogSearchOptions } from '../../../src/guard/rejection-log/search';
import { SyncLogStore, type LogStore } from '../../../src/guard/store/log-store';
import { MemoryLogStore } from '../../../src/guard/store/memory-log-store';
import { emulatorClient } from '../../support/state-emulator';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const HOUR = 3_600_000;
const CONVERSATIONS = ['CH00000000000000000000000000000001', 'CH00000000000000000000000000000002'];

const record = (at: number, over: Partial<LogRecord> = {}): LogRecord => ({
  at,
  instance: 'i1',
  event: 'onMessageAdd',
  outcome: 'reject',
  rule: 'message.body.bytes',
  reason: 'too long',
  conversationSid: CONVERSATIONS[0],
  author: '+1•••••4567',
  channel: 'sms',
  ...over,
});

/** Writes `batches` (each a list of records) through a RejectionLog, one flush each, at its newest record's time. */
async function write(store: LogStore, batches: LogRecord[][], shards = 1): Promise<RejectionLog> {
  let shard = 0;
  const log = new RejectionLog(() => (shard++ % shards) / shards);
  for (const batch of batches) {
    log.add(batch.map((r) => ({ ...r, instance: log.instance })));
    await log.flush({ store, shards, ttlSeconds: 7 * 24 * 3600, now: Math.max(...batch.map((r) => r.at)) });
  }
  return log;
}

const options = (store: LogStore, over: Partial<LogSearchOptions> = {}): LogSearchOptions => ({ store, shards: 1, now: NOW, ttlMs: 7 * 24 * HOUR, limit: 100, maxPages: 5, ...over });

describe('searchLog', () => {
  it('finds the records of one conversation, identity, rule or outcome, newest first, across shards', async () => {
    const store = new MemoryLogStore();
    await write(
      store,
      [
        [record(NOW - 3 * HOUR), record(NOW - 3 * HOUR + 1, { conversationSid: CONVERSATIONS[1], author: 'agent-7', channel: 'web', rule: 'message.media.web.count' })],
        [record(NOW - 2 * HOUR, { outcome: 'annotate', rule: 'message.fanout.sms.body-chars' })],
        [record(NOW - HOUR, { conversationSid: CONVERSATIONS[1], author: 'whatsapp:+44•••••0123', channel: 'whatsapp' })],
      ],
      2,
    );
    const search = (query: Parameters<typeof searchLog>[0]) => searchLog(query, options(store, { shards: 2 })).then((found) => found.records.map((r) => r.at - NOW));
    expect(await search({ conversation: CONVERSATIONS[1] })).toEqual([-HOUR, -3 * HOUR + 1]);
    expect(await search({ identity: '+447700900123' })).toEqual([-HOUR]);
    expect(await search({ identity: 'agent-7' })).toEqual([-3 * HOUR + 1]);
    expect(await search({ rule: 'message.body.bytes' })).toEqual([-HOUR, -3 * HOUR]);
    expect(await search({ outcome: 'annotate' })).toEqual([-2 * HOUR]);
    expect(await search({ since: NOW - 2 * HOUR })).toEqual([-HOUR, -2 * HOUR]);
    expect(await search({})).toEqual([-HOUR, -2 * HOUR, -3 * HOUR + 1, -3 * HOUR]);
  });

  it('leaves out records older than REJECTION_LOG_TTL, which Sync may remove late', async () => {
    const store = new MemoryLogStore();
    await write(store, [[record(NOW - 8 * 24 * HOUR)], [record(NOW - HOUR)]]);
    expect((await searchLog({}, options(store))).records.map((r) => r.at)).toEqual([NOW - HOUR]);
  });

  it('adds what the instance answering has not flushed, once, and the drops it counted', async () => {
    const store = new MemoryLogStore();
    const { instance } = await write(store, [[record(NOW - 10)]]);
    const waiting = record(NOW - 5, { conversationSid: CONVERSATIONS[1], instance });
    // The flushed record is still held too, as when its batch lands while the search reads.
    const found = await searchLog({}, options(store, { unflushed: () => ({ records: [waiting, record(NOW - 10, { instance })], dropped: 3 }) }));
    expect(found.records.map((r) => r.at)).toEqual([NOW - 5, NOW - 10]);
    expect(found.dropped).toBe(3);
  });

  it('stops at `since` without reading further pages, and reads no more than maxPages, saying so', async () => {
    const store = new MemoryLogStore();
    // 250 flushes of one record each, one a minute, all matching.
    await write(store, Array.from({ length: 250 }, (_, i) => [record(NOW - (250 - i) * 60_000)]));
    const recent = await searchLog({ since: NOW - 30 * 60_000 }, options(store));
    expect(recent.records).toHaveLength(30);
    expect(recent.requests).toBe(1);
    const capped = await searchLog({ rule: 'no.such.rule' }, options(store, { maxPages: 2 }));
    expect(capped.requests).toBe(2);
    expect(capped.complete).toBe(false);
    expect(capped.incomplete).toBe(`The search is incomplete: only the newest ${2 * LOG_PAGE_SIZE} batches of Sync Map guard_rejection_log_0 were read.`);
  });

  it('reads on past `limit` matches while later pages may hold newer records: a batch an instance held an hour is flushed late', async () => {
    const store = new MemoryLogStore();
    // Page 2 (older flush keys): a record of 5 minutes ago. Page 1: 100 batches flushed since, the
    // newest of them holding 50 records an idle instance kept for an hour.
    await write(store, [[record(NOW - 5 * 60_000)]]);
    await write(store, Array.from({ length: 99 }, (_, i) => [record(NOW - 4 * 60_000 + i, { conversationSid: CONVERSATIONS[1] })]));
    const log = new RejectionLog(() => 0);
    log.add(Array.from({ length: 50 }, (_, i) => record(NOW - 60 * 60_000 + i, { instance: log.instance })));
    await log.flush({ store, shards: 1, ttlSeconds: 3600, now: NOW });
    const found = await searchLog({ conversation: CONVERSATIONS[0] }, options(store, { limit: 40 }));
    expect(found.records[0]!.at).toBe(NOW - 5 * 60_000);
    expect(found.records).toHaveLength(40);
    expect(found.requests).toBe(2);
  });

  it('finds a batch whose write lands while Sync is being read: held before the reads, in Sync after them', async () => {
    const store = new MemoryLogStore();
    await store.createMap('guard_rejection_log_0');
    const log = new RejectionLog(() => 0);
    log.add([record(NOW - 1, { instance: log.instance })]);
    const landing: LogStore = {
      append: (...args) => store.append(...args),
      createMap: (map) => store.createMap(map),
      // Sync answers the listing before the write lands; the write lands before the search looks here again.
      newest: async (map, size) => {
        const page = await store.newest(map, size);
        await log.flush({ store, shards: 1, ttlSeconds: 60, now: NOW });
        return page;
      },
    };
    const found = await searchLog({}, options(landing, { unflushed: () => log.unflushed() }));
    expect(found.records.map((r) => r.at)).toEqual([NOW - 1]);
  });

  it('says which shard could not be read, and answers with the others', async () => {
    const store = new MemoryLogStore();
    await write(store, [[record(NOW - 1)]], 2);
    const failing: LogStore = {
      append: (...args) => store.append(...args),
      createMap: (map) => store.createMap(map),
      newest: async (map, size) => (map.endsWith('_1') ? Promise.reject(new Error('Sync list of guard_rejection_log_1 failed: 429 / 54009')) : store.newest(map, size)),
    };
    const found = await searchLog({}, options(failing, { shards: 2 }));
    expect(found.records).toHaveLength(1);
    expect(found.complete).toBe(false);
    expect(found.incomplete).toBe('The search is incomplete: Sync Map guard_rejection_log_1 could not be read (Sync list of guard_rejection_log_1 failed: 429 / 54009).');
  });
});

describe('searchLog at its deadline', () => {
  it('answers with what the shards read before the signal aborted, naming the one that did not answer', async () => {
    const store = new MemoryLogStore();
    await write(store, [[record(NOW - 2)], [record(NOW - 1)]], 2);
    const deadline = new AbortController();
    const hanging: LogStore = {
      append: (...args) => store.append(...args),
      createMap: (map) => store.createMap(map),
      newest: (map, size) => (map.endsWith('_1') ? new Promise(() => {}) : store.newest(map, size).finally(() => setImmediate(() => deadline.abort()))),
    };
    const found = await searchLog({}, options(hanging, { shards: 2, signal: deadline.signal, unflushed: () => ({ records: [record(NOW, { conversationSid: 'CH-here' })], dropped: 0 }) }));
    expect(found.records.map((r) => r.at)).toEqual([NOW, NOW - 2]);
    expect(found.complete).toBe(false);
    expect(found.incomplete).toBe('The search is incomplete: Sync Map guard_rejection_log_1 did not answer in time.');
  });
});

describe('searchLog against Sync (the emulator, through twilio-node)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  it('lists the log Map newest first, page after page, with Order=desc and the next page Sync names', async () => {
    const store = new SyncLogStore(emulatorClient(emulator), 'default');
    await write(store, Array.from({ length: 150 }, (_, i) => [record(NOW - (150 - i) * 1000, { conversationSid: CONVERSATIONS[i % 2] })]));
    emulator.clearLog();
    const found = await searchLog({ conversation: CONVERSATIONS[0] }, options(store));
    expect(found.records.map((r) => r.at)).toEqual(Array.from({ length: 75 }, (_, i) => NOW - (2 + 2 * i) * 1000));
    const lists = emulator.log.filter((entry) => entry.method === 'GET');
    expect(lists).toHaveLength(2);
    expect(lists[0]!.query).toEqual(expect.objectContaining({ Order: 'desc', PageSize: String(LOG_PAGE_SIZE) }));
    expect(lists[1]!.query).toEqual(expect.objectContaining({ Order: 'desc', PageToken: expect.any(String) }));
    expect(emulator.log.every((entry) => entry.method === 'GET')).toBe(true);
  });

  it('answers an empty search when the log Map was never created', async () => {
    emulator.reset();
    const found = await searchLog({}, options(new SyncLogStore(emulatorClient(emulator), 'default')));
    expect(found).toEqual({ records: [], dropped: 0, complete: true, requests: 1 });
  });
});

describe('query parameters', () => {
  it('read since as a duration back from now or as a date, and say what is wrong otherwise', () => {
    expect(parseSince('1h', NOW)).toBe(NOW - HOUR);
    expect(parseSince('2026-12-01', NOW)).toBe(Date.UTC(2026, 11, 1));
    expect(parseSince('2026-12-01T09:30:00Z', NOW)).toBe(Date.UTC(2026, 11, 1, 9, 30));
    expect(parseSince('yesterday', NOW)).toEqual({ error: expect.stringMatching(/^since=yesterday is neither a duration back from now \(such as 1h, 30m or 7d\) nor a date/) });
  });

  it('are a search only when one is given; an unknown outcome or an empty value is named', () => {
    expect(parseLogQuery({ request: {} } as never, NOW)).toBeUndefined();
    expect(parseLogQuery({ conversation: CONVERSATIONS[0], rule: 'participant.count' }, NOW)).toEqual({ conversation: CONVERSATIONS[0], rule: 'participant.count' });
    expect(parseLogQuery({ outcome: 'allowed' }, NOW)).toEqual({ error: expect.stringMatching(/^outcome=allowed is not one the log keeps: reject, shadow-reject, annotate/) });
    expect(parseLogQuery({ identity: ' ' }, NOW)).toEqual({ error: 'identity must be given once, with a value.' });
    // `?identity=+15551234567` with the + unencoded: a query string turns it into a space.
    expect(parseLogQuery({ identity: ' 15551234567' }, NOW)).toEqual({ identity: '+15551234567' });
  });

  it('match an author with or without its channel prefix, as given or masked', () => {
    expect(sameAuthor('whatsapp:+44•••••0123', '+447700900123')).toBe(true);
    expect(sameAuthor('whatsapp:+44•••••0123', 'whatsapp:+44•••••0123')).toBe(true);
    expect(sameAuthor('+447700900123', 'whatsapp:+447700900123')).toBe(true);
    expect(sameAuthor('+44•••••0123', '+447700900124')).toBe(false);
    expect(sameAuthor('agent-7', 'agent-70')).toBe(false);
  });
});

describe('search limits', () => {
  it('refuses an identity longer than any the guard keeps, naming the parameter', () => {
    expect(parseLogQuery({ identity: 'x'.repeat(257) }, NOW)).toEqual({ error: 'identity is 257 characters; a search takes at most 256.' });
  });
});
