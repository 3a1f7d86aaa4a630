import DataLoader from 'dataloader';
import type { RequestOptions } from '../lib/rest';
import { REGISTER_MAX_BATCH, type Gemeinde, type Kreis, type Land, type RegisterClient, type Regierungsbezirk } from './rest-client';

/**
 * Per-request loaders. One batch request per tick for municipalities and districts (the
 * register's `ags=`/`schluessel=` lists, at most 100 keys each); the small state and region
 * lists are fetched once per request.
 */
export interface KommunenLoaders {
  gemeinde: DataLoader<string, Gemeinde | null>;
  kreis: DataLoader<string, Kreis | null>;
  land: DataLoader<string, Land | null>;
  regierungsbezirk: DataLoader<string, Regierungsbezirk | null>;
}

export function createLoaders(client: RegisterClient, req: RequestOptions): KommunenLoaders {
  let laender: Promise<Map<string, Land>> | null = null;
  let regierungsbezirke: Promise<Map<string, Regierungsbezirk>> | null = null;
  const allLaender = () =>
    (laender ??= client.laender(req).then((list) => new Map(list.map((l) => [l.landSchluessel, l]))));
  const allRegierungsbezirke = () =>
    (regierungsbezirke ??= client
      .regierungsbezirke(req)
      .then((list) => new Map(list.map((r) => [r.regierungsbezirkSchluessel, r]))));

  return {
    gemeinde: new DataLoader((keys) => client.gemeindenByAgs(keys, req), { maxBatchSize: REGISTER_MAX_BATCH }),
    kreis: new DataLoader((keys) => client.kreiseByKey(keys, req), { maxBatchSize: REGISTER_MAX_BATCH }),
    land: new DataLoader(async (keys) => {
      const map = await allLaender();
      return keys.map((k) => map.get(k) ?? null);
    }),
    regierungsbezirk: new DataLoader(async (keys) => {
      const map = await allRegierungsbezirke();
      return keys.map((k) => map.get(k) ?? null);
    }),
  };
}
