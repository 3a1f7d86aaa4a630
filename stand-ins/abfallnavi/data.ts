import { readCsv, seededRandom } from '../lib/data';

/**
 * Data of the abfallnavi stand-in.
 *
 * Real: the service ids (the `{service}` in `…/abfall-app-{service}/rest`, as listed in the
 * community OpenAPI description of the regio iT API), the municipalities behind them, their
 * names, AGS and postcode (Destatis GV100AD, 30.11.2021).
 *
 * Synthetic (deterministic, `seededRandom`): all numeric ids, the streets (common German
 * street names, 30 per Ort; they are NOT the real street directory), house numbers, collection
 * districts (Bezirke) and every collection date.
 */

/** A municipality served by one abfallnavi service (an `Ort` of that service). */
export interface ServiceOrtConfig {
  ags: string;
}

export interface ServiceConfig {
  /** Short service id, the `{service}` in `/abfall-app-{service}/rest`. */
  service: string;
  /** Operator label as the public list of regions names it. */
  label: string;
  orte: ServiceOrtConfig[];
}

/** The services hosted by this stand-in (service ids as used by regio iT). */
export const SERVICES: ServiceConfig[] = [
  { service: 'solingen', label: 'Solingen', orte: [{ ags: '05122000' }] },
  { service: 'aachen', label: 'Aachen', orte: [{ ags: '05334002' }] },
  { service: 'aw-bgl2', label: 'Bergisch Gladbach', orte: [{ ags: '05378004' }] },
  { service: 'lindlar', label: 'Lindlar', orte: [{ ags: '05374020' }] },
  { service: 'din', label: 'Dinslaken', orte: [{ ags: '05170008' }] },
  { service: 'dorsten', label: 'Dorsten', orte: [{ ags: '05562012' }] },
  { service: 'roe', label: 'Roetgen', orte: [{ ags: '05334024' }] },
  {
    service: 'zew2',
    label: 'AWA Entsorgungs GmbH',
    orte: [{ ags: '05334012' }, { ags: '05334032' }, { ags: '05334036' }],
  },
];

/** First and last day for which collection dates exist. */
export const FIRST_DAY = '2026-01-01';
export const LAST_DAY = '2027-12-31';

export interface Ort {
  id: number;
  name: string;
}

export interface Hausnummer {
  id: number;
  nr: string;
  plz: string;
  staticId: string;
}

export interface Fraktion {
  id: number;
  name: string;
  iconNr: number;
  farbeRgb: string;
}

export interface Bezirk {
  id: number;
  name: string;
  gueltigAb: null;
  fraktionId: number;
}

export interface Abholung {
  id: number;
  bezirk: Bezirk;
  datum: string;
}

export interface Strasse {
  id: number;
  name: string;
  staticId: string;
  plz: null;
  ortsteilName: string;
  ort: Ort;
  hausNrList: Hausnummer[];
  /** Not part of the answer: the street's collections, all fractions, sorted by date. */
  termine: Abholung[];
}

export interface Service {
  service: string;
  label: string;
  orte: (Ort & { ags: string; strassen: Strasse[] })[];
  fraktionen: Fraktion[];
  strasseById: Map<number, Strasse>;
  hausnummerById: Map<number, { hausnummer: Hausnummer; strasse: Strasse }>;
}

export const FRAKTIONEN: Fraktion[] = [
  { id: 0, name: 'Restabfall', iconNr: 7, farbeRgb: '555555' },
  { id: 1, name: 'Bioabfall', iconNr: 1, farbeRgb: '8B5A2B' },
  { id: 2, name: 'Papier', iconNr: 5, farbeRgb: '0055A4' },
  { id: 3, name: 'Gelbe Tonne', iconNr: 3, farbeRgb: 'FFD700' },
  { id: 4, name: 'Weihnachtsbaum', iconNr: 9, farbeRgb: '2E8B57' },
];

