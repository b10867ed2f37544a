import type { LogItem, LogPage, LogStore } from './log-store';

/** An in-process {@link LogStore} with Sync's semantics (keys unique, listed in key order); TTL is ignored. */
export class MemoryLogStore implements LogStore {
  readonly maps = new Map<string, Map<string, unknown>>();

  async append(map: string, key: string, data: object, _ttlSeconds?: number): Promise<'created' | 'exists' | 'no-map'> {
    const items = this.maps.get(map);
    if (!items) return 'no-map';
    if (items.has(key)) return 'exists';
    items.set(key, structuredClone(data));
    return 'created';
  }

  async createMap(map: string): Promise<'created' | 'exists'> {
    if (this.maps.has(map)) return 'exists';
    this.maps.set(map, new Map());
    return 'created';
  }

  async newest(map: string, pageSize: number): Promise<LogPage | undefined> {
    const items = this.maps.get(map);
    if (!items) return undefined;
    const all: LogItem[] = [...items].map(([key, data]) => ({ key, data })).sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    const page = (from: number): LogPage => ({
      items: all.slice(from, from + pageSize),
      ...(from + pageSize < all.length && { next: async () => page(from + pageSize) }),
    });
    return page(0);
  }
}
