import { seededRandom } from '../lib/data';
import { ageOn, registryMunicipalities, residentsOf, STREETS, type Municipality } from '../lib/residents';

/**
 * Data of the gewerbe (trade register) stand-in.
 *
 * Real: the municipalities (AGS, name, postcode of the seat; Destatis GV100AD), the field
 * structure of XGewerbeanzeige (betrieb/eingetragenerName, rechtsformSchluessel,
 * betriebsstaette, taetigkeitSchwerpunkt/taetigkeitSchluessel/stichwort, beteiligtePerson),
 * the legal-form codes (FIM code list "rechtsformen-gaengig", as used in
 * `rechtsformSchluessel`: 170 = e.K., 350 = GmbH, …) and the WZ 2008 activity keys.
 *
 * Synthetic, deterministic and OBVIOUSLY FICTITIOUS: every business, its name (placeholder
 * words such as "Musterbäckerei Beispiel GmbH"; never derived from the owner), address,
 * dates and staff numbers. Each business's owner (`beteiligtePerson`) is a resident that
 * exists in the resident registry stand-ins (stand-ins/lib/residents.ts): an adult with a
 * main residence in the same municipality.
 */

export interface Betrieb {
  /** `GW-<ags>-<6 digits>`, e.g. `GW-05122000-000001`. */
  gewerbebetriebID: string;
  gemeindeSchluessel: string;
  /** `aktiv` (angemeldet) or `abgemeldet`. */
  status: 'aktiv' | 'abgemeldet';
  /** Day the Gewerbe-Anmeldung took effect (YYYY-MM-DD). */
  gueltigAb: string;
  /** Day the Abmeldung took effect; null while active. */
  abmeldedatum: string | null;
  betrieb: { eingetragenerName: string; rechtsformSchluessel: string; rechtsform: string };
  betriebsstaette: { strasse: string; hausNrVon: string; plz: string; ort: string };
  taetigkeit: { taetigkeitSchwerpunkt: string; taetigkeitSchluessel: string; stichwort: string };
  anzahlVollzeitBeschaeftigte: number;
  anzahlTeilzeitBeschaeftigte: number;
  /** The people behind the business: here exactly one, the owner (`personFunktion` 1). */
  beteiligtePerson: { personFunktion: string; melderegisterId: string }[];
}

/** Legal forms (code → text, FIM "rechtsformen-gaengig") with the suffix used in names and a weight. */
const RECHTSFORMEN: readonly { code: string; text: string; suffix: string; weight: number }[] = [
  { code: '180', text: 'nicht eingetragenes Einzelunternehmen', suffix: '', weight: 35 },
  { code: '170', text: 'eingetragenes Einzelunternehmen (e.K.; e.Kfm.; e.Kfr.)', suffix: 'e.K.', weight: 15 },
  { code: '350', text: 'Gesellschaft mit beschränkter Haftung (GmbH)', suffix: 'GmbH', weight: 25 },
  { code: '351', text: 'Unternehmergesellschaft (haftungsbeschränkt)', suffix: 'UG (haftungsbeschränkt)', weight: 8 },
  { code: '270', text: 'Gesellschaft des bürgerlichen Rechts (GbR; BGB-Gesellschaft)', suffix: 'GbR', weight: 7 },
  { code: '210', text: 'Offene Handelsgesellschaft (OHG)', suffix: 'OHG', weight: 3 },
  { code: '220', text: 'Kommanditgesellschaft (KG)', suffix: 'KG', weight: 3 },
  { code: '230', text: 'GmbH & Co. KG', suffix: 'GmbH & Co. KG', weight: 4 },
];

/** Activities (Tätigkeitsschwerpunkt, WZ 2008 key, Stichwort) with the stem of business names. */
const TAETIGKEITEN: readonly { schwerpunkt: string; schluessel: string; stichwort: string; stem: string }[] = [
  { schwerpunkt: 'Bäckerei', schluessel: '10710', stichwort: 'Herstellung von Backwaren (ohne Dauerbackwaren)', stem: 'Musterbäckerei' },
  { schwerpunkt: 'Friseur', schluessel: '96021', stichwort: 'Friseurgewerbe (Damen- und Herrenfriseursalons)', stem: 'Musterfriseur' },
  { schwerpunkt: 'Catering', schluessel: '56210', stichwort: 'Caterer (Event-)', stem: 'Testcatering' },
  { schwerpunkt: 'Elektroinstallation', schluessel: '43210', stichwort: 'Elektroinstallation', stem: 'Beispielelektro' },
  { schwerpunkt: 'Gebäudereinigung', schluessel: '81210', stichwort: 'Allgemeine Gebäudereinigung', stem: 'Probeglanz Gebäudereinigung' },
  { schwerpunkt: 'Gaststätte', schluessel: '56101', stichwort: 'Restaurants mit herkömmlicher Bedienung', stem: 'Gasthaus Zum Musterkrug' },
  { schwerpunkt: 'Softwareentwicklung', schluessel: '62010', stichwort: 'Programmierungstätigkeiten', stem: 'Exempel Software' },
  { schwerpunkt: 'Blumeneinzelhandel', schluessel: '47761', stichwort: 'Einzelhandel mit Blumen, Pflanzen, Sämereien und Düngemitteln', stem: 'Blumen Muster' },
  { schwerpunkt: 'Taxiunternehmen', schluessel: '49320', stichwort: 'Betrieb von Taxis', stem: 'Testtaxi' },
  { schwerpunkt: 'Lebensmitteleinzelhandel', schluessel: '47110', stichwort: 'Einzelhandel mit Waren verschiedener Art, Hauptrichtung Nahrungs- und Genussmittel', stem: 'Mustermarkt' },
];