/** Common German street names; each Ort gets 30 of them (synthetic street directory). */
const STREET_NAMES = [
  'Ahornweg', 'Am Bach', 'Am Sportplatz', 'Amselweg', 'Auf dem Kamp', 'Bahnhofstraße',
  'Beethovenstraße', 'Bergstraße', 'Birkenweg', 'Blumenstraße', 'Breslauer Straße', 'Buchenweg',
  'Dorfstraße', 'Drosselweg', 'Eichendorffstraße', 'Feldstraße', 'Finkenweg', 'Friedhofstraße',
  'Gartenstraße', 'Goethestraße', 'Hauptstraße', 'Heideweg', 'Höhenweg', 'Im Winkel',
  'Industriestraße', 'Jahnstraße', 'Kastanienallee', 'Kirchplatz', 'Kirchstraße',
  'Königsberger Straße', 'Lessingstraße', 'Lindenstraße', 'Marktplatz', 'Meisenweg',
  'Mittelstraße', 'Mozartstraße', 'Mühlenweg', 'Parkstraße', 'Poststraße', 'Ringstraße',
  'Rosenstraße', 'Schillerstraße', 'Schulstraße', 'Sonnenweg', 'Talstraße', 'Tannenweg',
  'Uhlandstraße', 'Waldstraße', 'Wiesenweg', 'Wilhelmstraße',
];
export const STREETS_PER_ORT = 30;
/** Streets every Ort has (handy for demos); the other 27 are picked per Ort. */
const EVERY_ORT = ['Bahnhofstraße', 'Hauptstraße', 'Schulstraße'];

const DAY_MS = 86_400_000;
/** Monday before FIRST_DAY: week 0 of every rhythm. */
const ANCHOR = Date.UTC(2025, 11, 29);

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function easterSunday(year: number): number {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Date.UTC(year, month - 1, day);
}

/** Public holidays in Nordrhein-Westfalen (ISO dates). */
export function nrwHolidays(year: number): Set<string> {
  const easter = easterSunday(year);
  const fixed = ['01-01', '05-01', '10-03', '11-01', '12-25', '12-26'].map((md) => `${year}-${md}`);
  const moving = [-2, 1, 39, 50, 60].map((offset) => iso(easter + offset * DAY_MS));
  return new Set([...fixed, ...moving]);
}

const HOLIDAYS = new Set([...nrwHolidays(2026), ...nrwHolidays(2027)]);

/** A collection that falls on a holiday moves to the next day that is neither Sunday nor a holiday. */
function shiftForHolidays(ms: number): number {
  let day = ms;
  while (HOLIDAYS.has(iso(day)) || new Date(day).getUTCDay() === 0) day += DAY_MS;
  return day;
}

interface Rhythm {
  fraktionId: number;
  bezirkName: string;
  /** Monday-based weekday 0..5 (0 = Monday). */
  weekday: number;
  /** Whether week index `k` (weeks since ANCHOR) has a collection, given its month (1..12). */
  inWeek: (k: number, month: number) => boolean;
}

function collectionDates(rhythm: Rhythm): string[] {
  const dates: string[] = [];
  const last = Date.parse(`${LAST_DAY}T00:00:00Z`);
  const first = Date.parse(`${FIRST_DAY}T00:00:00Z`);
  for (let k = 0; ANCHOR + k * 7 * DAY_MS <= last; k++) {
    const planned = ANCHOR + (k * 7 + rhythm.weekday) * DAY_MS;
    if (!rhythm.inWeek(k, new Date(planned).getUTCMonth() + 1)) continue;
    const actual = shiftForHolidays(planned);
    if (actual >= first && actual <= last) dates.push(iso(actual));
  }
  return dates;
}

function staticId(...parts: string[]): string {
  return Buffer.from(parts.join(''), 'latin1').toString('base64');
}

/** Short name of a municipality as an abfallnavi Ort calls it: "Solingen, Klingenstadt" → "Solingen". */
function ortName(registerName: string): string {
  return registerName.split(',')[0]!.trim();
}

