import { createHash } from 'node:crypto';
import type { Logger } from '../../common/logger';
import { silentLogger } from '../../common/logger';
import {
  mainResidenceCount,
  redactQueryInLogs,
  registryMunicipalities,
  residentById,
  residentsOf,
  type Resident,
} from '../lib/residents';
import { createStandIn, intParam, type StandIn, type StandInResponse } from '../lib/stand-in';

/**
 * Stand-in for a resident registry (Melderegister) of the vendor flavour "NRW", serving a set
 * of North Rhine-Westphalian municipalities with synthetic, obviously fictitious residents
 * (stand-ins/lib/residents.ts). Contract: openapi.yaml.
 *
 * What makes this flavour its own (compared with melderegister-hb): paths under
 * `/meldewesen`, other field names (`nachname`, `vorname` + `weitereVornamen`, `geburtstag`
 * as German date DD.MM.YYYY, house number split into number and suffix), nationality as
 * ISO 3166-1 alpha-3, the status as two codes (`wohnungsstatus`, `personenstatus`), cursor
 * paging (`cursor`, `pageSize`, `next`) without a total, no batch look-up of persons (one
 * request per id), a batch statistics call, and its own error body
 * `{ "fehler": { "code", "meldung" } }`.
 */
export const NRW_MAX_PAGE_SIZE = 100;
export const NRW_DEFAULT_PAGE_SIZE = 25;
export const NRW_STATISTIK_MAX_BATCH = 20;
/** Reference day of the registry statistics, as this vendor writes dates. */
export const NRW_STAND = '31.12.2025';
const STATISTIK_MAX_AGE = 3_600;
const NO_STORE = { 'cache-control': 'private, no-store' };

/** ISO 3166-1 alpha-2 → alpha-3 for the nationalities in the synthetic population. */
const ALPHA3: Record<string, string> = {
  DE: 'DEU',
  TR: 'TUR',
  PL: 'POL',
  IT: 'ITA',
  SY: 'SYR',
  UA: 'UKR',
  RO: 'ROU',
  GR: 'GRC',
  NL: 'NLD',
  ES: 'ESP',
  AT: 'AUT',
};

/** One person as this vendor's contract serves it. */
export interface MeldePerson {
  personId: string;
  ags: string;
  nachname: string;
  vorname: string;
  weitereVornamen: string[];
  /** DD.MM.YYYY */
  geburtstag: string;
  adresse: { strassenname: string; hausnr: number; hausnrZusatz: string | null; plz: string; wohnort: string };
  /** ISO 3166-1 alpha-3. */
  staatsangehoerigkeit: string;
  /** HW = Hauptwohnung, NW = Nebenwohnung (the last one for people who moved away or died). */
  wohnungsstatus: 'HW' | 'NW';
  /** A = aktiv, W = weggezogen, V = verstorben. */
  personenstatus: 'A' | 'W' | 'V';
}

