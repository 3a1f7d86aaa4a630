import DataLoader from 'dataloader';
import type { RequestOptions } from '../lib/rest';
import { LEIKA_MAX_BATCH, type Finanzamt, type LeikaClient, type Leistung, type Route } from './rest-client';

/**
 * Per-request loaders.
 *
 * - services: one `schluessel=` batch request per tick (at most 100 keys);
 * - tax offices: one `ags=` batch request per tick (at most 100 keys);
 * - routes: the FIT-Connect contract has no batch form, so each distinct (leikaKey, ags)
 *   pair costs one `/routes` call, all in parallel (the transport caps concurrency) and
 *   de-duplicated within the request.
 */
export interface LeistungenLoaders {
  leistung: DataLoader<string, Leistung | null>;
  finanzamt: DataLoader<string, Finanzamt | null>;
  route: DataLoader<{ leikaKey: string; ags: string }, Route | null, string>;
}

export function createLoaders(client: LeikaClient, req: RequestOptions): LeistungenLoaders {
  return {
    leistung: new DataLoader((keys) => client.leistungenByKey(keys, req), { maxBatchSize: LEIKA_MAX_BATCH }),
    finanzamt: new DataLoader((keys) => client.finanzaemterByAgs(keys, req), { maxBatchSize: LEIKA_MAX_BATCH }),
    route: new DataLoader(
      (pairs) =>
        Promise.all(
          pairs.map((p) => client.route(p.leikaKey, p.ags, req).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))),
        ),
      { cacheKeyFn: (p) => `${p.leikaKey}|${p.ags}` },
    ),
  };
}
