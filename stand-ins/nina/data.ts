import { createHash } from 'node:crypto';
import { readCsv, seededRandom } from '../lib/data';

/**
 * Synthetic, deterministic NINA test warnings over the real German districts (Destatis
 * GV100AD, Gebietsstand 30.11.2021). Every warning is an exercise: CAP `status` is
 * "Exercise" and every headline starts with "Übung:". All warnings are dated on the fixed
 * exercise day 2025-09-11 (the Bundesweiter Warntag 2025), so the data is the same on every run.
 */

/** The day all synthetic warnings are sent on (CEST, UTC+2). */
export const EXERCISE_DAY = '2025-09-11';
export const HEADLINE_PREFIX = 'Übung: ';

export type Provider = 'MOWAS' | 'DWD' | 'LHP';
export type CapSeverity = 'Minor' | 'Moderate' | 'Severe' | 'Extreme';

export interface District {
  kreisKey: string;
  /** District-level ARS, 12 digits: kreisKey + "0000000". */
  ars: string;
  name: string;
  landAbbr: string;
}

/** One synthetic warning with everything the dashboard, detail and map documents need. */
export interface NinaWarning {
  id: string;
  provider: Provider;
  /** Event name as CAP `info.event`, e.g. "STURMBÖEN". */
  event: string;
  /** BBK event code (`transKeys.event`, CAP eventCode `profile:DE-BBK-EVENTCODE`). */
  eventCode: string;
  category: string;
  severity: CapSeverity;
  urgency: string;
  certainty: string;
  headline: string;
  description: string;
  instruction: string;
  sender: string;
  senderName: string;
  sent: string;
  expires: string;
  version: number;
  district: District;
}

interface Template {
  provider: Provider;
  event: string;
  eventCode: string;
  category: string;
  severities: CapSeverity[];
  urgency: string;
  certainty: string;
  headline: (d: District) => string;
  description: (d: District) => string;
  instruction: string;
}

const place = (d: District) => d.name.replace(/, .*$/, '');

/** Illustrative templates; event codes follow the BBK-EVC-NNN pattern. */
export const TEMPLATES: Record<string, Template> = {
  sturmboeen: {
    provider: 'DWD',
    event: 'STURMBÖEN',
    eventCode: 'BBK-EVC-050',
    category: 'Met',
    severities: ['Moderate'],
    urgency: 'Immediate',
    certainty: 'Likely',
    headline: () => 'Amtliche WARNUNG vor STURMBÖEN',
    description: (d) =>
      `Es treten Sturmböen mit Geschwindigkeiten zwischen 60 km/h und 85 km/h aus westlicher Richtung auf (${place(d)}). Dies ist eine Testwarnung.`,
    instruction: 'Achten Sie besonders auf herabstürzende Äste, Dachziegel oder Gegenstände. Dies ist eine Übung.',
  },
  gewitter: {
    provider: 'DWD',
    event: 'GEWITTER',
    eventCode: 'BBK-EVC-051',
    category: 'Met',
    severities: ['Moderate', 'Severe'],
    urgency: 'Immediate',
    certainty: 'Likely',
    headline: () => 'Amtliche WARNUNG vor GEWITTER',
    description: (d) =>
      `Von Westen ziehen einzelne Gewitter über ${place(d)} auf. Dabei gibt es Sturmböen um 70 km/h und Starkregen. Dies ist eine Testwarnung.`,
    instruction: 'Schließen Sie Fenster und Türen. Meiden Sie freie Flächen. Dies ist eine Übung.',
  },
  glaette: {
    provider: 'DWD',
    event: 'GLÄTTE',
    eventCode: 'BBK-EVC-052',
    category: 'Met',
    severities: ['Minor'],
    urgency: 'Expected',
    certainty: 'Likely',
    headline: () => 'Amtliche WARNUNG vor GLÄTTE',
    description: (d) => `Örtlich wird es glatt in ${place(d)}. Dies ist eine Testwarnung.`,
    instruction: 'Fahren Sie vorsichtig und rechnen Sie mit Glätte auf Gehwegen. Dies ist eine Übung.',
  },
  bombenentschaerfung: {
    provider: 'MOWAS',
    event: 'Bombenentschärfung',
    eventCode: 'BBK-EVC-016',
    category: 'Safety',
    severities: ['Severe'],
    urgency: 'Immediate',
    certainty: 'Observed',
    headline: (d) => `Bombenentschärfung in ${place(d)}`,
    description: (d) =>
      `In ${place(d)} wird ein Blindgänger aus dem Zweiten Weltkrieg entschärft. Der Sperrbereich wird geräumt. Dies ist eine Testwarnung.`,
    instruction: 'Verlassen Sie den Sperrbereich. Folgen Sie den Anweisungen der Einsatzkräfte. Dies ist eine Übung.',
  },
  grossbrand: {
    provider: 'MOWAS',
    event: 'Großbrand',
    eventCode: 'BBK-EVC-001',
    category: 'Fire',
    severities: ['Moderate', 'Severe'],
    urgency: 'Immediate',
    certainty: 'Observed',
    headline: (d) => `Großbrand mit Rauchentwicklung in ${place(d)}`,
    description: (d) =>
      `In ${place(d)} brennt eine Lagerhalle. Es kommt zu starker Rauchentwicklung. Dies ist eine Testwarnung.`,
    instruction: 'Halten Sie Fenster und Türen geschlossen. Schalten Sie Lüftungs- und Klimaanlagen ab. Dies ist eine Übung.',
  },
  hochwasser: {
    provider: 'LHP',
    event: 'Hochwasser',
    eventCode: 'BBK-EVC-034',
    category: 'Env',
    severities: ['Minor', 'Moderate', 'Severe'],
    urgency: 'Expected',
    certainty: 'Likely',
    headline: (d) => `Hochwasserinformation für ${place(d)}`,
    description: (d) =>
      `An den Pegeln in ${place(d)} steigen die Wasserstände. Die Meldestufe 1 wird überschritten. Dies ist eine Testwarnung.`,
    instruction: 'Informieren Sie sich über die Wasserstände und sichern Sie Keller und Uferbereiche. Dies ist eine Übung.',
  },
};
const TEMPLATE_KEYS = Object.keys(TEMPLATES);

