import type { Twilio } from 'twilio';
import type { DocumentStore, StoredDocument } from './document-store';
import { SyncKeySetStore } from './key-set-store';
import { codeOf, statusOf as status, storeFailure as unavailable } from './failure';

/** Twilio Sync Documents as a {@link DocumentStore}, addressed by unique name. */
export class SyncDocumentStore implements DocumentStore {
  readonly keySets: SyncKeySetStore;

  constructor(
    private readonly client: Twilio,
    private readonly serviceSid: string,
  ) {
    this.keySets = new SyncKeySetStore(client, serviceSid);
  }

  private get documents() {
    return this.client.sync.v1.services(this.serviceSid).documents;
  }

  async get<T>(name: string): Promise<StoredDocument<T> | undefined> {
    try {
      const doc = await this.documents(name).fetch();
      return { data: doc.data as T, revision: doc.revision };
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw unavailable(error, 'read', name);
    }
  }

  async create<T>(name: string, data: T, ttlSeconds?: number): Promise<StoredDocument<T> | 'exists'> {
    try {
      const doc = await this.documents.create({ uniqueName: name, data, ...(ttlSeconds !== undefined && { ttl: ttlSeconds }) });
      return { data: doc.data as T, revision: doc.revision };
    } catch (error) {
      if (status(error) === 409 || codeOf(error) === 54301) return 'exists';
      throw unavailable(error, 'create', name);
    }
  }

  async replace<T>(name: string, data: T, revision: string, ttlSeconds?: number): Promise<StoredDocument<T> | 'conflict' | 'missing'> {
    try {
      const doc = await this.documents(name).update({ data, ifMatch: revision, ...(ttlSeconds !== undefined && { ttl: ttlSeconds }) });
      return { data: doc.data as T, revision: doc.revision };
    } catch (error) {
      if (status(error) === 412 || codeOf(error) === 54103) return 'conflict';
      if (status(error) === 404) return 'missing';
      throw unavailable(error, 'update', name);
    }
  }
}
