import type { DocumentStore, StoredDocument } from './document-store';
import { MemoryKeySetStore } from './key-set-store';

/** An in-process {@link DocumentStore} with the same revision semantics as Sync; TTL is ignored. */
export class MemoryDocumentStore implements DocumentStore {
  private readonly documents = new Map<string, StoredDocument<unknown>>();
  private revisions = 0;
  readonly keySets = new MemoryKeySetStore();

  async get<T>(name: string): Promise<StoredDocument<T> | undefined> {
    return this.documents.get(name) as StoredDocument<T> | undefined;
  }

  async create<T>(name: string, data: T): Promise<StoredDocument<T> | 'exists'> {
    if (this.documents.has(name)) return 'exists';
    return this.write(name, data);
  }

  async replace<T>(name: string, data: T, revision: string): Promise<StoredDocument<T> | 'conflict' | 'missing'> {
    const current = this.documents.get(name);
    if (!current) return 'missing';
    if (current.revision !== revision) return 'conflict';
    return this.write(name, data);
  }

  private write<T>(name: string, data: T): StoredDocument<T> {
    const doc = { data: structuredClone(data), revision: String(++this.revisions) };
    this.documents.set(name, doc);
    return doc;
  }
}
