import type { Logger } from '../../common/logger';
import { readCsv, seededRandom } from './data';

/**
 * The synthetic population shared by the resident-registry stand-ins (melderegister-hb,
 * melderegister-nrw) and the trade-register stand-in (gewerbe), whose business owners must be
 * residents that really exist in the registries.
 *
 * Real: the municipalities (AGS, name, postcode of the seat; Destatis GV100AD, 30.11.2021).
 * Synthetic, deterministic (`seededRandom`) and OBVIOUSLY FICTITIOUS: every person, name,
 * birth date, street, house number, nationality and registration status. The name and street
 * pools are placeholder words ("Mustermann", "Musterstraße") so that nobody can mistake a
 * record for a real person.
 *
 * This module holds the records in a vendor-neutral form. Each stand-in maps them to its
 * own contract (field names, date formats, code lists).
 */

/** Which registry (vendor flavour) holds a municipality's residents; also the id prefix. */
export type RegistryCode = 'HB' | 'NW';

/** Municipalities each registry serves (8-digit AGS). */
export const REGISTRY_MUNICIPALITIES: Readonly<Record<RegistryCode, readonly string[]>> = {
  // Bremen: the state's two municipalities.
  HB: ['04011000', '04012000'],
  // North Rhine-Westphalia: Düsseldorf, Solingen, Bonn, Köln, Aachen, Münster.
  NW: ['05111000', '05122000', '05314000', '05315000', '05334002', '05515000'],
};

export type RegistrationStatus = 'MAIN_RESIDENCE' | 'SECONDARY_RESIDENCE' | 'MOVED_AWAY' | 'DECEASED';

/** One synthetic resident, vendor-neutral. */
export interface Resident {
  /** `<registry>-<ags>-<6-digit number>`, e.g. `HB-04011000-000123`: says which registry holds the record. */
  id: string;
  registry: RegistryCode;
  ags: string;
  familyName: string;
  givenNames: string[];
  /** ISO date YYYY-MM-DD. */
  birthDate: string;
  street: string;
  /** House number, e.g. 12 */
  houseNumber: number;
  /** Suffix of the house number ("a", "b") or null. */
  houseNumberSuffix: string | null;
  postcode: string;
  city: string;
  /** ISO 3166-1 alpha-2 code of the nationality, e.g. "DE". */
  nationality: string;
  status: RegistrationStatus;
}

export interface Municipality {
  ags: string;
  registry: RegistryCode;
  /** Official name, e.g. "Solingen, Klingenstadt". */
  name: string;
  /** Town name for addresses, e.g. "Solingen". */
  city: string;
  /** Postcode of the seat (Destatis). */
  postcode: string;
}

/** Obviously fictitious family names (German placeholder words). */
export const FAMILY_NAMES = [
  'Mustermann',
  'Musterfrau',
  'Beispiel',
  'Testperson',
  'Fiktiv',
  'Erfunden',
  'Platzhalter',
  'Mustermeier',
  'Beispielmann',
  'Testfrau',
] as const;

/** Given names of the classic German placeholder people (Erika Mustermann, Otto Normalverbraucher, Lieschen Müller, …). */
export const GIVEN_NAMES = ['Erika', 'Max', 'Otto', 'Lieschen', 'Maxi', 'Hans', 'Grete', 'Fritz', 'Anna', 'Moritz'] as const;

/** Synthetic street names (placeholder words; not the municipality's real street directory). */
export const STREETS = [
  'Musterstraße',
  'Beispielweg',
  'Testallee',
  'Am Platzhalter',
  'Fiktivgasse',
  'Erfundener Ring',
  'Probeplatz',
  'Exempelstraße',
  'Mustergasse',
  'Beispielufer',
] as const;

/** Nationalities (ISO 3166-1 alpha-2) with their weights in the synthetic population. */
const NATIONALITIES: readonly [string, number][] = [
  ['DE', 80],
  ['TR', 4],
  ['PL', 3],
  ['IT', 2],
  ['SY', 2],
  ['UA', 2],
  ['RO', 2],
  ['GR', 2],
  ['NL', 1],
  ['ES', 1],
  ['AT', 1],
];

const STATUSES: readonly [RegistrationStatus, number][] = [
  ['MAIN_RESIDENCE', 80],
  ['SECONDARY_RESIDENCE', 8],
  ['MOVED_AWAY', 8],
  ['DECEASED', 4],
];

/** Fewest and most residents a municipality gets (the count is derived from the AGS). */
export const MIN_RESIDENTS = 200;
export const MAX_RESIDENTS = 500;

function weighted<T>(random: () => number, options: readonly [T, number][]): T {
  const total = options.reduce((sum, [, w]) => sum + w, 0);
  let roll = random() * total;
  for (const [value, weight] of options) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return options[options.length - 1]![0];
}

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

