import { TwilioError, notFound } from './errors';
import { DEFAULT_ACCOUNT_SID, DEFAULT_SYNC_SERVICE_SID, isSid } from './ids';
import {
  expiryFrom,
  isExpired,
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
 * Sync data. Expiry is lazy: an object or item past its `date_expires` is
 * removed the next time anything looks it up, so it behaves as not found.
 */
export class SyncStore {
  private services = new Map<string, SyncService>();
  private seq = 0;
  /** Revisions are unique across the emulator, so a stale If-Match never matches a re-created object. */
  private revisions = 0;

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.services.clear();
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
    if (doc && isExpired(doc, this.now())) {
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
    if (map && isExpired(map, this.now())) {
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
    if (item && isExpired(item, this.now())) {
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

  /** Map items are ordered by key, as Twilio lists them. */
  listItems(map: SyncMap): SyncMapItem[] {
    const now = this.now();
    for (const item of [...map.items.values()]) if (isExpired(item, now)) map.items.delete(item.key);
    return [...map.items.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private nextRevision(): string {
    return (this.revisions++).toString(16);
  }

  private fresh(ttl: number | undefined, accountSid: string | undefined) {
    const now = this.now();
    return {
      accountSid: accountSid ?? DEFAULT_ACCOUNT_SID,
      revision: this.nextRevision(),
      expiresAt: ttl === undefined ? null : expiryFrom(ttl, now),
      dateCreated: now,
      dateUpdated: now,
      createdBy: CREATED_BY,
    };
  }

  private touch(o: { revision: string; dateUpdated: number; expiresAt: number | null }, ttl?: number): void {
    const now = this.now();
    o.revision = this.nextRevision();
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
