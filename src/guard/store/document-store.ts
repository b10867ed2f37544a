import type { KeySetStore } from './key-set-store';

/** A JSON document and the revision a conditional write must name. */
export interface StoredDocument<T> {
  data: T;
  revision: string;
}

/**
 * The narrow slice of Twilio Sync the guard needs: named JSON documents with optimistic
 * concurrency. Every write names the revision it read; a concurrent writer makes it fail with
 * `conflict` rather than lose an update.
 */
export interface DocumentStore {
  get<T>(name: string): Promise<StoredDocument<T> | undefined>;
  /** `exists` when another writer created the name first. */
  create<T>(name: string, data: T, ttlSeconds?: number): Promise<StoredDocument<T> | 'exists'>;
  /** Writes only if the document is still at `revision`. */
  replace<T>(name: string, data: T, revision: string, ttlSeconds?: number): Promise<StoredDocument<T> | 'conflict' | 'missing'>;
  /** Sets of keys kept beside the documents (Sync Maps of the same service), when the store has them. */
  readonly keySets?: KeySetStore;
}

/** The store answered, but not with data: throttled (429), failing (5xx) or unreachable. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: number,
  ) {
    super(message);
  }

  get throttled(): boolean {
    return this.status === 429;
  }
}