let municipalities: Map<string, Municipality> | null = null;

/** The municipalities served by the registries, with their real names and postcodes. */
export function registryMunicipalities(): Map<string, Municipality> {
  if (municipalities) return municipalities;
  const byAgs = new Map(readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv').map((r) => [r.ags!, r]));
  municipalities = new Map();
  for (const registry of Object.keys(REGISTRY_MUNICIPALITIES) as RegistryCode[]) {
    for (const ags of REGISTRY_MUNICIPALITIES[registry]) {
      const row = byAgs.get(ags);
      if (!row) throw new Error(`AGS ${ags} is not in the Destatis municipality file`);
      municipalities.set(ags, {
        ags,
        registry,
        name: row.name!,
        city: row.name!.split(',')[0]!.trim(),
        postcode: row.plz!,
      });
    }
  }
  return municipalities;
}

/** The registry serving an AGS, or null when no registry here holds it. */
export function registryOfAgs(ags: string): RegistryCode | null {
  return registryMunicipalities().get(ags)?.registry ?? null;
}

/** Number of residents of a served municipality (200…500, derived from the AGS). */
export function residentTotal(ags: string): number {
  const random = seededRandom(`melderegister:${ags}:count`);
  return MIN_RESIDENTS + Math.floor(random() * (MAX_RESIDENTS - MIN_RESIDENTS + 1));
}

function generate(m: Municipality, number: number): Resident {
  const random = seededRandom(`melderegister:${m.ags}:${number}`);
  const familyName = pick(random, FAMILY_NAMES);
  const first = pick(random, GIVEN_NAMES);
  const givenNames = random() < 0.3 ? [first, pick(random, GIVEN_NAMES.filter((g) => g !== first))] : [first];
  // Born between 1930-01-01 and 2024-12-31.
  const start = Date.UTC(1930, 0, 1);
  const end = Date.UTC(2024, 11, 31);
  const birthDate = new Date(start + Math.floor(random() * ((end - start) / 86_400_000 + 1)) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const street = pick(random, STREETS);
  const houseNumber = 1 + Math.floor(random() * 120);
  const suffixRoll = random();
  const houseNumberSuffix = suffixRoll < 0.08 ? 'a' : suffixRoll < 0.12 ? 'b' : null;
  const nationality = weighted(random, NATIONALITIES);
  const status = weighted(random, STATUSES);
  return {
    id: `${m.registry}-${m.ags}-${pad(number, 6)}`,
    registry: m.registry,
    ags: m.ags,
    familyName,
    givenNames,
    birthDate,
    street,
    houseNumber,
    houseNumberSuffix,
    postcode: m.postcode,
    city: m.city,
    nationality,
    status,
  };
}

const residentCache = new Map<string, Resident[]>();

/** All residents of a served municipality, ordered by id; an empty list for any other AGS. */
export function residentsOf(ags: string): Resident[] {
  const cached = residentCache.get(ags);
  if (cached) return cached;
  const m = registryMunicipalities().get(ags);
  const residents = m ? Array.from({ length: residentTotal(ags) }, (_, i) => generate(m, i + 1)) : [];
  residentCache.set(ags, residents);
  return residents;
}

const ID = /^(HB|NW)-(\d{8})-(\d{6})$/;

/** A resident by id (`HB-04011000-000123`), or undefined. */
export function residentById(id: string): Resident | undefined {
  const match = ID.exec(id);
  if (!match) return undefined;
  const m = registryMunicipalities().get(match[2]!);
  if (!m || m.registry !== match[1]) return undefined;
  return residentsOf(m.ags)[Number(match[3]) - 1];
}

/** Registered main residences (what a registry reports as its resident count). */
export function mainResidenceCount(ags: string): number {
  return residentsOf(ags).filter((r) => r.status === 'MAIN_RESIDENCE').length;
}

/** Whole years between an ISO birth date and an ISO day. */
export function ageOn(birthDate: string, day: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/**
 * The stand-in framework logs each request's URL. Where a query parameter carries personal
 * data (a family-name search), this child logger writes the URL with those values replaced
 * by `REDACTED`, so names never reach a log.
 */
export function redactQueryInLogs(logger: Logger, personalParams: readonly string[]): Logger {
  return logger.child(
    {},
    {
      serializers: {
        url: (value: unknown) => {
          if (typeof value !== 'string' || !value.includes('?')) return value;
          const [path, search] = value.split('?', 2) as [string, string];
          const params = new URLSearchParams(search);
          for (const name of personalParams) if (params.has(name)) params.set(name, 'REDACTED');
          return `${path}?${params.toString()}`;
        },
      },
    },
  );
}
