import { TwilioError, invalidParameter, notFound } from './errors';
import { SYNC_BASE_URL, isoDate, newSid } from './ids';
import { pageMeta, paginate, parsePageParams } from './paging';
import type { AccessKind, SyncRateLimiter } from './rate-limit';
import { Router, type ApiRequest, type ApiResponse } from './router';
import {
  objectKey,
  parseData,
  parseTtl,
  requireParam,
  type SyncCollection,
  type SyncDocument,
  type SyncMap,
  type SyncMapItem,
  type SyncService,
} from './sync-model';
import type { SyncStore } from './sync-store';

const date = (ms: number | null): string | null => (ms === null ? null : isoDate(ms));
const serviceUrl = (s: SyncService) => `${SYNC_BASE_URL}/Services/${s.sid}`;
const mapUrl = (s: SyncService, m: SyncMap) => `${serviceUrl(s)}/Maps/${m.sid}`;

function documentJson(s: SyncService, d: SyncDocument) {
  const url = `${serviceUrl(s)}/Documents/${d.sid}`;
  return {
    sid: d.sid,
    unique_name: d.uniqueName,
    account_sid: d.accountSid,
    service_sid: s.sid,
    url,
    links: { permissions: `${url}/Permissions` },
    revision: d.revision,
    data: d.data,
    date_expires: date(d.expiresAt),
    date_created: isoDate(d.dateCreated),
    date_updated: isoDate(d.dateUpdated),
    created_by: d.createdBy,
  };
}

function mapJson(s: SyncService, m: SyncMap) {
  const url = mapUrl(s, m);
  return {
    sid: m.sid,
    unique_name: m.uniqueName,
    account_sid: m.accountSid,
    service_sid: s.sid,
    url,
    links: { items: `${url}/Items`, permissions: `${url}/Permissions` },
    revision: m.revision,
    date_expires: date(m.expiresAt),
    date_created: isoDate(m.dateCreated),
    date_updated: isoDate(m.dateUpdated),
    created_by: m.createdBy,
  };
}

function itemJson(s: SyncService, m: SyncMap, i: SyncMapItem) {
  return {
    key: i.key,
    account_sid: i.accountSid,
    service_sid: s.sid,
    map_sid: m.sid,
    url: `${mapUrl(s, m)}/Items/${encodeURIComponent(i.key)}`,
    revision: i.revision,
    data: i.data,
    date_expires: date(i.expiresAt),
    date_created: isoDate(i.dateCreated),
    date_updated: isoDate(i.dateUpdated),
    created_by: i.createdBy,
  };
}

