import type { Twilio } from 'twilio';
import { startEmulator, type Emulator } from '../../../emulator';
import { MAX_REMEMBERED_PAGES, PAGE_INDEX_RENEW_AFTER_MS, pageIndexCache, PageIndexCache, ParticipantPageIndex, walkPages, type ListPage, type PageIndexData } from '../../../src/guard/facts/participant-pages';
import { countNonChat, listParticipants, refreshParticipantPages } from '../../../src/guard/facts/participants';
import { syncName } from '../../../src/guard/store/names';
import type { SyncDocumentStore } from '../../../src/guard/store/sync-document-store';
import { CHAT_SERVICE_SID } from '../../support/events';
import { RoundClient } from '../../support/rounds';
import { conversationsRequests, emulatorClient, emulatorStore, seedMembers, syncRequests } from '../../support/state-emulator';

/**
 * A list served by hand, one round at a time: `first` and `fetch` wait until the test answers the
 * round, so the rounds counted are the walk's round trips in sequence.
 */
function handList(pages: Array<{ url: string; items: number[]; next?: string }>, options: { failing?: Set<string> } = {}) {
  const requested: string[] = [];
  let waiting: Array<() => void> = [];
  const answer = <T>(value: () => T) =>
    new Promise<T>((resolve, reject) =>
      waiting.push(() => {
        try {
          resolve(value());
        } catch (error) {
          reject(error);
        }
      }),
    );
  const page = (url: string): ListPage<number> => {
    const found = pages.find((p) => p.url === url);
    if (!found) throw new Error(`no page ${url}`);
    if (options.failing?.has(url)) {
      options.failing.delete(url);
      throw new Error(`page ${url} failed`);
    }
    return { items: found.items, next: found.next };
  };
  return {
    requested,
    first: () => (requested.push(pages[0]!.url), answer(() => page(pages[0]!.url))),
    fetch: (url: string) => (requested.push(url), answer(() => page(url))),
    /** An answer the test gives in a round of its own choosing (the index read). */
    later: <T>(value: T) => answer(() => value),
    async rounds<T>(work: Promise<T>): Promise<{ result: T; rounds: number }> {
      let outcome: { value: T } | { error: unknown } | undefined;
      void work.then(
        (value) => (outcome = { value }),
        (error: unknown) => (outcome = { error }),
      );
      let rounds = 0;
      for (;;) {
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        if (waiting.length === 0) break;
        rounds += 1;
        const batch = waiting;
        waiting = [];
        batch.forEach((go) => go());
      }
      if (!outcome) throw new Error('stuck');
      if ('error' in outcome) throw outcome.error;
      return { result: outcome.value, rounds };
    },
  };
}

const URL_BASE = 'https://conversations.twilio.com/v1/Conversations/CH1/Participants';
/** Ten pages of ten, linked by next URLs, as Twilio serves a list. */
const tenPages = () =>
  Array.from({ length: 10 }, (_, i) => ({
    url: i === 0 ? URL_BASE : `${URL_BASE}?PageSize=10&Page=${i}&PageToken=PA${i}`,
    items: Array.from({ length: 10 }, (_, j) => i * 10 + j),
    next: i < 9 ? `${URL_BASE}?PageSize=10&Page=${i + 1}&PageToken=PA${i + 1}` : undefined,
  }));
const all = Array.from({ length: 100 }, (_, i) => i);

