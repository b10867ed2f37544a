import type { Twilio } from 'twilio';
import { codeOf, statusOf, storeFailure } from './failure';

/** One item of a log Map: its key and its data, unread. */
export interface LogItem {
  key: string;
  data: unknown;
}

/** A page of a log Map's items, newest key first, and the way to the next one. */
export interface LogPage {
  items: LogItem[];
  next?: () => Promise<LogPage>;
}

/**
 * The narrow slice of Twilio Sync the rejection log needs: append-only Maps whose item keys start
 * with the time, read newest first. Sync lists Map items in lexicographic key order, ascending or
 * descending (`Order`), and refuses to create a key that exists (409 / 54208), so an append retried
 * under the same key can never be written twice.
 */
export interface LogStore {
  /** `exists`: the key was written before (by an earlier attempt); `no-map`: the Map does not exist. */
  append(map: string, key: string, data: object, ttlSeconds: number): Promise<'created' | 'exists' | 'no-map'>;
  /** Creates the Map, with no TTL (its items expire on their own); `exists` when it is there already. */
  createMap(map: string): Promise<'created' | 'exists'>;
  /** The Map's items, newest key first, `pageSize` a page; undefined when the Map does not exist. */
  newest(map: string, pageSize: number): Promise<LogPage | undefined>;
}

/** A Twilio page as twilio-node returns it. */
interface TwilioPage {
  instances: Array<{ key: string; data: unknown }>;
  nextPageUrl?: string;
  nextPage(): Promise<TwilioPage | undefined>;
}

/** Twilio Sync Maps as a {@link LogStore}, addressed by unique name. */
export class SyncLogStore implements LogStore {
  constructor(
    private readonly client: Twilio,
    private readonly serviceSid: string,
  ) {}

  private get service() {
    return this.client.sync.v1.services(this.serviceSid);
  }

  async append(map: string, key: string, data: object, ttlSeconds: number): Promise<'created' | 'exists' | 'no-map'> {
    try {
      await this.service.syncMaps(map).syncMapItems.create({ key, data, itemTtl: ttlSeconds });
      return 'created';
    } catch (error) {
      if (statusOf(error) === 409 || codeOf(error) === 54208) return 'exists';
      if (statusOf(error) === 404) return 'no-map';
      throw storeFailure(error, 'item create', map);
    }
  }

  async createMap(map: string): Promise<'created' | 'exists'> {
    try {
      await this.service.syncMaps.create({ uniqueName: map });
      return 'created';
    } catch (error) {
      if (statusOf(error) === 409 || codeOf(error) === 54301) return 'exists';
      throw storeFailure(error, 'create', map);
    }
  }

  async newest(map: string, pageSize: number): Promise<LogPage | undefined> {
    try {
      return this.pageOf(map, (await this.service.syncMaps(map).syncMapItems.page({ order: 'desc', pageSize })) as unknown as TwilioPage);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw storeFailure(error, 'list', map);
    }
  }

  private pageOf(map: string, page: TwilioPage): LogPage {
    const items = page.instances.map(({ key, data }) => ({ key, data }));
    if (!page.nextPageUrl) return { items };
    const next = async (): Promise<LogPage> => {
      try {
        const following = await page.nextPage();
        return following ? this.pageOf(map, following) : { items: [] };
      } catch (error) {
        throw storeFailure(error, 'list', map);
      }
    };
    return { items, next };
  }
}