const germanDate = (iso: string) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`;

export function toMeldePerson(r: Resident): MeldePerson {
  return {
    personId: r.id,
    ags: r.ags,
    nachname: r.familyName,
    vorname: r.givenNames[0]!,
    weitereVornamen: r.givenNames.slice(1),
    geburtstag: germanDate(r.birthDate),
    adresse: { strassenname: r.street, hausnr: r.houseNumber, hausnrZusatz: r.houseNumberSuffix, plz: r.postcode, wohnort: r.city },
    staatsangehoerigkeit: ALPHA3[r.nationality]!,
    wohnungsstatus: r.status === 'SECONDARY_RESIDENCE' ? 'NW' : 'HW',
    personenstatus: r.status === 'MOVED_AWAY' ? 'W' : r.status === 'DECEASED' ? 'V' : 'A',
  };
}

const FEHLERCODES: Record<number, string> = {
  400: 'UNGUELTIGE_ANFRAGE',
  404: 'NICHT_GEFUNDEN',
  500: 'INTERNER_FEHLER',
  503: 'NICHT_VERFUEGBAR',
};

/**
 * The opaque cursor: base64url of {ags, hash of the name filter, position}. The name filter
 * is hashed so that a cursor carries no personal data; a cursor used with another
 * municipality or filter is rejected.
 */
interface CursorState {
  a: string;
  n: string;
  p: number;
}
const filterHash = (nachname: string | null) => (nachname ? createHash('sha256').update(nachname).digest('base64url').slice(0, 12) : '');
const encodeCursor = (state: CursorState) => Buffer.from(JSON.stringify(state)).toString('base64url');
function decodeCursor(cursor: string): CursorState | null {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    return typeof state.a === 'string' && typeof state.n === 'string' && Number.isInteger(state.p) && state.p >= 0 ? state : null;
  } catch {
    return null;
  }
}

export function createMelderegisterNrwStandIn(options: { logger?: Logger } = {}): StandIn {
  const served = [...registryMunicipalities().values()].filter((m) => m.registry === 'NW');
  const servedAgs = new Set(served.map((m) => m.ags));
  const fehler = (status: number, meldung: string): StandInResponse => ({ status, body: meldung });

  return createStandIn({
    name: 'melderegister-nrw',
    // The family-name filter is personal data: it never reaches the log.
    logger: redactQueryInLogs(options.logger ?? silentLogger, ['nachname']),
    errorContentType: 'application/json; charset=utf-8',
    errorBody: (status, message) => ({ fehler: { code: FEHLERCODES[status] ?? 'FEHLER', meldung: message } }),
    routes: [
      {
        method: 'GET',
        path: '/meldewesen/personen',
        handler: ({ query }) => {
          const ags = query.get('ags');
          if (ags === null || !/^\d{8}$/.test(ags)) return fehler(400, 'Parameter ags (8-stelliger Gemeindeschlüssel) fehlt oder ist ungültig');
          if (!servedAgs.has(ags)) return fehler(404, `Gemeinde ${ags} ist an dieses Meldewesen nicht angeschlossen`);
          const nachname = query.get('nachname')?.normalize('NFC').trim().toLocaleLowerCase('de') || null;
          const pageSize = intParam(query.get('pageSize'), NRW_DEFAULT_PAGE_SIZE, 1, NRW_MAX_PAGE_SIZE);
          let position = 0;
          const cursor = query.get('cursor');
          if (cursor) {
            const state = decodeCursor(cursor);
            if (!state || state.a !== ags || state.n !== filterHash(nachname)) {
              return fehler(400, 'cursor gehört nicht zu dieser Abfrage');
            }
            position = state.p;
          }
          const matches = residentsOf(ags).filter((r) => nachname === null || r.familyName.toLocaleLowerCase('de') === nachname);
          const end = position + pageSize;
          return {
            body: {
              personen: matches.slice(position, end).map(toMeldePerson),
              next: end < matches.length ? encodeCursor({ a: ags, n: filterHash(nachname), p: end }) : null,
            },
            headers: NO_STORE,
          };
        },
      },
      {
        method: 'GET',
        path: '/meldewesen/personen/:personId',
        handler: ({ params }) => {
          const resident = residentById(params.personId!);
          return resident && servedAgs.has(resident.ags)
            ? { body: toMeldePerson(resident), headers: NO_STORE }
            : fehler(404, 'Person nicht gefunden');
        },
      },
      {
        method: 'GET',
        path: '/meldewesen/statistik',
        handler: ({ query }) => {
          const list = (query.get('ags') ?? '').split(',').filter(Boolean);
          if (list.length === 0) return fehler(400, 'Parameter ags fehlt');
          if (list.length > NRW_STATISTIK_MAX_BATCH) return fehler(400, `höchstens ${NRW_STATISTIK_MAX_BATCH} Gemeindeschlüssel je Anfrage`);
          const statistik = list
            .filter((ags) => servedAgs.has(ags))
            .map((ags) => ({
              ags,
              hauptwohnsitze: mainResidenceCount(ags),
              nebenwohnsitze: residentsOf(ags).filter((r) => r.status === 'SECONDARY_RESIDENCE').length,
              stand: NRW_STAND,
            }));
          return { body: { statistik }, maxAge: STATISTIK_MAX_AGE };
        },
      },
    ],
  });
}
