import type { DocumentStore, StoredDocument } from './document-store';

export interface UpdateOptions<T> {
  /** Conditional writes to try before giving up as contended. */
  attempts: number;
  ttlSeconds?: number;
  /** What the caller already read, saving the first read. */
  current?: StoredDocument<T>;
  /** Pause before attempt n (n ≥ 1), after a lost race. */
  backoff?: (attempt: number) => Promise<void>;
}

export type UpdateResult<T> = { outcome: 'written'; doc: StoredDocument<T> } | { outcome: 'unchanged' | 'contended' };

/**
 * Read-modify-write of one document with If-Match: `change` gets what is stored (undefined when
 * nothing is) and returns the new data, or undefined when there is nothing to write. The write names
 * the revision read, so a concurrent writer makes it fail; the document is then read again and
 * `change` applied anew, up to `attempts` times. Sync trouble (StoreUnavailableError) is the caller's.
 */
export async function updateDocument<T>(store: DocumentStore, name: string, change: (data: T | undefined) => T | undefined, options: UpdateOptions<T>): Promise<UpdateResult<T>> {
  let current = options.current;
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    if (attempt > 0) await options.backoff?.(attempt);
    if (attempt > 0 || current === undefined) current = await store.get<T>(name);
    const next = change(current?.data);
    if (next === undefined) return { outcome: 'unchanged' };
    const written = current ? await store.replace(name, next, current.revision, options.ttlSeconds) : await store.create(name, next, options.ttlSeconds);
    if (typeof written === 'object') return { outcome: 'written', doc: written };
  }
  return { outcome: 'contended' };
}