const SENDERS: Record<Provider, { sender: string; name: (d: District) => string }> = {
  DWD: { sender: 'opendata@dwd.de', name: () => 'Deutscher Wetterdienst' },
  MOWAS: { sender: 'DE-NW-LS', name: (d) => `Leitstelle ${place(d)} (Übungsbetrieb)` },
  LHP: { sender: 'lhp@hochwasserzentralen.de', name: () => 'Länderübergreifendes Hochwasserportal' },
};

/** Fixed choices for the districts the tests and demos rely on. */
const FIXED: Record<string, { template: string; severity: CapSeverity }[]> = {
  // Solingen: two active warnings.
  '05122': [
    { template: 'bombenentschaerfung', severity: 'Severe' },
    { template: 'sturmboeen', severity: 'Moderate' },
  ],
  // Städteregion Aachen: two active warnings.
  '05334': [
    { template: 'hochwasser', severity: 'Moderate' },
    { template: 'gewitter', severity: 'Severe' },
  ],
  // Bremen: deliberately no warning (an empty dashboard is a normal answer).
  '04011': [],
};

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const hex = (rng: () => number, length: number) =>
  Array.from({ length }, () => Math.floor(rng() * 16).toString(16)).join('');

function buildWarning(d: District, templateKey: string, severity: CapSeverity, seq: number, rng: () => number): NinaWarning {
  const t = TEMPLATES[templateKey]!;
  const hour = 6 + Math.floor(rng() * 12);
  const minute = Math.floor(rng() * 60);
  const sent = `${EXERCISE_DAY}T${pad(hour)}:${pad(minute)}:00+02:00`;
  const expires = `${EXERCISE_DAY}T${pad(Math.min(hour + 6, 23))}:${pad(minute)}:00+02:00`;
  const compact = EXERCISE_DAY.replace(/-/g, '');
  let id: string;
  if (t.provider === 'MOWAS') {
    id = `mow.DE-${d.landAbbr}-${d.kreisKey}-UEB${pad(seq, 3)}-${compact}-${pad(seq, 3)}-000`;
  } else if (t.provider === 'DWD') {
    const epochMs = Date.parse(sent);
    id = `dwdmap.2.49.0.0.276.0.DWD.PVW.${epochMs}.${hex(rng, 8)}-${hex(rng, 4)}-${hex(rng, 4)}-${hex(rng, 4)}-${hex(rng, 12)}.MUL.${d.kreisKey}`;
  } else {
    id = `lhp.HOCHWASSERZENTRALEN.DE.${d.landAbbr}.${d.kreisKey}.${compact}.${pad(seq, 3)}`;
  }
  const sender = SENDERS[t.provider];
  return {
    id,
    provider: t.provider,
    event: t.event,
    eventCode: t.eventCode,
    category: t.category,
    severity,
    urgency: t.urgency,
    certainty: t.certainty,
    headline: HEADLINE_PREFIX + t.headline(d),
    description: t.description(d),
    instruction: t.instruction,
    sender: sender.sender,
    senderName: sender.name(d),
    sent,
    expires,
    version: 1 + Math.floor(rng() * 3),
    district: d,
  };
}