function buildService(config: ServiceConfig, gemeinden: Map<string, Record<string, string>>): Service {
  const random = seededRandom(`abfallnavi:${config.service}`);
  const base = 1_000_000 + Math.floor(random() * 8_000) * 1_000;
  const strasseById = new Map<number, Strasse>();
  const hausnummerById = new Map<number, { hausnummer: Hausnummer; strasse: Strasse }>();
  const bezirkId = (fraktionId: number, name: string) => base + 500_000 + fraktionId * 1_000 + Number(name.replace(/\D/g, ''));

  const orte = config.orte.map((o, ortIndex) => {
    const row = gemeinden.get(o.ags);
    if (!row) throw new Error(`abfallnavi stand-in: AGS ${o.ags} is not in the municipality register`);
    const ort: Ort = { id: base + ortIndex + 1, name: ortName(row.name!) };
    const plz = row.plz || '00000';
    const pick = seededRandom(`abfallnavi:${config.service}:${ort.name}`);
    const others = STREET_NAMES.filter((name) => !EVERY_ORT.includes(name))
      .map((name) => ({ name, key: pick() }))
      .sort((a, b) => a.key - b.key)
      .slice(0, STREETS_PER_ORT - EVERY_ORT.length)
      .map((s) => s.name);
    const names = [...EVERY_ORT, ...others].sort((a, b) => a.localeCompare(b, 'de'));

    const strassen = names.map((name, j): Strasse => {
      const r = seededRandom(`abfallnavi:${config.service}:${ort.name}:${name}`);
      const id = base + 10_000 + ortIndex * 1_000 + j;
      const restDay = Math.floor(r() * 5);
      const restWeek = Math.floor(r() * 2);
      const paperDay = Math.floor(r() * 5);
      const paperWeek = Math.floor(r() * 4);
      const houses = 5 + Math.floor(r() * 56);
      const withSuffix = r() < 0.3 ? 1 + Math.floor(r() * houses) : -1;

      const rhythms: Rhythm[] = [
        // Restabfall: every 14 days.
        { fraktionId: 0, bezirkName: `R${restDay * 2 + restWeek + 1}`, weekday: restDay, inWeek: (k) => k % 2 === restWeek },
        // Bioabfall: weekly June–September, otherwise every 14 days (in the weeks without Restabfall).
        {
          fraktionId: 1,
          bezirkName: `B${restDay * 2 + restWeek + 1}`,
          weekday: restDay,
          inWeek: (k, month) => (month >= 6 && month <= 9) || k % 2 !== restWeek,
        },
        // Papier: every 4 weeks.
        { fraktionId: 2, bezirkName: `P${paperDay * 4 + paperWeek + 1}`, weekday: paperDay, inWeek: (k) => k % 4 === paperWeek },
        // Gelbe Tonne: every 14 days.
        { fraktionId: 3, bezirkName: `G${paperDay * 2 + (paperWeek % 2) + 1}`, weekday: paperDay, inWeek: (k) => k % 2 === paperWeek % 2 },
        // Weihnachtsbaum: once in the second full week of January, Saturday.
        { fraktionId: 4, bezirkName: 'W1', weekday: 5, inWeek: (k) => k === 2 || k === 54 },
      ];
      const anchorDays = (date: string) => Math.round((Date.parse(`${date}T00:00:00Z`) - ANCHOR) / DAY_MS);
      const termine = rhythms
        .flatMap((rhythm) => {
          const bezirk: Bezirk = {
            id: bezirkId(rhythm.fraktionId, rhythm.bezirkName),
            name: rhythm.bezirkName,
            gueltigAb: null,
            fraktionId: rhythm.fraktionId,
          };
          return collectionDates(rhythm).map((datum) => ({ id: bezirk.id * 1_000 + anchorDays(datum), bezirk, datum }));
        })
        .sort((a, b) => a.datum.localeCompare(b.datum) || a.bezirk.fraktionId - b.bezirk.fraktionId);

      const strasse: Strasse = {
        id,
        name,
        staticId: staticId(ort.name, 'default', name),
        plz: null,
        ortsteilName: 'default',
        ort,
        hausNrList: [],
        termine,
      };
      for (let n = 1; n <= houses; n++) {
        const numbers = n === withSuffix ? [`${n}`, `${n}a`] : [`${n}`];
        for (const nr of numbers) {
          const hausnummer: Hausnummer = {
            id: id * 100 + strasse.hausNrList.length,
            nr,
            plz,
            staticId: staticId(ort.name, plz, name, nr),
          };
          strasse.hausNrList.push(hausnummer);
          hausnummerById.set(hausnummer.id, { hausnummer, strasse });
        }
      }
      strasseById.set(id, strasse);
      return strasse;
    });
    return { ...ort, ags: o.ags, strassen };
  });

  return { service: config.service, label: config.label, orte, fraktionen: FRAKTIONEN, strasseById, hausnummerById };
}

let loaded: Map<string, Service> | null = null;

/** Builds all services once per process. */
export function loadServices(): Map<string, Service> {
  if (loaded) return loaded;
  const gemeinden = new Map(readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv').map((r) => [r.ags!, r]));
  loaded = new Map(SERVICES.map((config) => [config.service, buildService(config, gemeinden)]));
  return loaded;
}
