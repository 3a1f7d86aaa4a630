import { z } from 'zod';
import { createRestTransport, type RequestOptions, type RestTransportOptions } from '../lib/rest';

/**
 * Typed client for the leika stand-in's contract (stand-ins/leika/openapi.yaml): the LeiKa
 * catalogue, FIT-Connect-style routing and the tax-office look-up. HTTP status → error code
 * mapping lives in ../lib/rest.ts.
 */
export const leistungSchema = z.object({
  leikaSchluessel: z.string(),
  name: z.string(),
  leikaTyp: z.string().nullable(),
  ozgId: z.string().nullable(),
  ozgLeistung: z.string().nullable(),
  rechtsgrundlage: z.string().nullable(),
  lebenslage: z.string().nullable(),
  themenfeld: z.string().nullable(),
  sdgAnhang1: z.boolean(),
  sdgAnhang2: z.boolean(),
});
export type Leistung = z.infer<typeof leistungSchema>;

/** One route of the FIT-Connect `route-result` (only the fields this subgraph reads). */
export const routeSchema = z.object({
  destinationId: z.string(),
  destinationSignature: z.string(),
  destinationName: z.string().optional(),
  destinationShortName: z.string().optional(),
  destinationLogo: z.string().optional(),
});
export type Route = z.infer<typeof routeSchema>;

export const routeResultSchema = z.object({
  count: z.number(),
  offset: z.number(),
  totalCount: z.number(),
  routes: z.array(routeSchema),
});

export const finanzamtSchema = z.object({
  ags: z.string(),
  bufaNr: z.string(),
  name: z.string(),
  land: z.string(),
  landName: z.string(),
});
export type Finanzamt = z.infer<typeof finanzamtSchema>;

const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ total: z.number(), offset: z.number(), limit: z.number(), items: z.array(item) });

/** The stand-in answers at most this many keys per batch request. */
export const LEIKA_MAX_BATCH = 100;

export type LeikaClient = ReturnType<typeof createLeikaClient>;

export function createLeikaClient(options: Omit<RestTransportOptions, 'upstream'>) {
  const http = createRestTransport({ ...options, upstream: 'leika' });
  return {
    /** Batch look-up; the result is in the order of `keys`, with null for unknown keys. */
    async leistungenByKey(keys: readonly string[], req?: RequestOptions): Promise<(Leistung | null)[]> {
      const body = await http.getJson('/v1/leistungen', page(leistungSchema), {
        ...req,
        query: { schluessel: keys.join(',') },
      });
      const byKey = new Map((body?.items ?? []).map((l) => [l.leikaSchluessel, l]));
      return keys.map((key) => byKey.get(key) ?? null);
    },
    async searchLeistungen(filter: { suche: string | null; offset: number; limit: number }, req?: RequestOptions) {
      const body = await http.getJson('/v1/leistungen', page(leistungSchema), {
        ...req,
        query: { suche: filter.suche, offset: filter.offset, limit: filter.limit },
      });
      return body ?? { total: 0, offset: filter.offset, limit: filter.limit, items: [] };
    },
    /** Routing for one service in one municipality (the contract has no batch form). */
    async route(leikaKey: string, ags: string, req?: RequestOptions): Promise<Route | null> {
      const body = await http.getJson('/routes', routeResultSchema, { ...req, query: { leikaKey, ags } });
      return body?.routes[0] ?? null;
    },
    /** Batch look-up of the responsible tax office per AGS, in the order of `ags`. */
    async finanzaemterByAgs(ags: readonly string[], req?: RequestOptions): Promise<(Finanzamt | null)[]> {
      const body = await http.getJson('/v1/finanzaemter', page(finanzamtSchema), { ...req, query: { ags: ags.join(',') } });
      const byAgs = new Map((body?.items ?? []).map((f) => [f.ags, f]));
      return ags.map((key) => byAgs.get(key) ?? null);
    },
    close: () => http.close(),
  };
}
