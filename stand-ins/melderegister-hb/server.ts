import type { Logger } from '../../common/logger';
import { silentLogger } from '../../common/logger';
import {
  mainResidenceCount,
  redactQueryInLogs,
  registryMunicipalities,
  residentById,
  residentsOf,
  type RegistrationStatus,
  type Resident,
} from '../lib/residents';
import { createStandIn, intParam, type StandIn } from '../lib/stand-in';
import { problem, problemDetails } from '../lib/problem';

/**
 * Stand-in for a resident registry (Melderegister) of the vendor flavour "HB", serving the
 * two municipalities of Bremen (04011000 Bremen, 04012000 Bremerhaven) with synthetic,
 * obviously fictitious residents (stand-ins/lib/residents.ts). Contract: openapi.yaml.
 *
 * What makes this flavour its own: paths under `/api/v2`, German field names after the
 * Bundesmeldegesetz (`familienname`, `vornamen` as one string, `geburtsdatum` as ISO date),
 * offset paging with a total (`gesamt`), a batch look-up by `ids=` (at most 50), RFC 7807
 * problem bodies. Personal data is answered with `Cache-Control: private, no-store`.
 */
export const HB_MAX_BATCH = 50;
export const HB_MAX_LIMIT = 100;
const STATISTIK_MAX_AGE = 3_600;
/** Reference day of the registry statistics. */
export const HB_STICHTAG = '2025-12-31';
const NO_STORE = { 'cache-control': 'private, no-store' };

const MELDESTATUS: Record<RegistrationStatus, string> = {
  MAIN_RESIDENCE: 'HAUPTWOHNUNG',
  SECONDARY_RESIDENCE: 'NEBENWOHNUNG',
  MOVED_AWAY: 'VERZOGEN',
  DECEASED: 'VERSTORBEN',
};

/** One resident as this vendor's contract serves it. */
export interface Einwohner {
  id: string;
  gemeindeschluessel: string;
  familienname: string;
  /** All given names, separated by spaces, as registered. */
  vornamen: string;
  /** ISO date YYYY-MM-DD. */
  geburtsdatum: string;
  anschrift: { strasse: string; hausnummer: string; postleitzahl: string; ort: string };
  /** ISO 3166-1 alpha-2. */
  staatsangehoerigkeit: string;
  meldestatus: string;
}

export function toEinwohner(r: Resident): Einwohner {
  return {
    id: r.id,
    gemeindeschluessel: r.ags,
    familienname: r.familyName,
    vornamen: r.givenNames.join(' '),
    geburtsdatum: r.birthDate,
    anschrift: {
      strasse: r.street,
      hausnummer: `${r.houseNumber}${r.houseNumberSuffix ?? ''}`,
      postleitzahl: r.postcode,
      ort: r.city,
    },
    staatsangehoerigkeit: r.nationality,
    meldestatus: MELDESTATUS[r.status],
  };
}

export function createMelderegisterHbStandIn(options: { logger?: Logger } = {}): StandIn {
  const served = [...registryMunicipalities().values()].filter((m) => m.registry === 'HB');
  const servedAgs = new Set(served.map((m) => m.ags));
  const notServed = (ags: string) => problem(404, `Gemeinde ${ags} wird von diesem Melderegister nicht geführt`);

  return createStandIn({
    ...problemDetails,
    name: 'melderegister-hb',
    // The family-name filter is personal data: it never reaches the log.
    logger: redactQueryInLogs(options.logger ?? silentLogger, ['familienname', 'ids']),
    routes: [
      {
        method: 'GET',
        path: '/api/v2/einwohner',
        handler: ({ query }) => {
          const ids = query.get('ids');
          const gemeinde = query.get('gemeinde');
          if (ids !== null && gemeinde !== null) return problem(400, 'ids und gemeinde schließen einander aus');
          if (ids !== null) {
            const list = ids.split(',').filter(Boolean);
            if (list.length > HB_MAX_BATCH) return problem(400, `höchstens ${HB_MAX_BATCH} ids je Anfrage`);
            const eintraege = list
              .map((id) => residentById(id))
              .filter((r): r is Resident => r !== undefined && servedAgs.has(r.ags))
              .map(toEinwohner);
            return { body: { gesamt: eintraege.length, offset: 0, limit: list.length, eintraege }, headers: NO_STORE };
          }
          if (gemeinde === null || !/^\d{8}$/.test(gemeinde)) {
            return problem(400, 'gemeinde (8-stelliger Amtlicher Gemeindeschlüssel) oder ids ist erforderlich');
          }
          if (!servedAgs.has(gemeinde)) return notServed(gemeinde);
          const familienname = query.get('familienname')?.normalize('NFC').trim().toLocaleLowerCase('de') || null;
          const offset = intParam(query.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER);
          const limit = intParam(query.get('limit'), 50, 1, HB_MAX_LIMIT);
          const matches = residentsOf(gemeinde).filter(
            (r) => familienname === null || r.familyName.toLocaleLowerCase('de') === familienname,
          );
          return {
            body: { gesamt: matches.length, offset, limit, eintraege: matches.slice(offset, offset + limit).map(toEinwohner) },
            headers: NO_STORE,
          };
        },
      },
      {
        method: 'GET',
        path: '/api/v2/einwohner/:id',
        handler: ({ params }) => {
          const resident = residentById(params.id!);
          return resident && servedAgs.has(resident.ags)
            ? { body: toEinwohner(resident), headers: NO_STORE }
            : problem(404, 'Kein Einwohner mit dieser Kennung');
        },
      },
      {
        method: 'GET',
        path: '/api/v2/gemeinden/:ags/statistik',
        handler: ({ params }) => {
          const ags = params.ags!;
          if (!servedAgs.has(ags)) return notServed(ags);
          const residents = residentsOf(ags);
          return {
            body: {
              gemeindeschluessel: ags,
              stichtag: HB_STICHTAG,
              hauptwohnungen: mainResidenceCount(ags),
              nebenwohnungen: residents.filter((r) => r.status === 'SECONDARY_RESIDENCE').length,
            },
            maxAge: STATISTIK_MAX_AGE,
          };
        },
      },
    ],
  });
}
