import DataLoader from 'dataloader';
import type { RequestOptions } from '../lib/rest';
import { GEWERBE_MAX_BATCH, type Betrieb, type BetriebFilter, type GewerbeClient } from './rest-client';

/**
 * Per-request loaders:
 * - businesses by id: one `gewerbebetriebID=` batch call per tick (≤ 100 ids per call);
 * - lists: one call per distinct (AGS, filter, page) within a request, in parallel (the
 *   transport caps concurrency); their results prime the by-id loader.
 */
export interface GewerbeLoaders {
  betrieb: DataLoader<string, Betrieb | null>;
  betriebe: DataLoader<BetriebFilter, Awaited<ReturnType<GewerbeClient['betriebe']>>, string>;
}

export function createLoaders(client: GewerbeClient, req: RequestOptions): GewerbeLoaders {
  return {
    betrieb: new DataLoader((ids) => client.betriebeById(ids, req), { maxBatchSize: GEWERBE_MAX_BATCH }),
    betriebe: new DataLoader(
      (filters) =>
        Promise.all(filters.map((f) => client.betriebe(f, req).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))))),
      { cacheKeyFn: (f) => JSON.stringify([f.ags, f.status, f.taetigkeit, f.offset, f.limit]) },
    ),
  };
}
