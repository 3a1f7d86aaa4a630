import { readCsv, seededRandom } from '../lib/data';

/**
 * Data of the OParl stand-in. Bodies are real municipalities (name, AGS, ARS from the Destatis
 * GV100AD register, official website); everything inside a body (organizations, meetings,
 * papers, persons, agenda items) is synthetic, deterministic (seeded by AGS) and obviously
 * fictitious.
 *
 * Objects are generated with relative paths and turned into absolute URLs per base URL
 * (`render`), so links work on whatever host/port the client used.
 */
export const API_PATH = '/oparl/v1.1';
export const SCHEMA = 'https://schema.oparl.org/1.1/';

/** Fixed "as of" date of the synthetic data: meeting states are relative to it, not to today. */
export const DATA_AS_OF = '2026-06-30';

/** Municipalities with a body in this system (AGS → numeric body id and website). */
export const BODY_SEEDS: { ags: string; id: string; website: string; shortName: string; council: 'rat' | 'stadtbuergerschaft' }[] = [
  { ags: '05122000', id: '1', website: 'https://www.solingen.de/', shortName: 'Solingen', council: 'rat' },
  { ags: '05334002', id: '2', website: 'https://www.aachen.de/', shortName: 'Aachen', council: 'rat' },
  { ags: '05315000', id: '3', website: 'https://www.stadt-koeln.de/', shortName: 'Köln', council: 'rat' },
  { ags: '05314000', id: '4', website: 'https://www.bonn.de/', shortName: 'Bonn', council: 'rat' },
  { ags: '05111000', id: '5', website: 'https://www.duesseldorf.de/', shortName: 'Düsseldorf', council: 'rat' },
  { ags: '05515000', id: '6', website: 'https://www.stadt-muenster.de/', shortName: 'Münster', council: 'rat' },
  { ags: '04011000', id: '7', website: 'https://www.bremen.de/', shortName: 'Bremen', council: 'stadtbuergerschaft' },
  { ags: '05124000', id: '8', website: 'https://www.wuppertal.de/', shortName: 'Wuppertal', council: 'rat' },
  { ags: '05114000', id: '9', website: 'https://www.krefeld.de/', shortName: 'Krefeld', council: 'rat' },
  { ags: '05914000', id: '10', website: 'https://www.hagen.de/', shortName: 'Hagen', council: 'rat' },
];

/** An OParl object with paths relative to the system root; `render` makes the URLs absolute. */
export type Json = Record<string, unknown>;

export interface ObjectEntry {
  /** Path below the base URL, e.g. `/oparl/v1.1/bodies/1/meetings/12`. */
  path: string;
  object: Json;
  created: string;
  modified: string;
}

export type ListKind = 'organizations' | 'meetings' | 'papers' | 'persons' | 'agendaItems' | 'locations' | 'legislativeTerms';
export const LIST_KINDS: ListKind[] = ['organizations', 'meetings', 'papers', 'persons', 'agendaItems', 'locations', 'legislativeTerms'];

export interface BodyData {
  ags: string;
  id: string;
  body: ObjectEntry;
  lists: Record<ListKind, ObjectEntry[]>;
  /** Meetings of each organization, keyed by organization id. */
  meetingsByOrganization: Map<string, ObjectEntry[]>;
}

export interface OparlData {
  system: Json;
  bodies: BodyData[];
  bodyById: Map<string, BodyData>;
  /** Every object by its path (bodies and all objects in their lists). */
  byPath: Map<string, Json>;
}

/** Marker for paths that `render` turns into absolute URLs. */
const REL = '\u0000';
const rel = (path: string) => `${REL}${path}`;

