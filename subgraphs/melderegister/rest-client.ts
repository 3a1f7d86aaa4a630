import { z } from 'zod';
import { createRestTransport, type RequestOptions, type RestTransportOptions } from '../lib/rest';

/**
 * Typed clients for the two resident-registry (Melderegister) vendor flavours. Each maps its
 * vendor's contract onto ONE neutral model (`PersonRecord`, `ResidentPage`), so the
 * resolvers do not know which vendor answered:
 *
 * | | HB (stand-ins/melderegister-hb/openapi.yaml) | NRW (stand-ins/melderegister-nrw/openapi.yaml) |
 * |---|---|---|
 * | person | `GET /api/v2/einwohner/{id}` | `GET /meldewesen/personen/{id}` |
 * | batch of persons | `GET /api/v2/einwohner?ids=a,b` (≤ 50) | none: one call per id |
 * | list | `?gemeinde=&familienname=&offset=&limit=`, total `gesamt` | `?ags=&nachname=&cursor=&pageSize=`, `next`, no total |
 * | statistics | `GET /api/v2/gemeinden/{ags}/statistik` (one AGS) | `GET /meldewesen/statistik?ags=a,b` (≤ 20) |
 * | names | `familienname`, `vornamen` (one string) | `nachname`, `vorname` + `weitereVornamen` |
 * | birth date | ISO `geburtsdatum` | `geburtstag` DD.MM.YYYY |
 * | nationality | ISO 3166-1 alpha-2 | ISO 3166-1 alpha-3 |
 * | status | `meldestatus` HAUPTWOHNUNG/NEBENWOHNUNG/VERZOGEN/VERSTORBEN | `wohnungsstatus` HW/NW + `personenstatus` A/W/V |
 *
 * HTTP status → error code mapping lives in ../lib/rest.ts. Both upstreams serve personal
 * data, so their transports never use the shared upstream cache (`cachePolicy: false`).
 */
export type RegistrationStatus = 'MAIN_RESIDENCE' | 'SECONDARY_RESIDENCE' | 'MOVED_AWAY' | 'DECEASED';

/** A person as the resolvers see it, whichever registry answered. */
export interface PersonRecord {
  id: string;
  /** AGS of the municipality whose registry holds the person. */
  ags: string;
  familyName: string;
  givenNames: string;
  /** YYYY-MM-DD */
  birthDate: string;
  address: { street: string; houseNumber: string | null; postcode: string; city: string };
  /** ISO 3166-1 alpha-2; null when the registry sent a code this subgraph does not know. */
  nationality: string | null;
  registrationStatus: RegistrationStatus;
}

/** One page of a municipality's residents. `next` is the registry's own continuation token. */
export interface ResidentPage {
  persons: PersonRecord[];
  /** Number of matches over all pages; null when the registry does not report it. */
  totalCount: number | null;
  /** Token for the following page (an offset for HB, the upstream cursor for NRW); null at the end. */
  next: string | null;
}

export interface ResidentQuery {
  familyName: string | null;
  /** Page size 1…100. */
  limit: number;
  /** Token of `ResidentPage.next` of the previous page; null for the first page. */
  after: string | null;
}

/** The operations the subgraph needs from a registry, whatever its vendor. */
export interface RegistryClient {
  /** `HB` or `NW`: the id prefix of the persons this registry holds. */
  readonly registry: 'HB' | 'NW';
  /** Most ids one `personsByIds` call takes (the loader splits larger batches). */
  readonly maxBatch: number;
  /** True when `token` can be a `ResidentPage.next` of this registry (checked before it goes upstream). */
  isPageToken(token: string): boolean;
  /**
   * Persons by id, in the order of `ids`: null for unknown ids, an Error where the look-up of
   * that id failed (a vendor without batch look-up fails per id, not for the whole batch).
   */
  personsByIds(ids: readonly string[], req?: RequestOptions): Promise<(PersonRecord | null | Error)[]>;
  /** A page of residents; null when the registry does not serve the municipality. */
  residents(ags: string, query: ResidentQuery, req?: RequestOptions): Promise<ResidentPage | null>;
  /** Registered main residences per AGS, in the order of `ags`; null where not served. */
  mainResidenceCounts(ags: readonly string[], req?: RequestOptions): Promise<(number | null)[]>;
  close(): Promise<void>;
}

export type RegistryClientOptions = Omit<RestTransportOptions, 'upstream' | 'cache' | 'cachePolicy'>;