function ifMatch(req: ApiRequest): string | undefined {
  const raw = req.headers['if-match'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value ? value.replace(/^"(.*)"$/, '$1') : undefined;
}

/** Twilio's "alias" TTL parameters: the specific one wins when both are sent. */
const ttlOf = (req: ApiRequest, specific: string) => parseTtl(req.form[specific]) ?? parseTtl(req.form.Ttl);

function nothingToUpdate(): TwilioError {
  return new TwilioError(400, 54010, 'No parameters specified: expected at least one of Data or Ttl');
}

/**
 * An answer carrying one Sync object: its ETag header is the object's revision ("Every response
 * containing a Sync object will return an ETag value, which currently corresponds 1:1 with revision").
 */
const withObject = (status: number, body: { revision: string }): ApiResponse => ({ status, body, headers: { ETag: body.revision } });
const ok = (body: { revision: string }): ApiResponse => withObject(200, body);
const created = (body: { revision: string }): ApiResponse => withObject(201, body);

export function syncRouter(store: SyncStore, limiter: SyncRateLimiter): Router {
  /** Attributes the request to an object and charges it against that object's rate limit. */
  const charge = (req: ApiRequest, s: SyncService, collection: SyncCollection, name: string, kind: AccessKind) => {
    req.object = objectKey(s, collection, name);
    if (!limiter.take(req.object, kind)) {
      throw new TwilioError(429, 54009, 'Rate limit exceeded for this Sync object');
    }
  };
  const documentFor = (req: ApiRequest, service: string, id: string, kind: AccessKind) => {
    const s = store.service(service);
    const doc = store.findDocument(s, id);
    charge(req, s, 'documents', doc ? (doc.uniqueName ?? doc.sid) : id, kind);
    if (!doc) throw notFound(`Document ${id}`);
    return { s, doc };
  };
  // A Map's items count against the Map itself.
  const mapFor = (req: ApiRequest, service: string, id: string, kind: AccessKind) => {
    const s = store.service(service);
    const map = store.findMap(s, id);
    charge(req, s, 'maps', map ? (map.uniqueName ?? map.sid) : id, kind);
    if (!map) throw notFound(`Map ${id}`);
    return { s, map };
  };
  const itemFor = (map: SyncMap, key: string) => {
    const item = store.findItem(map, key);
    if (!item) throw notFound(`Map Item ${key}`);
    return item;
  };

  const router = new Router();
  const docs = 'Services/:service/Documents';
  router
    .add('POST', docs, (req, p) => {
      const s = store.service(p.service!);
      const uniqueName = req.form.UniqueName || null;
      const sid = newSid('ET');
      charge(req, s, 'documents', uniqueName ?? sid, 'write');
      const input = { data: parseData(req.form.Data), ttl: parseTtl(req.form.Ttl) };
      return created(documentJson(s, store.createDocument(s, sid, uniqueName, input, req.accountSid)));
    })
    .add('GET', `${docs}/:id`, (req, p) => {
      const { s, doc } = documentFor(req, p.service!, p.id!, 'read');
      return ok(documentJson(s, doc));
    })
    .add('POST', `${docs}/:id`, (req, p) => {
      const { s, doc } = documentFor(req, p.service!, p.id!, 'write');
      const input = { data: parseData(req.form.Data), ttl: parseTtl(req.form.Ttl), ifMatch: ifMatch(req) };
      if (input.data === undefined && input.ttl === undefined) throw nothingToUpdate();
      return ok(documentJson(s, store.updateDocument(doc, input)));
    });

  const maps = 'Services/:service/Maps';
  router
    .add('POST', maps, (req, p) => {
      const s = store.service(p.service!);
      const uniqueName = req.form.UniqueName || null;
      const sid = newSid('MP');
      charge(req, s, 'maps', uniqueName ?? sid, 'write');
      return created(mapJson(s, store.createMap(s, sid, uniqueName, ttlOf(req, 'CollectionTtl'), req.accountSid)));
    });

  const items = `${maps}/:id/Items`;
  router
    .add('GET', items, (req, p) => {
      const { s, map } = mapFor(req, p.service!, p.id!, 'read');
      const paging = parsePageParams(req.query, 100);
      // Twilio: items are ordered lexicographically by key, `Order` asc (default) or desc; `From` names
      // the first key to read, included unless `Bounds=exclusive` (ListSyncMapItem in the Sync v1 API).
      const order = req.query.Order || 'asc';
      if (order !== 'asc' && order !== 'desc') throw invalidParameter(`Invalid Order: ${order}. Must be one of asc, desc`);
      const bounds = req.query.Bounds || 'inclusive';
      if (bounds !== 'inclusive' && bounds !== 'exclusive') throw invalidParameter(`Invalid Bounds: ${bounds}. Must be one of inclusive, exclusive`);
      const from = req.query.From;
      const sign = order === 'asc' ? 1 : -1;
      const byKey = (key: string, at: string) => sign * (key < at ? -1 : key > at ? 1 : 0);
      const sorted = order === 'asc' ? store.listItems(map) : store.listItems(map).reverse();
      const listed = from === undefined || from === '' ? sorted : sorted.filter((i) => (bounds === 'inclusive' ? byKey(i.key, from) >= 0 : byKey(i.key, from) > 0));
      const page = paginate(listed, paging, (i, at) => byKey(i.key, String(at)));
      const filters: Array<[string, string]> = [['Order', order], ...(from ? ([['From', from], ['Bounds', bounds]] as Array<[string, string]>) : [])];
      return {
        status: 200,
        body: {
          items: page.items.map((i) => itemJson(s, map, i)),
          meta: pageMeta(`${mapUrl(s, map)}/Items`, filters, 'items', paging, page, (i) => i.key),
        },
      };
    })
    .add('POST', items, (req, p) => {
      const { s, map } = mapFor(req, p.service!, p.id!, 'write');
      const key = requireParam(req.form.Key, 'Key');
      const data = parseData(requireParam(req.form.Data, 'Data'));
      const input = { data, ttl: ttlOf(req, 'ItemTtl'), collectionTtl: parseTtl(req.form.CollectionTtl) };
      return created(itemJson(s, map, store.createItem(map, key, input, req.accountSid)));
    })
    .add('GET', `${items}/:key`, (req, p) => {
      const { s, map } = mapFor(req, p.service!, p.id!, 'read');
      return ok(itemJson(s, map, itemFor(map, p.key!)));
    })
    .add('POST', `${items}/:key`, (req, p) => {
      const { s, map } = mapFor(req, p.service!, p.id!, 'write');
      const item = itemFor(map, p.key!);
      const input = {
        data: parseData(req.form.Data),
        ttl: ttlOf(req, 'ItemTtl'),
        collectionTtl: parseTtl(req.form.CollectionTtl),
        ifMatch: ifMatch(req),
      };
      if (input.data === undefined && input.ttl === undefined && input.collectionTtl === undefined) throw nothingToUpdate();
      return ok(itemJson(s, map, store.updateItem(map, item, input)));
    })
    // Twilio: DeleteSyncMapItem answers 204, 404 when the item (or its Map) is not there, and honours If-Match.
    .add('DELETE', `${items}/:key`, (req, p) => {
      const { map } = mapFor(req, p.service!, p.id!, 'write');
      store.deleteItem(map, itemFor(map, p.key!), ifMatch(req));
      return { status: 204 };
    });
  return router;
}
