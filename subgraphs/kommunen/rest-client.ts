import { z } from 'zod';
import { createRestTransport, type RequestOptions, type RestTransportOptions } from '../lib/rest';

/**
 * Typed client for the municipality register contract (stand-ins/register/openapi.yaml).
 * HTTP status → error code mapping lives in ../lib/rest.ts.
 */
export const gemeindeSchema = z.object({
  ags: z.string(),
  ars: z.string(),
  name: z.string(),
  gemeindeTyp: z.string(),
  landSchluessel: z.string(),
  landKuerzel: z.string(),
  regierungsbezirkSchluessel: z.string().nullable(),
  kreisSchluessel: z.string(),
  flaecheKm2: z.number(),
  bevoelkerung: z.number(),
  bevoelkerungProKm2: z.number(),
  plz: z.string().nullable(),
  breitengrad: z.number().nullable(),
  laengengrad: z.number().nullable(),
  verstaedterung: z.string().nullable(),
});
export type Gemeinde = z.infer<typeof gemeindeSchema>;

export const kreisSchema = z.object({
  kreisSchluessel: z.string(),
  ars: z.string(),
  name: z.string(),
  kreisTyp: z.string(),
  sitz: z.string().nullable(),
  landSchluessel: z.string(),
  anzahlGemeinden: z.number(),
  bevoelkerung: z.number(),
  flaecheKm2: z.number(),
});
export type Kreis = z.infer<typeof kreisSchema>;

export const landSchema = z.object({
  landSchluessel: z.string(),
  name: z.string(),
  kuerzel: z.string(),
  sitz: z.string().nullable(),
  bevoelkerung: z.number(),
  anzahlGemeinden: z.number(),
});
export type Land = z.infer<typeof landSchema>;

export const regierungsbezirkSchema = z.object({ regierungsbezirkSchluessel: z.string(), name: z.string() });
export type Regierungsbezirk = z.infer<typeof regierungsbezirkSchema>;

const page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ total: z.number(), offset: z.number(), limit: z.number(), items: z.array(item) });

/** The register answers at most this many keys per batch request. */
export const REGISTER_MAX_BATCH = 100;

export interface GemeindeFilter {
  land?: string | null;
  kreis?: string | null;
  name?: string | null;
  offset: number;
  limit: number;
}

export type RegisterClient = ReturnType<typeof createRegisterClient>;

export function createRegisterClient(options: Omit<RestTransportOptions, 'upstream'>) {
  const http = createRestTransport({ ...options, upstream: 'register' });
  return {
    /** Batch look-up; the result is in the order of `ags`, with null for unknown keys. */
    async gemeindenByAgs(ags: readonly string[], req?: RequestOptions): Promise<(Gemeinde | null)[]> {
      const body = await http.getJson('/v1/gemeinden', page(gemeindeSchema), {
        ...req,
        query: { ags: ags.join(',') },
      });
      const byAgs = new Map((body?.items ?? []).map((g) => [g.ags, g]));
      return ags.map((key) => byAgs.get(key) ?? null);
    },
    async searchGemeinden(filter: GemeindeFilter, req?: RequestOptions) {
      const body = await http.getJson('/v1/gemeinden', page(gemeindeSchema), {
        ...req,
        query: { land: filter.land, kreis: filter.kreis, name: filter.name, offset: filter.offset, limit: filter.limit },
      });
      return body ?? { total: 0, offset: filter.offset, limit: filter.limit, items: [] };
    },
    async kreiseByKey(keys: readonly string[], req?: RequestOptions): Promise<(Kreis | null)[]> {
      const body = await http.getJson('/v1/kreise', page(kreisSchema), { ...req, query: { schluessel: keys.join(',') } });
      const byKey = new Map((body?.items ?? []).map((k) => [k.kreisSchluessel, k]));
      return keys.map((key) => byKey.get(key) ?? null);
    },
    async laender(req?: RequestOptions): Promise<Land[]> {
      return (await http.getJson('/v1/laender', page(landSchema), req))?.items ?? [];
    },
    async regierungsbezirke(req?: RequestOptions): Promise<Regierungsbezirk[]> {
      return (await http.getJson('/v1/regierungsbezirke', page(regierungsbezirkSchema), req))?.items ?? [];
    },
    close: () => http.close(),
  };
}
