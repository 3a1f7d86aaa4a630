import { z } from 'zod';
import { createRestTransport, type RequestOptions, type RestTransport, type RestTransportOptions } from '../lib/rest';

/**
 * Typed client for the abfallnavi REST API (stand-ins/abfallnavi/openapi.yaml). Every
 * municipality (or association) has its own service; this client keeps one transport per
 * service. HTTP status → error code mapping lives in ../lib/rest.ts; a 404 (unknown service,
 * Ort, street or house number) comes back as `null`.
 */
export const ortSchema = z.object({ id: z.number().int(), name: z.string() });
export type Ort = z.infer<typeof ortSchema>;

export const hausnummerSchema = z.object({ id: z.number().int(), nr: z.string(), plz: z.string().nullish() });
export type Hausnummer = z.infer<typeof hausnummerSchema>;

export const strasseSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  hausNrList: z.array(hausnummerSchema).nullish(),
  ortsteilName: z.string().nullish(),
  ort: ortSchema.nullish(),
});
export type Strasse = z.infer<typeof strasseSchema>;

export const fraktionSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  iconNr: z.number().int().nullish(),
  farbeRgb: z.string().nullish(),
});
export type Fraktion = z.infer<typeof fraktionSchema>;

export const abholungSchema = z.object({
  id: z.number().int(),
  datum: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  bezirk: z.object({ id: z.number().int(), name: z.string().nullish(), fraktionId: z.number().int() }),
});
export type Abholung = z.infer<typeof abholungSchema>;

export interface AbfallnaviClientOptions {
  subgraph: string;
  /**
   * Either the root under which services live as `/abfall-app-{service}/rest` (the stand-in,
   * e.g. http://127.0.0.1:4103) or a template containing `{service}`, e.g.
   * `https://{service}-abfallapp.regioit.de/abfall-app-{service}/rest` (the real system).
   */
  baseUrl: string;
  timeoutMs?: number;
  cache?: RestTransportOptions['cache'];
  cachePolicy?: RestTransportOptions['cachePolicy'];
  /** Upstream resilience (retries, breaker); every per-service transport registers its own breaker. */
  resilience?: RestTransportOptions['resilience'];
}

export function serviceBaseUrl(baseUrl: string, service: string): string {
  if (baseUrl.includes('{service}')) return baseUrl.replace(/\{service\}/g, encodeURIComponent(service));
  return `${baseUrl.replace(/\/$/, '')}/abfall-app-${encodeURIComponent(service)}/rest`;
}

/** `?fraktion=0&fraktion=3` — the contract repeats the parameter for each fraction. */
const fraktionQuery = (ids: readonly number[]) => ids.map((id) => `fraktion=${id}`).join('&');

export type AbfallnaviClient = ReturnType<typeof createAbfallnaviClient>;

export function createAbfallnaviClient(options: AbfallnaviClientOptions) {
  const transports = new Map<string, RestTransport>();
  const http = (service: string): RestTransport => {
    let transport = transports.get(service);
    if (!transport) {
      transport = createRestTransport({
        subgraph: options.subgraph,
        upstream: 'abfallnavi',
        baseUrl: serviceBaseUrl(options.baseUrl, service),
        timeoutMs: options.timeoutMs,
        cache: options.cache,
        cachePolicy: options.cachePolicy,
        resilience: options.resilience,
      });
      transports.set(service, transport);
    }
    return transport;
  };

  return {
    /** The Orte of a service; null when there is no such service. */
    orte: (service: string, req?: RequestOptions) => http(service).getJson('/orte', z.array(ortSchema), req),
    /** The streets of an Ort (only the first carries hausNrList, as the contract says). */
    strassen: (service: string, ortId: number, req?: RequestOptions) =>
      http(service).getJson(`/orte/${ortId}/strassen`, z.array(strasseSchema), req),
    /** One street with its house numbers. */
    strasse: (service: string, strassenId: number, req?: RequestOptions) =>
      http(service).getJson(`/strassen/${strassenId}`, strasseSchema, req),
    fraktionen: (service: string, req?: RequestOptions) =>
      http(service).getJson('/fraktionen', z.array(fraktionSchema), req),
    /** Collections of a street (`strassen`) or a house number (`hausnummern`) for the given fractions. */
    termine: (service: string, target: 'strassen' | 'hausnummern', id: number, fraktionIds: readonly number[], req?: RequestOptions) =>
      http(service).getJson(`/${target}/${id}/termine?${fraktionQuery(fraktionIds)}`, z.array(abholungSchema), req),
    async close() {
      await Promise.all([...transports.values()].map((t) => t.close()));
      transports.clear();
    },
  };
}
