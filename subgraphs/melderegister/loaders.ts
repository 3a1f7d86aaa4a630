import DataLoader from 'dataloader';
import type { RequestOptions } from '../lib/rest';
import type { PersonRecord, RegistryClient, ResidentPage, ResidentQuery } from './rest-client';

/**
 * Per-request loaders. Every key is routed to the registry that holds it: person ids by
 * their prefix (`HB-…` → HB registry, `NW-…` → NRW registry), municipalities by their AGS
 * (04… → HB, 05… → NRW). Keys no registry holds resolve to null without an upstream call.
 *
 * - persons: the HB registry gets one `ids=` batch call per tick (≤ 50 ids per call); the
 *   NRW registry has no batch form, so one call per distinct id, in parallel (the
 *   transport caps concurrency);
 * - main-residence counts: HB one call per distinct municipality, NRW one `ags=` batch
 *   call per tick (≤ 20 AGS per call);
 * - resident lists: one call per distinct (AGS, filter, page) within a request.
 *
 * A failing registry fails only the keys routed to it.
 */
export interface Registries {
  HB: RegistryClient;
  NW: RegistryClient;
}

export function registryForAgs(registries: Registries, ags: string): RegistryClient | null {
  if (ags.startsWith('04')) return registries.HB;
  if (ags.startsWith('05')) return registries.NW;
  return null;
}

export function registryForId(registries: Registries, id: string): RegistryClient | null {
  const client = id.startsWith('HB-') ? registries.HB : id.startsWith('NW-') ? registries.NW : null;
  // The AGS in the id must belong to the registry its prefix names.
  return client && registryForAgs(registries, id.slice(3, 11)) === client ? client : null;
}

export interface ResidentsKey extends ResidentQuery {
  ags: string;
}

export interface MelderegisterLoaders {
  person: DataLoader<string, PersonRecord | null>;
  mainResidenceCount: DataLoader<string, number | null>;
  residents: DataLoader<ResidentsKey, ResidentPage | null, string>;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

function chunks<T>(list: readonly T[], size: number): T[][] {
  const step = Number.isFinite(size) ? size : Math.max(list.length, 1);
  const result: T[][] = [];
  for (let i = 0; i < list.length; i += step) result.push(list.slice(i, i + step));
  return result;
}

/** Groups keys by the registry `route` picks; keys without one are answered null. */
async function routed<K, V>(
  keys: readonly K[],
  route: (key: K) => RegistryClient | null,
  fetch: (client: RegistryClient, keys: K[]) => Promise<(V | null | Error)[]>,
  batchSize: (client: RegistryClient) => number,
): Promise<(V | null | Error)[]> {
  const results = new Map<K, V | null | Error>();
  const groups = new Map<RegistryClient, K[]>();
  for (const key of keys) {
    const client = route(key);
    if (!client) results.set(key, null);
    else groups.set(client, [...(groups.get(client) ?? []), key]);
  }
  await Promise.all(
    [...groups].flatMap(([client, group]) =>
      chunks(group, batchSize(client)).map(async (chunk) => {
        try {
          const values = await fetch(client, chunk);
          chunk.forEach((key, i) => results.set(key, values[i] ?? null));
        } catch (error) {
          for (const key of chunk) results.set(key, asError(error));
        }
      }),
    ),
  );
  return keys.map((key) => results.get(key) ?? null);
}

export function createLoaders(registries: Registries, req: RequestOptions): MelderegisterLoaders {
  return {
    person: new DataLoader((ids) =>
      routed(
        ids,
        (id) => registryForId(registries, id),
        (client, chunk) => client.personsByIds(chunk, req),
        (client) => client.maxBatch,
      ),
    ),
    mainResidenceCount: new DataLoader((agsList) =>
      routed(
        agsList,
        (ags) => registryForAgs(registries, ags),
        (client, chunk) => client.mainResidenceCounts(chunk, req),
        () => Number.POSITIVE_INFINITY,
      ),
    ),
    residents: new DataLoader(
      (keys) =>
        Promise.all(
          keys.map(async ({ ags, ...query }) => {
            const client = registryForAgs(registries, ags);
            if (!client) return null;
            return client.residents(ags, query, req).catch(asError);
          }),
        ),
      { cacheKeyFn: (key) => JSON.stringify([key.ags, key.familyName, key.limit, key.after]) },
    ),
  };
}