// ---------------------------------------------------------------------------------------
// HB flavour

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const einwohnerSchema = z.object({
  id: z.string(),
  gemeindeschluessel: z.string(),
  familienname: z.string(),
  vornamen: z.string(),
  geburtsdatum: isoDate,
  anschrift: z.object({ strasse: z.string(), hausnummer: z.string().nullable(), postleitzahl: z.string(), ort: z.string() }),
  staatsangehoerigkeit: z.string().length(2),
  meldestatus: z.enum(['HAUPTWOHNUNG', 'NEBENWOHNUNG', 'VERZOGEN', 'VERSTORBEN']),
});
type Einwohner = z.infer<typeof einwohnerSchema>;

const einwohnerPageSchema = z.object({
  gesamt: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  eintraege: z.array(einwohnerSchema),
});

const hbStatistikSchema = z.object({ gemeindeschluessel: z.string(), hauptwohnungen: z.number().int(), nebenwohnungen: z.number().int() });

const MELDESTATUS: Record<Einwohner['meldestatus'], RegistrationStatus> = {
  HAUPTWOHNUNG: 'MAIN_RESIDENCE',
  NEBENWOHNUNG: 'SECONDARY_RESIDENCE',
  VERZOGEN: 'MOVED_AWAY',
  VERSTORBEN: 'DECEASED',
};

function fromEinwohner(e: Einwohner): PersonRecord {
  return {
    id: e.id,
    ags: e.gemeindeschluessel,
    familyName: e.familienname,
    givenNames: e.vornamen,
    birthDate: e.geburtsdatum,
    address: { street: e.anschrift.strasse, houseNumber: e.anschrift.hausnummer || null, postcode: e.anschrift.postleitzahl, city: e.anschrift.ort },
    nationality: e.staatsangehoerigkeit.toUpperCase(),
    registrationStatus: MELDESTATUS[e.meldestatus],
  };
}

/** The HB stand-in answers at most this many ids per batch request. */
export const HB_MAX_BATCH = 50;

export function createHbClient(options: RegistryClientOptions): RegistryClient {
  const http = createRestTransport({ ...options, upstream: 'melderegister-hb', cachePolicy: false });
  return {
    registry: 'HB',
    maxBatch: HB_MAX_BATCH,
    isPageToken: (token) => /^\d{1,9}$/.test(token),
    async personsByIds(ids, req) {
      const body = await http.getJson('/api/v2/einwohner', einwohnerPageSchema, { ...req, query: { ids: ids.join(',') } });
      const byId = new Map((body?.eintraege ?? []).map((e) => [e.id, e]));
      return ids.map((id) => {
        const e = byId.get(id);
        return e ? fromEinwohner(e) : null;
      });
    },
    async residents(ags, query, req) {
      const offset = query.after === null ? 0 : Number(query.after);
      const body = await http.getJson('/api/v2/einwohner', einwohnerPageSchema, {
        ...req,
        query: { gemeinde: ags, familienname: query.familyName, offset, limit: query.limit },
      });
      if (!body) return null;
      const end = offset + body.eintraege.length;
      return { persons: body.eintraege.map(fromEinwohner), totalCount: body.gesamt, next: end < body.gesamt ? String(end) : null };
    },
    async mainResidenceCounts(agsList, req) {
      // The HB contract has no batch form: one call per municipality, in parallel.
      return Promise.all(
        agsList.map(async (ags) => {
          const body = await http.getJson(`/api/v2/gemeinden/${encodeURIComponent(ags)}/statistik`, hbStatistikSchema, req);
          return body ? body.hauptwohnungen : null;
        }),
      );
    },
    close: () => http.close(),
  };
}

// ---------------------------------------------------------------------------------------
// NRW flavour

export const meldePersonSchema = z.object({
  personId: z.string(),
  ags: z.string(),
  nachname: z.string(),
  vorname: z.string(),
  weitereVornamen: z.array(z.string()),
  geburtstag: z.string().regex(/^\d{2}\.\d{2}\.\d{4}$/),
  adresse: z.object({
    strassenname: z.string(),
    hausnr: z.number().int().nullable(),
    hausnrZusatz: z.string().nullable(),
    plz: z.string(),
    wohnort: z.string(),
  }),
  staatsangehoerigkeit: z.string().length(3),
  wohnungsstatus: z.enum(['HW', 'NW']),
  personenstatus: z.enum(['A', 'W', 'V']),
});
type MeldePerson = z.infer<typeof meldePersonSchema>;

