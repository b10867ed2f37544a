import { TwilioError, notFound } from './errors';
import { DEFAULT_ACCOUNT_SID, DEFAULT_SYNC_SERVICE_SID, isSid } from './ids';
import {
  DEFAULT_REMOVAL_LAG_MS,
  expiryFrom,
  isRemoved,
  serviceLabel,
  type SyncDocument,
  type SyncMap,
  type SyncMapItem,
  type SyncService,
} from './sync-model';

export interface WriteInput {
  data?: unknown;
  ttl?: number;
  ifMatch?: string;
}

const CREATED_BY = 'system';

/**
 * Sync data, with Sync's semantics where the guard depends on them:
 *
 * - Revisions are numbered per object: "0" at creation, one more at each update. An object created
 *   again after it was removed starts at "0" again, so a revision remembered from the old object can
 *   match the new one; only `date_created` tells the two apart.
 * - TTL removal is late, never early: an object past its `date_expires` is still served, written and
 *   listed until `removalLagMs` later (Twilio documents TTL as approximate, "up to minutes"), then
 *   removed the next time anything looks it up, so it behaves as not found.
 */
export class SyncStore {
  private services = new Map<string, SyncService>();
  private seq = 0;
  private removalLagMs = DEFAULT_REMOVAL_LAG_MS;

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.services.clear();
    this.removalLagMs = DEFAULT_REMOVAL_LAG_MS;
  }

  /** How long after its `date_expires` an object is removed (0: at once). */
  setRemovalLag(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError('removalLagMs must be a number of milliseconds, 0 or more');
    this.removalLagMs = ms;
  }

  get removalLag(): number {
    return this.removalLagMs;
  }

  private gone(o: { expiresAt: number | null }, now = this.now()): boolean {
    return isRemoved(o, now, this.removalLagMs);
  }

  /** `default` names the account's default service; any well-formed IS sid names a service of its own. */
  service(id: string): SyncService {
    const sid = id === 'default' ? DEFAULT_SYNC_SERVICE_SID : id;
    if (!isSid('IS', sid)) throw notFound(`Service ${id}`);
    let service = this.services.get(sid);
    if (!service) {
      service = { sid, label: serviceLabel(sid), documents: new Map(), documentNames: new Map(), maps: new Map(), mapNames: new Map() };
      this.services.set(sid, service);
    }
    return service;
  }

  findDocument(service: SyncService, id: string): SyncDocument | undefined {
    const doc = service.documents.get(id) ?? service.documentNames.get(id);
    if (doc && this.gone(doc)) {
      this.deleteDocument(service, doc);
      return undefined;
    }
    return doc;
  }

  createDocument(service: SyncService, sid: string, uniqueName: string | null, input: WriteInput, accountSid?: string): SyncDocument {
    if (uniqueName && this.findDocument(service, uniqueName)) {
      throw new TwilioError(409, 54301, 'Unique name already exists');
    }
    const doc: SyncDocument = { seq: ++this.seq, sid, uniqueName, data: input.data ?? {}, ...this.fresh(input.ttl, accountSid) };
    service.documents.set(sid, doc);
    if (uniqueName) service.documentNames.set(uniqueName, doc);
    return doc;
  }

  updateDocument(doc: SyncDocument, input: WriteInput): SyncDocument {
    this.checkRevision(doc.revision, input.ifMatch, 54103, 'Document');
    if (input.data !== undefined) doc.data = input.data;
    this.touch(doc, input.ttl);
    return doc;
  }

  private deleteDocument(service: SyncService, doc: SyncDocument): void {
    service.documents.delete(doc.sid);
    if (doc.uniqueName) service.documentNames.delete(doc.uniqueName);
  }

  findMap(service: SyncService, id: string): SyncMap | undefined {
    const map = service.maps.get(id) ?? service.mapNames.get(id);
    if (map && this.gone(map)) {
      this.deleteMap(service, map);
      return undefined;
    }
    return map;
  }

  createMap(service: SyncService, sid: string, uniqueName: string | null, ttl?: number, accountSid?: string): SyncMap {
    if (uniqueName && this.findMap(service, uniqueName)) {
      throw new TwilioError(409, 54301, 'Unique name already exists');
    }
    const map: SyncMap = { seq: ++this.seq, sid, uniqueName, items: new Map(), ...this.fresh(ttl, accountSid) };
    service.maps.set(sid, map);
    if (uniqueName) service.mapNames.set(uniqueName, map);
    return map;
  }

  private deleteMap(service: SyncService, map: SyncMap): void {
    service.maps.delete(map.sid);
    if (map.uniqueName) service.mapNames.delete(map.uniqueName);
  }

  findItem(map: SyncMap, key: string): SyncMapItem | undefined {
    const item = map.items.get(key);
    if (item && this.gone(item)) {
      map.items.delete(key);
      return undefined;
    }
    return item;
  }

  /** `collectionTtl` re-arms the parent map's expiry, as Twilio's CollectionTtl does. */
  createItem(map: SyncMap, key: string, input: WriteInput & { collectionTtl?: number }, accountSid?: string): SyncMapItem {
    if (this.findItem(map, key)) {
      throw new TwilioError(409, 54208, 'Map Item already exists');
    }
    const item: SyncMapItem = { key, data: input.data ?? {}, ...this.fresh(input.ttl, accountSid ?? map.accountSid) };
    map.items.set(key, item);
    this.touchCollection(map, input.collectionTtl);
    return item;
  }

  updateItem(map: SyncMap, item: SyncMapItem, input: WriteInput & { collectionTtl?: number }): SyncMapItem {
    this.checkRevision(item.revision, input.ifMatch, 54205, 'Map Item');
    if (input.data !== undefined) item.data = input.data;
    this.touch(item, input.ttl);
    this.touchCollection(map, input.collectionTtl);
    return item;
  }

  /** Removes an item, only if it is still at `ifMatch` when one is given. */
  deleteItem(map: SyncMap, item: SyncMapItem, ifMatch?: string): void {
    this.checkRevision(item.revision, ifMatch, 54205, 'Map Item');
    map.items.delete(item.key);
  }

  /** Map items are ordered by key, as Twilio lists them. */
  listItems(map: SyncMap): SyncMapItem[] {
    const now = this.now();
    for (const item of [...map.items.values()]) if (this.gone(item, now)) map.items.delete(item.key);
    return [...map.items.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private fresh(ttl: number | undefined, accountSid: string | undefined) {
    const now = this.now();
    return {
      accountSid: accountSid ?? DEFAULT_ACCOUNT_SID,
      revision: '0',
      expiresAt: ttl === undefined ? null : expiryFrom(ttl, now),
      dateCreated: now,
      dateUpdated: now,
      createdBy: CREATED_BY,
    };
  }

  private touch(o: { revision: string; dateUpdated: number; expiresAt: number | null }, ttl?: number): void {
    const now = this.now();
    o.revision = String(Number(o.revision) + 1);
    o.dateUpdated = now;
    if (ttl !== undefined) o.expiresAt = expiryFrom(ttl, now);
  }

  private touchCollection(map: SyncMap, ttl?: number): void {
    if (ttl !== undefined) map.expiresAt = expiryFrom(ttl, this.now());
  }

  private checkRevision(current: string, ifMatch: string | undefined, code: number, what: string): void {
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current) {
      throw new TwilioError(412, code, `The revision of the ${what} does not match the expected revision`);
    }
  }
}