describe('walkPages', () => {
  test('without remembered URLs, ten pages are ten round trips in sequence', async () => {
    const list = handList(tenPages());
    const { result, rounds } = await list.rounds(walkPages(list.first, list.fetch));
    expect(result.items).toEqual(all);
    expect(rounds).toBe(10);
    expect(result.followed).toEqual(tenPages().slice(1).map((p) => p.url));
  });

  test('with the URLs of the last walk, ten pages take three round trips, each page read once', async () => {
    const pages = tenPages();
    const list = handList(pages);
    const remembered = pages.slice(1).map((p) => p.url);
    const { result, rounds } = await list.rounds(walkPages(list.first, list.fetch, () => list.later(remembered)));
    expect(result.items).toEqual(all);
    expect(rounds).toBe(3);
    expect([...list.requested].sort()).toEqual(pages.map((p) => p.url).sort());
  });

  test('an index answering after the second page still saves the rounds left', async () => {
    const pages = tenPages();
    const list = handList(pages);
    const remembered = pages.slice(1).map((p) => p.url);
    // The index arrives one round late: pages 2 and on are then read at once.
    const slowIndex = () => list.later(undefined).then(() => list.later(remembered));
    const { result, rounds } = await list.rounds(walkPages(list.first, list.fetch, slowIndex));
    expect(result.items).toEqual(all);
    expect(rounds).toBe(4);
  });

  test('a stale index: only pages the walk reaches through next URLs are used, and the list is the sequential one', async () => {
    const remembered = tenPages()
      .slice(1)
      .map((p) => p.url);
    // Since the index was written, page 4 names another next page, which holds the rest of the list;
    // the old pages 5 to 9 are still served (their tokens), with items no longer listed.
    const pages = tenPages().map((p, i) => (i >= 5 ? { ...p, items: p.items.map((n) => n + 1000) } : p));
    const moved = `${URL_BASE}?PageSize=10&Page=5&PageToken=PAmoved`;
    pages[4] = { ...pages[4]!, next: moved };
    pages.push({ url: moved, items: all.slice(50), next: undefined });
    const list = handList(pages);
    const { result, rounds } = await list.rounds(walkPages(list.first, list.fetch, () => list.later(remembered)));
    expect(result.items).toEqual(all);
    expect(result.followed).toEqual([...remembered.slice(0, 4), moved]);
    expect(rounds).toBe(4);
  });

  test('remembered URLs of another host, path or scheme are never requested', async () => {
    const pages = tenPages().slice(0, 2);
    pages[1]!.next = undefined;
    const list = handList(pages);
    const foreign = ['https://evil.example.com/v1/Conversations/CH1/Participants?PageToken=x', `${URL_BASE.replace('CH1', 'CH2')}?PageToken=x`, URL_BASE.replace('https:', 'http:') + '?PageToken=x', 'not a url'];
    const { result } = await list.rounds(walkPages(list.first, list.fetch, () => list.later(foreign)));
    expect(result.items).toHaveLength(20);
    expect(list.requested).toEqual([URL_BASE, pages[1]!.url]);
  });

  test('a remembered page that failed is requested again when the walk reaches it; the index failing changes nothing', async () => {
    const pages = tenPages();
    const list = handList(pages, { failing: new Set([pages[5]!.url]) });
    const { result } = await list.rounds(walkPages(list.first, list.fetch, () => list.later(pages.slice(1).map((p) => p.url))));
    expect(result.items).toEqual(all);
    expect(list.requested.filter((u) => u === pages[5]!.url)).toHaveLength(2);

    const broken = handList(tenPages());
    const walked = await broken.rounds(
      walkPages(broken.first, broken.fetch, () => {
        throw new Error('Sync is down');
      }),
    );
    expect(walked.result.items).toEqual(all);
    expect(walked.rounds).toBe(10);
  });

  test("a page the walk itself needs that fails is the walk's error", async () => {
    const pages = tenPages();
    const list = handList(pages, { failing: new Set([pages[3]!.url]) });
    await expect(list.rounds(walkPages(list.first, list.fetch))).rejects.toThrow('failed');
  });

  test('a list that names a page twice is an error, not an endless walk', async () => {
    const pages = tenPages().slice(0, 3);
    pages[2]!.next = pages[1]!.url;
    const list = handList(pages);
    await expect(list.rounds(walkPages(list.first, list.fetch))).rejects.toThrow('twice');
  });

  test('an index that answers after the walk ended starts no request', async () => {
    const pages = tenPages().slice(0, 2);
    pages[1]!.next = undefined;
    const list = handList(pages);
    let answerIndex!: (urls: string[]) => void;
    const index = new Promise<string[]>((resolve) => (answerIndex = resolve));
    const { result } = await list.rounds(walkPages(list.first, list.fetch, () => index));
    expect(result.items).toHaveLength(20);
    answerIndex(tenPages().map((p) => p.url));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(list.requested).toHaveLength(2);
  });
});

