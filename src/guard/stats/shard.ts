import type { DocumentStore } from '../store/document-store';
import { asCounts, emptyCounts, type RejectionCounts } from './counts';
import { countsDocumentName } from './recorder';

/** One shard document of the rejection counts; a shard that does not exist counts as empty. */
export async function readShard(store: DocumentStore, shard: number): Promise<RejectionCounts> {
  const doc = await store.get<unknown>(countsDocumentName(shard));
  return doc ? asCounts(doc.data) : emptyCounts();
}
