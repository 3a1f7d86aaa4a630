import DataLoader from 'dataloader';
import type { RequestOptions } from '../lib/rest';
import type { DashboardEntry, NinaClient, WarningDetail } from './rest-client';

/**
 * Per-request loaders. NINA has no batch endpoint, so each loader de-duplicates its keys and
 * makes one call per distinct key in parallel (the transport caps concurrency):
 * - `dashboard`: one call per district ARS; all municipalities of a district share it;
 * - `detail`: one call per warning id, only when description/instruction are selected.
 */
export interface WarnungenLoaders {
  dashboard: DataLoader<string, DashboardEntry[] | null>;
  detail: DataLoader<string, WarningDetail | null>;
}

/** Runs one call per key; a failing key fails only its own load. */
function perKey<V>(fetch: (key: string) => Promise<V>) {
  return (keys: readonly string[]): Promise<(V | Error)[]> =>
    Promise.all(keys.map((key) => fetch(key).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
}

export function createLoaders(client: NinaClient, req: RequestOptions): WarnungenLoaders {
  return {
    dashboard: new DataLoader(perKey((ars) => client.dashboard(ars, req))),
    detail: new DataLoader(perKey((id) => client.warning(id, req))),
  };
}