export interface NinaData {
  districts: Map<string, District>;
  /** Warnings per district ARS (12 digits), in the order the dashboard lists them. */
  byArs: Map<string, NinaWarning[]>;
  byId: Map<string, NinaWarning>;
  all: NinaWarning[];
}

let loaded: NinaData | null = null;

/**
 * Builds the warnings once per process. About one district in four gets one or two warnings
 * (seeded by the district key); Solingen, Aachen and Bremen are fixed (see FIXED).
 */
export function loadNina(): NinaData {
  if (loaded) return loaded;
  const districts = new Map<string, District>();
  const byArs = new Map<string, NinaWarning[]>();
  const byId = new Map<string, NinaWarning>();
  const all: NinaWarning[] = [];
  for (const r of readCsv('municipalities/kreise_de_gv100ad_2021-11-30.csv')) {
    const d: District = { kreisKey: r.kreis_key!, ars: `${r.kreis_key!}0000000`, name: r.name!, landAbbr: r.land_abbr! };
    districts.set(d.ars, d);
    const rng = seededRandom(`nina:${d.kreisKey}`);
    let picks = FIXED[d.kreisKey];
    if (!picks) {
      const roll = rng();
      const count = roll < 0.75 ? 0 : roll < 0.93 ? 1 : 2;
      picks = [];
      for (let i = 0; i < count; i++) {
        const template = TEMPLATE_KEYS[Math.floor(rng() * TEMPLATE_KEYS.length)]!;
        const options = TEMPLATES[template]!.severities;
        picks.push({ template, severity: options[Math.floor(rng() * options.length)]! });
      }
    }
    const warnings = picks.map((p, i) => buildWarning(d, p.template, p.severity, i + 1, rng));
    byArs.set(d.ars, warnings);
    for (const w of warnings) {
      byId.set(w.id, w);
      all.push(w);
    }
  }
  loaded = { districts, byArs, byId, all };
  return loaded;
}

/** The dashboard entry (ARSOverviewResult item) for a warning. */
export function toDashboardEntry(w: NinaWarning) {
  const data = {
    headline: w.headline,
    provider: w.provider,
    severity: w.severity,
    msgType: 'Alert',
    transKeys: { event: w.eventCode },
    area: { type: 'ZGEM', data: `1+${w.district.ars}` },
  };
  return {
    id: w.id,
    payload: {
      version: w.version,
      type: 'ALERT',
      id: w.id,
      hash: createHash('sha256').update(JSON.stringify(data)).digest('hex'),
      data,
    },
    i18nTitle: { de: w.headline },
    sent: w.sent,
  };
}

/** The CAP-style detail document (`/warnings/{id}.json`). */
export function toDetail(w: NinaWarning) {
  return {
    identifier: w.id,
    sender: w.sender,
    sent: w.sent,
    status: 'Exercise',
    msgType: 'Alert',
    scope: 'Public',
    code: ['id:synthetic-test-warning'],
    info: [
      {
        language: 'de-DE',
        category: [w.category],
        event: w.event,
        urgency: w.urgency,
        severity: w.severity,
        certainty: w.certainty,
        eventCode: [{ valueName: 'profile:DE-BBK-EVENTCODE', value: w.eventCode }],
        effective: w.sent,
        onset: w.sent,
        expires: w.expires,
        senderName: w.senderName,
        headline: w.headline,
        description: w.description,
        instruction: w.instruction,
        web: 'https://warnung.bund.de',
        parameter: [{ valueName: 'sender_langname', value: w.senderName }],
        area: [
          {
            areaDesc: w.district.name,
            geocode: [{ valueName: 'AreaId', value: w.district.ars }],
          },
        ],
      },
    ],
  };
}

/** The map entry (MapWarnings item) for a warning. */
export function toMapEntry(w: NinaWarning) {
  return {
    id: w.id,
    version: w.version,
    startDate: w.sent,
    severity: w.severity,
    type: 'Alert',
    i18nTitle: { de: w.headline },
  };
}