const personenPageSchema = z.object({ personen: z.array(meldePersonSchema), next: z.string().nullable() });

const nrwStatistikSchema = z.object({
  statistik: z.array(z.object({ ags: z.string(), hauptwohnsitze: z.number().int(), nebenwohnsitze: z.number().int() })),
});

/** ISO 3166-1 alpha-3 → alpha-2 for the nationalities registries report most often. */
const ALPHA2: Record<string, string> = {
  DEU: 'DE', TUR: 'TR', POL: 'PL', ITA: 'IT', SYR: 'SY', UKR: 'UA', ROU: 'RO', GRC: 'GR', NLD: 'NL', ESP: 'ES',
  AUT: 'AT', BGR: 'BG', HRV: 'HR', SRB: 'RS', BIH: 'BA', XKX: 'XK', ALB: 'AL', MKD: 'MK', RUS: 'RU', AFG: 'AF',
  IRQ: 'IQ', IRN: 'IR', FRA: 'FR', BEL: 'BE', PRT: 'PT', HUN: 'HU', CZE: 'CZ', GBR: 'GB', USA: 'US', CHN: 'CN',
  IND: 'IN', VNM: 'VN', MAR: 'MA', ERI: 'ER', NGA: 'NG', CHE: 'CH', DNK: 'DK', SWE: 'SE', LUX: 'LU', CHL: 'CL',
};

const isoFromGerman = (d: string) => `${d.slice(6, 10)}-${d.slice(3, 5)}-${d.slice(0, 2)}`;

function fromMeldePerson(p: MeldePerson): PersonRecord {
  const status: RegistrationStatus =
    p.personenstatus === 'W' ? 'MOVED_AWAY' : p.personenstatus === 'V' ? 'DECEASED' : p.wohnungsstatus === 'NW' ? 'SECONDARY_RESIDENCE' : 'MAIN_RESIDENCE';
  const { hausnr, hausnrZusatz } = p.adresse;
  return {
    id: p.personId,
    ags: p.ags,
    familyName: p.nachname,
    givenNames: [p.vorname, ...p.weitereVornamen].join(' '),
    birthDate: isoFromGerman(p.geburtstag),
    address: {
      street: p.adresse.strassenname,
      houseNumber: hausnr === null ? null : `${hausnr}${hausnrZusatz ?? ''}`,
      postcode: p.adresse.plz,
      city: p.adresse.wohnort,
    },
    nationality: ALPHA2[p.staatsangehoerigkeit.toUpperCase()] ?? null,
    registrationStatus: status,
  };
}

/** The NRW stand-in answers statistics for at most this many AGS per request. */
export const NRW_STATISTIK_MAX_BATCH = 20;

export function createNrwClient(options: RegistryClientOptions): RegistryClient {
  const http = createRestTransport({ ...options, upstream: 'melderegister-nrw', cachePolicy: false });
  return {
    registry: 'NW',
    // No batch endpoint: the loader hands over any number of ids, fetched one by one.
    maxBatch: Number.POSITIVE_INFINITY,
    isPageToken: (token) => /^[A-Za-z0-9_-]{1,1024}$/.test(token),
    async personsByIds(ids, req) {
      return Promise.all(
        ids.map(async (id) => {
          try {
            const body = await http.getJson(`/meldewesen/personen/${encodeURIComponent(id)}`, meldePersonSchema, req);
            return body ? fromMeldePerson(body) : null;
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
      );
    },
    async residents(ags, query, req) {
      const body = await http.getJson('/meldewesen/personen', personenPageSchema, {
        ...req,
        query: { ags, nachname: query.familyName, cursor: query.after, pageSize: query.limit },
      });
      if (!body) return null;
      return { persons: body.personen.map(fromMeldePerson), totalCount: null, next: body.next };
    },
    async mainResidenceCounts(agsList, req) {
      const chunks: string[][] = [];
      for (let i = 0; i < agsList.length; i += NRW_STATISTIK_MAX_BATCH) chunks.push(agsList.slice(i, i + NRW_STATISTIK_MAX_BATCH));
      const bodies = await Promise.all(
        chunks.map((chunk) => http.getJson('/meldewesen/statistik', nrwStatistikSchema, { ...req, query: { ags: chunk.join(',') } })),
      );
      const counts = new Map(bodies.flatMap((body) => body?.statistik ?? []).map((s) => [s.ags, s.hauptwohnsitze]));
      return agsList.map((ags) => counts.get(ags) ?? null);
    },
    close: () => http.close(),
  };
}
