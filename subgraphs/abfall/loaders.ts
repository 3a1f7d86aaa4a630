import DataLoader from 'dataloader';
import type { RequestOptions } from '../lib/rest';
import type { Abholung, AbfallnaviClient, Fraktion, Ort, Strasse } from './rest-client';

/**
 * Per-request loaders. abfallnavi has no batch endpoints, so each loader de-duplicates its
 * keys within a request and runs the remaining calls in parallel (the transport caps
 * concurrency per service). A street is found in its Ort's street list, loaded once per
 * (service, Ort); collections are loaded once per (service, street or house number, fractions).
 */
export interface TermineKey {
  service: string;
  target: 'strassen' | 'hausnummern';
  id: number;
  fraktionIds: readonly number[];
}

export interface AbfallLoaders {
  orte: DataLoader<string, Ort[] | null>;
  fraktionen: DataLoader<string, Fraktion[] | null>;
  strassen: DataLoader<{ service: string; ortId: number }, Strasse[] | null, string>;
  strasse: DataLoader<{ service: string; strassenId: number }, Strasse | null, string>;
  termine: DataLoader<TermineKey, Abholung[] | null, string>;
}

/** Runs one call per key in parallel; a failed call fails only its own key. */
function each<K, V>(load: (key: K) => Promise<V>) {
  return async (keys: readonly K[]): Promise<(V | Error)[]> => {
    const settled = await Promise.allSettled(keys.map(load));
    return settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof Error ? s.reason : new Error(String(s.reason))));
  };
}

export function createLoaders(client: AbfallnaviClient, req: RequestOptions): AbfallLoaders {
  return {
    orte: new DataLoader(each((service: string) => client.orte(service, req))),
    fraktionen: new DataLoader(each((service: string) => client.fraktionen(service, req))),
    strassen: new DataLoader(each((k: { service: string; ortId: number }) => client.strassen(k.service, k.ortId, req)), {
      cacheKeyFn: (k) => `${k.service}|${k.ortId}`,
    }),
    strasse: new DataLoader(
      each((k: { service: string; strassenId: number }) => client.strasse(k.service, k.strassenId, req)),
      { cacheKeyFn: (k) => `${k.service}|${k.strassenId}` },
    ),
    termine: new DataLoader(each((k: TermineKey) => client.termine(k.service, k.target, k.id, k.fraktionIds, req)), {
      cacheKeyFn: (k) => `${k.service}|${k.target}|${k.id}|${[...k.fraktionIds].sort((a, b) => a - b).join(',')}`,
    }),
  };
}