/** Deep-copies `value`, replacing relative-path markers with `baseUrl + path`. */
export function render<T>(value: T, baseUrl: string): T {
  return JSON.parse(JSON.stringify(value).split('\\u0000').join(baseUrl)) as T;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function lastSunday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/** UTC offset of Europe/Berlin on a calendar day (EU summer time rules; meetings are never at night). */
function berlinOffset(year: number, month: number, day: number): string {
  const afterStart = month > 2 || (month === 2 && day >= lastSunday(year, 2));
  const beforeEnd = month < 9 || (month === 9 && day < lastSunday(year, 9));
  return afterStart && beforeEnd ? '+02:00' : '+01:00';
}

function localDateTime(date: Date, hour: number, minute = 0): string {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  return `${y}-${pad(m + 1)}-${pad(d)}T${pad(hour)}:${pad(minute)}:00${berlinOffset(y, m, d)}`;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (date: Date, days: number) => new Date(date.getTime() + days * 86_400_000);
const stamp = (date: Date, hour: number) => localDateTime(date, hour);

interface OrgSeed {
  name: string;
  shortName: string;
  genitive: string;
  classification: string;
  intervalDays: [number, number];
  startHour: number;
}

function organizationSeeds(seed: (typeof BODY_SEEDS)[number], rand: () => number): OrgSeed[] {
  const council: OrgSeed =
    seed.council === 'stadtbuergerschaft'
      ? { name: 'Stadtbürgerschaft', shortName: 'Stadtbürgerschaft', genitive: 'der Stadtbürgerschaft', classification: 'Parlament', intervalDays: [35, 49], startHour: 15 }
      : { name: `Rat der Stadt ${seed.shortName}`, shortName: 'Rat', genitive: `des Rates der Stadt ${seed.shortName}`, classification: 'Rat', intervalDays: [35, 49], startHour: 15 };
  const committees: OrgSeed[] = [
    { name: 'Haupt- und Finanzausschuss', shortName: 'HFA', genitive: 'des Haupt- und Finanzausschusses', classification: 'Ausschuss', intervalDays: [35, 56], startHour: 16 },
    { name: 'Ausschuss für Umwelt, Klima und Mobilität', shortName: 'UKM', genitive: 'des Ausschusses für Umwelt, Klima und Mobilität', classification: 'Ausschuss', intervalDays: [42, 63], startHour: 17 },
    { name: 'Ausschuss für Schule und Bildung', shortName: 'ASB', genitive: 'des Ausschusses für Schule und Bildung', classification: 'Ausschuss', intervalDays: [42, 63], startHour: 17 },
    { name: 'Ausschuss für Stadtentwicklung und Bauen', shortName: 'ASB-Bau', genitive: 'des Ausschusses für Stadtentwicklung und Bauen', classification: 'Ausschuss', intervalDays: [42, 63], startHour: 16 },
    { name: 'Jugendhilfeausschuss', shortName: 'JHA', genitive: 'des Jugendhilfeausschusses', classification: 'Ausschuss', intervalDays: [49, 70], startHour: 16 },
  ];
  const districts = 3 + Math.floor(rand() * 4);
  const districtSeeds: OrgSeed[] = [];
  for (let i = 1; i <= districts; i++) {
    districtSeeds.push(
      seed.council === 'stadtbuergerschaft'
        ? { name: `Beirat ${i}`, shortName: `Beirat ${i}`, genitive: `des Beirats ${i}`, classification: 'Beirat', intervalDays: [49, 70], startHour: 18 }
        : { name: `Bezirksvertretung ${i}`, shortName: `BV ${i}`, genitive: `der Bezirksvertretung ${i}`, classification: 'Bezirksvertretung', intervalDays: [49, 70], startHour: 17 },
    );
  }
  return [council, ...committees, ...districtSeeds];
}

const PAPER_TYPES = ['Beschlussvorlage', 'Mitteilungsvorlage', 'Antrag', 'Anfrage', 'Beantwortung einer Anfrage'];
const TOPICS = [
  'Sanierung des fiktiven Musterbads',
  'Neubau der Beispiel-Kita an der Musterstraße',
  'Bebauungsplan Nr. 999 „Beispielquartier Nord“',
  'Radweg entlang der Testallee',
  'Aufstellung von zehn Musterbänken im Beispielpark',
  'Haushaltsplan-Entwurf (Übungsdaten)',
  'Beleuchtung des fiktiven Platzes der Beispiele',
  'Schulhofgestaltung der Musterschule',
  'Baumpflanzungen in der Exempelgasse',
  'Verkehrsberuhigung in der Platzhalterstraße',
  'Digitalisierung der fiktiven Bürgerdienste',
  'Umbenennung des Testwegs (Übungsvorgang)',
];
const PERSON_NAMES: [string, string][] = [
  ['Erika', 'Mustermann'],
  ['Max', 'Mustermann'],
  ['Martina', 'Musterfrau'],
  ['Otto', 'Normalverbraucher'],
  ['Lieschen', 'Müller'],
  ['Manfred', 'Mustermann'],
];

function buildBody(seed: (typeof BODY_SEEDS)[number], gemeinde: Record<string, string>): BodyData {
  const rand = seededRandom(`oparl:${seed.ags}`);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const bodyPath = `${API_PATH}/bodies/${seed.id}`;
  const created = '2024-11-01T09:00:00+01:00';

  // Location (the town hall) and legislative terms.
  const location: ObjectEntry = {
    path: `${bodyPath}/locations/1`,
    created,
    modified: created,
    object: {
      id: rel(`${bodyPath}/locations/1`),
      type: `${SCHEMA}Location`,
      description: `Rathaus ${seed.shortName}, Sitzungssaal (fiktive Angabe)`,
      room: 'Sitzungssaal',
      locality: seed.shortName,
      created,
      modified: created,
    },
  };
  const terms: [string, string, string][] =
    seed.council === 'stadtbuergerschaft'
      ? [['21. Wahlperiode', '2023-07-01', '2027-06-30']]
      : [
          ['Wahlperiode 2020–2025', '2020-11-01', '2025-10-31'],
          ['Wahlperiode 2025–2030', '2025-11-01', '2030-10-31'],
        ];
  const legislativeTerms: ObjectEntry[] = terms.map(([name, startDate, endDate], i) => ({
    path: `${bodyPath}/legislativeTerms/${i + 1}`,
    created,
    modified: created,
    object: {
      id: rel(`${bodyPath}/legislativeTerms/${i + 1}`),
      type: `${SCHEMA}LegislativeTerm`,
      body: rel(bodyPath),
      name,
      startDate,
      endDate,
      created,
      modified: created,
    },
  }));

  // Organizations.
  const orgSeeds = organizationSeeds(seed, rand);
  const organizations: ObjectEntry[] = orgSeeds.map((o, i) => {
    const path = `${bodyPath}/organizations/${i + 1}`;
    return {
      path,
      created,
      modified: created,
      object: {
        id: rel(path),
        type: `${SCHEMA}Organization`,
        body: rel(bodyPath),
        name: o.name,
        shortName: o.shortName,
        organizationType: 'Gremium',
        classification: o.classification,
        startDate: '2020-11-01',
        meeting: rel(`${path}/meetings`),
        location: location.object,
        created,
        modified: created,
      },
    };
  });

  // Meetings: per organization at seeded intervals, 2025-01-01 … 2027-12-31, no meetings in July.
  interface Draft {
    org: number;
    date: Date;
    startHour: number;
    hours: number;
    cancelled: boolean;
  }
  const drafts: Draft[] = [];
  const first = new Date(Date.UTC(2025, 0, 1));
  const last = new Date(Date.UTC(2027, 11, 31));
  orgSeeds.forEach((o, org) => {
    let date = addDays(first, between(7, 35));
    while (date <= last) {
      let day = date;
      while (day.getUTCDay() === 0 || day.getUTCDay() === 5 || day.getUTCDay() === 6) day = addDays(day, 1);
      if (day.getUTCMonth() !== 6 && day <= last && !(day.getUTCMonth() === 11 && day.getUTCDate() > 20)) {
        drafts.push({ org, date: day, startHour: o.startHour, hours: between(2, 4), cancelled: rand() < 0.04 });
      }
      date = addDays(day, between(o.intervalDays[0], o.intervalDays[1]));
    }
  });
  drafts.sort((a, b) => a.date.getTime() - b.date.getTime() || a.startHour - b.startHour || a.org - b.org);
  const sitzungCount = new Map<number, number>();
  const meetings: ObjectEntry[] = [];
  const agendaItems: ObjectEntry[] = [];
  const meetingsByOrganization = new Map<string, ObjectEntry[]>();
  drafts.forEach((d, i) => {
    const path = `${bodyPath}/meetings/${i + 1}`;
    const n = (sitzungCount.get(d.org) ?? 0) + 1;
    sitzungCount.set(d.org, n);
    const orgSeed = orgSeeds[d.org]!;
    const day = isoDay(d.date);
    const meetingCreated = stamp(addDays(d.date, -42), 9);
    const meetingModified = stamp(addDays(d.date, day < DATA_AS_OF ? 2 : -7), 10);
    const state = d.cancelled ? 'abgesagt' : day < DATA_AS_OF ? 'durchgeführt' : day <= '2026-07-21' ? 'eingeladen' : 'terminiert';
    const topics = [
      'Eröffnung der Sitzung und Feststellung der Tagesordnung',
      'Genehmigung der Niederschrift der letzten Sitzung',
      pick(TOPICS),
      'Mitteilungen der Verwaltung',
    ];
    const items = topics.map((name, order) => {
      const itemPath = `${bodyPath}/agendaItems/${i * 10 + order + 1}`;
      const entry: ObjectEntry = {
        path: itemPath,
        created: meetingCreated,
        modified: meetingModified,
        object: {
          id: rel(itemPath),
          type: `${SCHEMA}AgendaItem`,
          meeting: rel(path),
          number: `${order + 1}.`,
          order,
          name,
          public: true,
          created: meetingCreated,
          modified: meetingModified,
        },
      };
      agendaItems.push(entry);
      return entry.object;
    });
    const entry: ObjectEntry = {
      path,
      created: meetingCreated,
      modified: meetingModified,
      object: {
        id: rel(path),
        type: `${SCHEMA}Meeting`,
        name: `${n}. Sitzung ${orgSeed.genitive}`,
        meetingState: state,
        cancelled: d.cancelled,
        start: localDateTime(d.date, d.startHour),
        end: localDateTime(d.date, d.startHour + d.hours),
        location: location.object,
        organization: [rel(organizations[d.org]!.path)],
        agendaItem: items,
        created: meetingCreated,
        modified: meetingModified,
      },
    };
    meetings.push(entry);
    const orgId = String(d.org + 1);
    meetingsByOrganization.set(orgId, [...(meetingsByOrganization.get(orgId) ?? []), entry]);
  });

  // Papers: about 40 a year, numbered per year.
  const paperDrafts: { date: Date; type: string; topic: string; org: number }[] = [];
  for (let i = 0; i < 120; i++) {
    paperDrafts.push({
      date: addDays(first, Math.floor(rand() * 1095)),
      type: pick(PAPER_TYPES),
      topic: pick(TOPICS),
      org: Math.floor(rand() * orgSeeds.length),
    });
  }
  paperDrafts.sort((a, b) => a.date.getTime() - b.date.getTime());
  const perYear = new Map<number, number>();
  const papers: ObjectEntry[] = paperDrafts.map((p, i) => {
    const year = p.date.getUTCFullYear();
    const seq = (perYear.get(year) ?? 0) + 1;
    perYear.set(year, seq);
    const path = `${bodyPath}/papers/${i + 1}`;
    const paperCreated = stamp(p.date, 8);
    const prefix =
      p.type === 'Antrag' ? 'Antrag der Beispielfraktion: ' : p.type === 'Anfrage' ? 'Anfrage zu: ' : p.type === 'Beantwortung einer Anfrage' ? 'Antwort zu: ' : '';
    return {
      path,
      created: paperCreated,
      modified: paperCreated,
      object: {
        id: rel(path),
        type: `${SCHEMA}Paper`,
        body: rel(bodyPath),
        name: `${prefix}${p.topic}`,
        reference: `${pad(seq, 4)}/${year}`,
        date: isoDay(p.date),
        paperType: p.type,
        underDirectionOf: [rel(organizations[p.org]!.path)],
        created: paperCreated,
        modified: paperCreated,
      },
    };
  });

  const persons: ObjectEntry[] = PERSON_NAMES.map(([givenName, familyName], i) => {
    const path = `${bodyPath}/persons/${i + 1}`;
    return {
      path,
      created,
      modified: created,
      object: {
        id: rel(path),
        type: `${SCHEMA}Person`,
        body: rel(bodyPath),
        name: `${givenName} ${familyName}`,
        givenName,
        familyName,
        status: ['Fiktives Ratsmitglied (Beispieldaten)'],
        created,
        modified: created,
      },
    };
  });

  const body: ObjectEntry = {
    path: bodyPath,
    created,
    modified: created,
    object: {
      id: rel(bodyPath),
      type: `${SCHEMA}Body`,
      system: rel(`${API_PATH}/system`),
      shortName: seed.shortName,
      name: gemeinde.name,
      website: seed.website,
      ags: seed.ags,
      rgs: gemeinde.ars,
      classification: gemeinde.gemeinde_typ,
      license: 'https://creativecommons.org/licenses/by/4.0/',
      organization: rel(`${bodyPath}/organizations`),
      person: rel(`${bodyPath}/persons`),
      meeting: rel(`${bodyPath}/meetings`),
      paper: rel(`${bodyPath}/papers`),
      agendaItem: rel(`${bodyPath}/agendaItems`),
      locationList: rel(`${bodyPath}/locations`),
      legislativeTermList: rel(`${bodyPath}/legislativeTerms`),
      legislativeTerm: legislativeTerms.map((t) => t.object),
      location: location.object,
      mainOrganization: rel(organizations[0]!.path),
      created,
      modified: created,
    },
  };

  return {
    ags: seed.ags,
    id: seed.id,
    body,
    lists: { organizations, meetings, papers, persons, agendaItems, locations: [location], legislativeTerms },
    meetingsByOrganization,
  };
}

let loaded: OparlData | null = null;

/** Builds the system once per process (deterministic). */
export function loadOparl(): OparlData {
  if (loaded) return loaded;
  const gemeinden = new Map(readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv').map((r) => [r.ags!, r]));
  const bodies = BODY_SEEDS.map((seed) => {
    const gemeinde = gemeinden.get(seed.ags);
    if (!gemeinde) throw new Error(`AGS ${seed.ags} is not in the register`);
    return buildBody(seed, gemeinde);
  });
  const byPath = new Map<string, Json>();
  for (const b of bodies) {
    byPath.set(b.body.path, b.body.object);
    for (const kind of LIST_KINDS) for (const entry of b.lists[kind]) byPath.set(entry.path, entry.object);
  }
  loaded = {
    system: {
      id: rel(`${API_PATH}/system`),
      type: `${SCHEMA}System`,
      oparlVersion: SCHEMA,
      name: 'Amtsgraph OParl-Stand-in (Beispieldaten)',
      body: rel(`${API_PATH}/bodies`),
      contactName: 'Amtsgraph-Entwicklung (fiktiv)',
      website: rel('/'),
      license: 'https://creativecommons.org/licenses/by/4.0/',
      created: '2024-11-01T09:00:00+01:00',
      modified: '2024-11-01T09:00:00+01:00',
    },
    bodies,
    bodyById: new Map(bodies.map((b) => [b.id, b])),
    byPath,
  };
  return loaded;
}
