import { z } from 'zod';
import { createRestTransport, type RequestOptions, type RestTransportOptions } from '../lib/rest';

/**
 * Typed client for the trade register's contract (stand-ins/gewerbe/openapi.yaml; records
 * after XGewerbeanzeige). HTTP status → error code mapping lives in ../lib/rest.ts.
 *
 * The records name their owner by resident-registry id, which links a person to a business:
 * this transport never uses the shared upstream cache (`cachePolicy: false`; the register
 * also answers `Cache-Control: private`).
 */
export const betriebSchema = z.object({
  gewerbebetriebID: z.string(),
  gemeindeSchluessel: z.string(),
  status: z.enum(['aktiv', 'abgemeldet']),
  gueltigAb: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  abmeldedatum: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  betrieb: z.object({ eingetragenerName: z.string(), rechtsformSchluessel: z.string().nullable(), rechtsform: z.string().nullable() }),
  betriebsstaette: z.object({ strasse: z.string(), hausNrVon: z.string().nullable(), plz: z.string(), ort: z.string() }).nullable(),
  taetigkeit: z.object({ taetigkeitSchwerpunkt: z.string(), taetigkeitSchluessel: z.string().nullable(), stichwort: z.string().nullable() }),
  beteiligtePerson: z.array(z.object({ personFunktion: z.string(), melderegisterId: z.string() })),
});
export type Betrieb = z.infer<typeof betriebSchema>;

const pageSchema = z.object({
  anzahlGesamt: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  betriebe: z.array(betriebSchema),
});

/** The register answers at most this many ids per batch request. */
export const GEWERBE_MAX_BATCH = 100;

export type GewerbeClient = ReturnType<typeof createGewerbeClient>;

export interface BetriebFilter {
  ags: string;
  status: 'aktiv' | 'abgemeldet' | null;
  taetigkeit: string | null;
  offset: number;
  limit: number;
}

export function createGewerbeClient(options: Omit<RestTransportOptions, 'upstream' | 'cache' | 'cachePolicy'>) {
  const http = createRestTransport({ ...options, upstream: 'gewerbe', cachePolicy: false });
  return {
    /** Batch look-up; the result is in the order of `ids`, with null for unknown ids. */
    async betriebeById(ids: readonly string[], req?: RequestOptions): Promise<(Betrieb | null)[]> {
      const body = await http.getJson('/gewerberegister/v1/betriebe', pageSchema, { ...req, query: { gewerbebetriebID: ids.join(',') } });
      const byId = new Map((body?.betriebe ?? []).map((b) => [b.gewerbebetriebID, b]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    /** A page of a municipality's businesses; null when no register serves the municipality. */
    async betriebe(filter: BetriebFilter, req?: RequestOptions) {
      return http.getJson('/gewerberegister/v1/betriebe', pageSchema, {
        ...req,
        query: {
          gemeindeSchluessel: filter.ags,
          status: filter.status,
          taetigkeit: filter.taetigkeit,
          offset: filter.offset,
          limit: filter.limit,
        },
      });
    },
    close: () => http.close(),
  };
}