/** Second name part: placeholder words, independent of the owner. */
const NAME_PARTS = ['Beispiel', 'Muster', 'Exempel', 'Probe', 'Demo', 'Vorlage', 'Platzhalter'] as const;

export const MIN_BETRIEBE = 40;
export const MAX_BETRIEBE = 80;

const FIRST_DAY = Date.UTC(1990, 0, 1);
const LAST_DAY = Date.UTC(2025, 11, 31);
const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

function weightedRechtsform(random: () => number) {
  const total = RECHTSFORMEN.reduce((s, r) => s + r.weight, 0);
  let roll = random() * total;
  for (const r of RECHTSFORMEN) {
    roll -= r.weight;
    if (roll < 0) return r;
  }
  return RECHTSFORMEN[0]!;
}

function generate(m: Municipality, number: number): Betrieb {
  const random = seededRandom(`gewerbe:${m.ags}:${number}`);
  const taetigkeit = pick(random, TAETIGKEITEN);
  const rechtsform = weightedRechtsform(random);
  const name = [taetigkeit.stem, pick(random, NAME_PARTS), rechtsform.suffix].filter(Boolean).join(' ');
  const gueltigAbMs = FIRST_DAY + Math.floor(random() * ((LAST_DAY - FIRST_DAY) / DAY_MS + 1)) * DAY_MS;
  const gueltigAb = isoDay(gueltigAbMs);
  const abgemeldet = random() < 0.15;
  const abmeldedatum = abgemeldet ? isoDay(gueltigAbMs + Math.floor(random() * ((LAST_DAY - gueltigAbMs) / DAY_MS + 1)) * DAY_MS) : null;
  // The owner: an adult (on the day of registration) with a main residence here.
  const eligible = residentsOf(m.ags).filter((r) => r.status === 'MAIN_RESIDENCE' && ageOn(r.birthDate, gueltigAb) >= 18);
  const owner = pick(random, eligible);
  return {
    gewerbebetriebID: `GW-${m.ags}-${String(number).padStart(6, '0')}`,
    gemeindeSchluessel: m.ags,
    status: abgemeldet ? 'abgemeldet' : 'aktiv',
    gueltigAb,
    abmeldedatum,
    betrieb: { eingetragenerName: name, rechtsformSchluessel: rechtsform.code, rechtsform: rechtsform.text },
    betriebsstaette: { strasse: pick(random, STREETS), hausNrVon: String(1 + Math.floor(random() * 120)), plz: m.postcode, ort: m.city },
    taetigkeit: { taetigkeitSchwerpunkt: taetigkeit.schwerpunkt, taetigkeitSchluessel: taetigkeit.schluessel, stichwort: taetigkeit.stichwort },
    anzahlVollzeitBeschaeftigte: Math.floor(random() * 20),
    anzahlTeilzeitBeschaeftigte: Math.floor(random() * 10),
    beteiligtePerson: [{ personFunktion: '1', melderegisterId: owner.id }],
  };
}

/** Number of businesses of a served municipality (40…80, derived from the AGS). */
export function betriebTotal(ags: string): number {
  return MIN_BETRIEBE + Math.floor(seededRandom(`gewerbe:${ags}:count`)() * (MAX_BETRIEBE - MIN_BETRIEBE + 1));
}

const cache = new Map<string, Betrieb[]>();

/** All businesses of a served municipality, ordered by id; empty for any other AGS. */
export function betriebeOf(ags: string): Betrieb[] {
  const cached = cache.get(ags);
  if (cached) return cached;
  const m = registryMunicipalities().get(ags);
  const list = m ? Array.from({ length: betriebTotal(ags) }, (_, i) => generate(m, i + 1)) : [];
  cache.set(ags, list);
  return list;
}

const ID = /^GW-(\d{8})-(\d{6})$/;

export function betriebById(id: string): Betrieb | undefined {
  const match = ID.exec(id);
  if (!match) return undefined;
  return betriebeOf(match[1]!)[Number(match[2]) - 1];
}

/** AGS of the municipalities this trade register serves. */
export function gewerbeMunicipalities(): string[] {
  return [...registryMunicipalities().keys()];
}