describe('participant lists with the page index, on the emulator', () => {
  let emulator: Emulator;
  let client: Twilio;
  let store: SyncDocumentStore;

  beforeAll(async () => {
    emulator = await startEmulator();
    client = emulatorClient(emulator);
    store = emulatorStore(client);
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.reset();
    pageIndexCache.clear();
  });
  /** What a decision on another instance finds: nothing of this instance's cache. */
  const anotherInstance = () => pageIndexCache.clear();

  const indexName = (sid: string, service = CHAT_SERVICE_SID) => syncName('pages', service, sid);

  test('1000 participants: ten rounds with no index; after the post-event refresh, three, and the same list', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 960, sms: 30, whatsapp: 10 });
    const rounds = new RoundClient(emulator.url);
    const roundStore = emulatorStore(rounds.client());

    const cold = await rounds.run(() => listParticipants(rounds.client(), sid, CHAT_SERVICE_SID, () => roundStore));
    expect(cold.result).toHaveLength(1000);
    expect(cold.rounds).toBe(10);
    expect(countNonChat(cold.result)).toBe(40);

    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('written');
    const index = await store.get<{ queries: string[] }>(indexName(sid));
    expect(index?.data.queries).toHaveLength(9);
    expect(index?.data.queries.every((q) => q.includes('PageToken=') && !q.includes('twilio.com'))).toBe(true);
    expect(JSON.stringify(index?.data).length).toBeLessThan(1024);

    emulator.clearLog();
    anotherInstance();
    const warm = await rounds.run(() => listParticipants(rounds.client(), sid, CHAT_SERVICE_SID, () => roundStore));
    expect(warm.rounds).toBe(3);
    expect(warm.result).toEqual(cold.result);
    expect(conversationsRequests(emulator)).toHaveLength(10);
    expect(syncRequests(emulator)).toHaveLength(1);
    expect(rounds.rounds[1]).toHaveLength(2); // page 2 beside the index
    expect(rounds.rounds[2]).toHaveLength(8); // pages 3 to 10 at once

    // Nothing changed: the next refresh writes nothing.
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('unchanged');
  });

  test('read at once (a chat join, which reads Sync in its first round anyway): 1000 participants in two rounds, and one of one page in one', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 1000 });
    await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID);
    anotherInstance();
    const rounds = new RoundClient(emulator.url);
    const roundStore = emulatorStore(rounds.client());
    const warm = await rounds.run(() => listParticipants(rounds.client(), sid, CHAT_SERVICE_SID, () => roundStore, { indexAtOnce: true }));
    expect(warm.result).toHaveLength(1000);
    expect(warm.rounds).toBe(2);
    // Page 1 beside the index.
    expect(rounds.rounds[0]).toHaveLength(2);
    expect(rounds.rounds[0]).toEqual(expect.arrayContaining([expect.stringContaining(`/Documents/${indexName(sid)}`), expect.stringContaining('/Participants?PageSize=100')]));
    expect(rounds.rounds[1]).toHaveLength(9); // pages 2 to 10 at once

    const small = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, small, { chat: 20 });
    const one = await rounds.run(() => listParticipants(rounds.client(), small, CHAT_SERVICE_SID, () => roundStore, { indexAtOnce: true }));
    expect(one.result).toHaveLength(20);
    expect(one.rounds).toBe(1);
  });

  test('the instance keeps what it read of an index for a second: a burst of listings reads it once, and once more after the second', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 1000 });
    await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID);
    anotherInstance();
    emulator.clearLog();
    const listings = await Promise.all(Array.from({ length: 5 }, () => listParticipants(client, sid, CHAT_SERVICE_SID, () => store)));
    expect(listings.every((l) => l.length === 1000)).toBe(true);
    await listParticipants(client, sid, CHAT_SERVICE_SID, () => store);
    // The post-event walk on this instance reads it from the cache too, and writes nothing: it is unchanged.
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('unchanged');
    expect(syncRequests(emulator)).toHaveLength(1);

    let now = 0;
    const cache = new PageIndexCache(1000, 2, () => now);
    const reads: string[] = [];
    const load = (name: string) => () => (reads.push(name), Promise.resolve(undefined));
    await cache.get('a', load('a'));
    now = 999;
    await cache.get('a', load('a'));
    expect(reads).toEqual(['a']);
    now = 1000;
    await cache.get('a', load('a'));
    expect(reads).toEqual(['a', 'a']);
    // Bounded: the oldest entry goes first.
    await cache.get('b', load('b'));
    await cache.get('c', load('c'));
    expect(cache.size).toBe(2);
    await cache.get('a', load('a'));
    expect(reads).toEqual(['a', 'a', 'b', 'c', 'a']);
  });

  test('an unchanged index is written again once it is a day old, so its 30-day TTL starts anew', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 500 });
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('written');
    const first = (await store.get<PageIndexData>(indexName(sid)))!;
    const followed = first.data.queries.map((q) => `${emulator.url}/v1/Services/${CHAT_SERVICE_SID}/Conversations/${sid}/Participants?${q}`.replace(emulator.url, 'https://conversations.twilio.com'));
    const written = first.data.written!;
    // Stored with an hour left to live: only a write renews it.
    await store.replace(indexName(sid), first.data, first.revision, 3600);
    const expiry = async () => (await client.sync.v1.services('default').documents(indexName(sid)).fetch()).dateExpires!.getTime();
    const DAY = 24 * 3600 * 1000;
    const at = (ms: number) => new ParticipantPageIndex(store, sid, CHAT_SERVICE_SID, new PageIndexCache(), () => ms);
    expect(await at(written + PAGE_INDEX_RENEW_AFTER_MS - 1).save(followed)).toBe('unchanged');
    expect(await expiry()).toBeLessThan(Date.now() + DAY);
    expect(await at(written + PAGE_INDEX_RENEW_AFTER_MS).save(followed)).toBe('written');
    const renewed = (await store.get<PageIndexData>(indexName(sid)))!;
    expect(renewed.data).toEqual({ queries: first.data.queries, written: written + PAGE_INDEX_RENEW_AFTER_MS });
    expect(await expiry()).toBeGreaterThan(Date.now() + 29 * DAY);
  });

  test('fewer than four pages keep no index: the index would save no round trip there', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 300 });
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('unchanged');
    expect(syncRequests(emulator).filter((e) => e.method === 'POST')).toHaveLength(0);
    expect(await store.get(indexName(sid))).toBeUndefined();
    seedMembers(emulator, sid, { chat: 1 });
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('written');
    expect((await store.get<PageIndexData>(indexName(sid)))?.data.queries).toHaveLength(3);

    // A list that shrank below four pages empties its index: no decision reads pages that are gone.
    const members = seedMembers(emulator, sid, { chat: 0 });
    expect(members).toHaveLength(0);
    const list = client.conversations.v1.services(CHAT_SERVICE_SID).conversations(sid).participants;
    for (const p of (await list.list({ pageSize: 100 })).slice(0, 2)) await list(p.sid).remove();
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('written');
    expect((await store.get<PageIndexData>(indexName(sid)))?.data.queries).toEqual([]);
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('unchanged');
  });

  test(`an index names at most ${MAX_REMEMBERED_PAGES} pages: with the page walked, 10 requests at once`, async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 1000 });
    // A stale index of ten pages no page names any more.
    await store.create(indexName(sid), { queries: Array.from({ length: 10 }, (_, i) => `PageSize=100&Page=${i + 1}&PageToken=PAstale${i}`) });
    const rounds = new RoundClient(emulator.url);
    const roundStore = emulatorStore(rounds.client());
    const listed = await rounds.run(() => listParticipants(rounds.client(), sid, CHAT_SERVICE_SID, () => roundStore, { indexAtOnce: true }));
    expect(listed.result).toHaveLength(1000);
    expect(Math.max(...rounds.rounds.map((r) => r.length))).toBe(10); // page 2 and nine remembered
  });

  test('a participant removed mid-list since the index was written: the list is still exact, and the refresh rewrites the index', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    const members = seedMembers(emulator, sid, { chat: 1000 });
    await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID);
    await client.conversations.v1.services(CHAT_SERVICE_SID).conversations(sid).participants(members[350]!).remove();

    anotherInstance();
    const listed = await listParticipants(client, sid, CHAT_SERVICE_SID, () => store);
    expect(listed).toHaveLength(999);
    expect(new Set(listed.map((p) => p.identity)).size).toBe(999);
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('written');

    anotherInstance();
    const rounds = new RoundClient(emulator.url);
    const roundStore = emulatorStore(rounds.client());
    const warm = await rounds.run(() => listParticipants(rounds.client(), sid, CHAT_SERVICE_SID, () => roundStore));
    expect(warm.result).toHaveLength(999);
    expect(warm.rounds).toBe(3);
  });

  test('a conversation of one page: one round and no Sync request, in the decision and in the refresh', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 100 });
    const rounds = new RoundClient(emulator.url);
    const roundStore = emulatorStore(rounds.client());
    const listed = await rounds.run(() => listParticipants(rounds.client(), sid, CHAT_SERVICE_SID, () => roundStore));
    expect(listed.result).toHaveLength(100);
    expect(listed.rounds).toBe(1);
    expect(await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID)).toBe('unchanged');
    expect(syncRequests(emulator)).toHaveLength(0);
  });

  test('the index is kept per URL the list is read at: the default-service path has its own, and saves its rounds', async () => {
    const sid = emulator.seed.conversation({});
    seedMembers(emulator, sid, { chat: 450 });
    const rounds = new RoundClient(emulator.url);
    const roundStore = emulatorStore(rounds.client());
    const cold = await rounds.run(() => listParticipants(rounds.client(), sid, undefined, () => roundStore));
    expect(cold.rounds).toBe(5);

    await refreshParticipantPages(client, store, sid, undefined);
    expect((await store.get<{ queries: string[] }>(syncName('pages', '', sid)))?.data.queries).toHaveLength(4);
    expect(await store.get(indexName(sid))).toBeUndefined();
    anotherInstance();
    const listed = await rounds.run(() => listParticipants(rounds.client(), sid, undefined, () => roundStore));
    expect(listed.result).toEqual(cold.result);
    expect(listed.rounds).toBe(3);
    expect(rounds.rounds[2]).toHaveLength(3); // pages 3 to 5 at once, from the default-service path's own index
  });

  test('Sync failing: the list is read in sequence, the same', async () => {
    const sid = emulator.seed.conversation({ serviceSid: CHAT_SERVICE_SID });
    seedMembers(emulator, sid, { chat: 300 });
    await refreshParticipantPages(client, store, sid, CHAT_SERVICE_SID);
    emulator.injectFault({ kind: 'status', status: 503, product: 'sync' });
    const listed = await listParticipants(client, sid, CHAT_SERVICE_SID, () => store);
    expect(listed).toHaveLength(300);
  });
});
