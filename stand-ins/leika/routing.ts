import { createHash } from 'node:crypto';
import type { Leistung, LeikaData, RegisterGemeinde } from './data';

/**
 * The stand-in's deterministic responsibility rule ("Zuständigkeit"): which authority is
 * responsible for a LeiKa service in a municipality. Real routing data (PVOG/XZuFi) is not
 * public as a dataset, so the rule below derives a plausible authority from
 *
 *   1. the service's LeiKa Typisierung (who executes it: Bund, Land or Kommune),
 *   2. the OZG Lebenslage of the service (which office of a Kommune handles it, and whether
 *      that office sits at the Kreis for kreisangehörige Gemeinden),
 *   3. the real register facts of the municipality (GV100AD names, Kreis, Gemeindeverband,
 *      Regierungsbezirk, Land).
 *
 * README.md documents the rule in full. Every name is built from a register name plus an
 * office label (or is the name of a real federal authority); no people, addresses or
 * contact data are invented.
 */

export type Level = 'bund' | 'land' | 'kommune';

/** Executing level from the LeiKa Typisierung; the most local level listed wins. */
export function executingLevel(leikaTyp: string | null): Level | null {
  if (!leikaTyp) return null;
  const tokens = leikaTyp.split(',').map((t) => t.trim());
  if (tokens.some((t) => t === '2/3' || t === '3' || t === '5' || t === '6')) return 'kommune';
  if (tokens.some((t) => t === '2' || t === '4')) return 'land';
  if (tokens.includes('1')) return 'bund';
  return null;
}

interface Office {
  office: string;
  /** True when a Kreis (not the kreisangehörige Gemeinde) runs this office. */
  kreis: boolean;
}

const G = (office: string): Office => ({ office, kreis: false });
const K = (office: string): Office => ({ office, kreis: true });

/** Municipal office per OZG Lebenslage (all 55 Lebenslagen of the OZG table). */
export const OFFICE_BY_LEBENSLAGE: Readonly<Record<string, Office>> = {
  '(Drohender) Arbeitsplatzverlust & -suche': K('Sozialamt'),
  'Abfall & Umweltschutz': K('Umweltamt'),
  'Adoption & Pflegekinder': K('Jugendamt'),
  Altersvorsorge: K('Sozialamt'),
  'Anlagen & Stoffe': K('Umweltamt'),
  'Arbeitgeber sein': G('Ordnungsamt'),
  Arbeitsplatzwechsel: G('Bürgeramt'),
  Arbeitssicherheit: G('Ordnungsamt'),
  'Aus-, Weiterbildung & Sachkunde': G('Ordnungsamt'),
  Auslandsaufenthalt: G('Bürgeramt'),
  Auslandsgeschäft: G('Ordnungsamt'),
  'Ausschreibungen & öffentliche Aufträge': G('Vergabestelle'),
  Auswanderung: G('Bürgeramt'),
  'Bauen & Immobilien': K('Bauaufsichtsamt'),
  Behinderung: K('Sozialamt'),
  Berufsausbildung: K('Schulamt'),
  Bootsbesitz: G('Ordnungsamt'),
  Eheschließung: G('Standesamt'),
  Einwanderung: K('Ausländerbehörde'),
  'Engagement & Beteiligung': G('Bürgeramt'),
  'Finanzielle Existenzsicherung/Unterstützung bei finanziellen Problemen': K('Sozialamt'),
  'Finanzierung & Förderung': G('Wirtschaftsförderung'),
  'Fischen & Jagen': K('Untere Jagdbehörde'),
  'Forschung & Entwicklung': G('Wirtschaftsförderung'),
  Führerschein: K('Straßenverkehrsamt'),
  Geburt: G('Standesamt'),
  'Gerichtliche und außergerichtliche Verfahren': G('Rechtsamt'),
  'Geschäftsauflösung & Unternehmensübergang': G('Gewerbeamt'),
  Gesundheitsvorsorge: K('Gesundheitsamt'),
  'Hausbau & Immobilienerwerb': K('Bauaufsichtsamt'),
  'Kfz-Besitz': K('Straßenverkehrsamt'),
  Kinderbetreuung: K('Jugendamt'),
  Krankheit: K('Gesundheitsamt'),
  'Logistik & Transport': K('Straßenverkehrsamt'),
  Naturkatastrophen: G('Ordnungsamt'),
  Pflege: K('Sozialamt'),
  'Querschnitt Bürger': G('Bürgeramt'),
  'Querschnitt Unternehmen': G('Gewerbeamt'),
  'Rechtsverstöße - Anzeigen und Hilfen für Opfer': G('Ordnungsamt'),
  'Rente & Soziale Entschädigung': G('Versicherungsamt'),
  Scheidung: G('Standesamt'),
  Schule: K('Schulamt'),
  'Statistik- & Berichtspflichten': G('Statistikstelle'),
  Steuererklärung: G('Steueramt'),
  'Steuern & Abgaben': G('Steueramt'),
  Studium: K('Amt für Ausbildungsförderung'),
  Tierhaltung: K('Veterinäramt'),
  Tod: G('Standesamt'),
  'Trennung mit Kind': K('Jugendamt'),
  'Unternehmensstart & Gewerbezulassung': G('Gewerbeamt'),
  'Veranstaltung durchführen': G('Ordnungsamt'),
  Veranstaltungen: G('Ordnungsamt'),
  Weiterbildung: G('Amt für Schule und Weiterbildung'),
  'Weitere Leistungen': G('Ordnungsamt'),
  'Wohnen & Umzug': G('Bürgeramt'),
};
const DEFAULT_OFFICE = G('Bürgeramt');

/** Real federal authorities, one per OZG Themenfeld (a simplification; see README). */
export const FEDERAL_BY_THEMENFELD: Readonly<Record<string, string>> = {
  'Arbeit & Ruhestand': 'Bundesagentur für Arbeit',
  'Bauen & Wohnen': 'Bundesamt für Bauwesen und Raumordnung',
  Bildung: 'Bundesverwaltungsamt',
  'Ein- & Auswanderung': 'Bundesamt für Migration und Flüchtlinge',
  'Engagement & Hobby': 'Bundesverwaltungsamt',
  'Familie & Kind': 'Bundesamt für Familie und zivilgesellschaftliche Aufgaben',
  'Forschung & Förderung': 'Bundesverwaltungsamt',
  Gesundheit: 'Bundesinstitut für Arzneimittel und Medizinprodukte',
  'Mobilität & Reisen': 'Kraftfahrt-Bundesamt',
  Querschnitt: 'Bundesverwaltungsamt',
  'Recht & Ordnung': 'Bundesamt für Justiz',
  'Steuern & Zoll': 'Bundeszentralamt für Steuern',
  Umwelt: 'Umweltbundesamt',
  'Unternehmensführung & -entwicklung': 'Bundesamt für Wirtschaft und Ausfuhrkontrolle',
};
const DEFAULT_FEDERAL = 'Bundesverwaltungsamt';

/** Official style of the state itself where it is not "Land <name>". */
const STATE_STYLE: Readonly<Record<string, string>> = {
  '02': 'Freie und Hansestadt Hamburg',
  '04': 'Freie Hansestadt Bremen',
  '09': 'Freistaat Bayern',
  '11': 'Land Berlin',
  '14': 'Freistaat Sachsen',
  '16': 'Freistaat Thüringen',
};

/** The official name prefixes a GV100AD name suffix stands for ("Kiel, Landeshauptstadt"). */
const SUFFIX_PREFIX: Readonly<Record<string, string>> = {
  'Freie und Hansestadt': 'Freie und Hansestadt',
  Landeshauptstadt: 'Landeshauptstadt',
  Hansestadt: 'Hansestadt',
  Universitätsstadt: 'Universitätsstadt',
  Lutherstadt: 'Lutherstadt',
  M: 'Markt',
  Markt: 'Markt',
  Marktgemeinde: 'Markt',
  Flecken: 'Flecken',
  Marktflecken: 'Flecken',
};

const CITY_TYPES = new Set(['Stadt', 'Kreisfreie Stadt', 'Stadtkreis', 'Große Kreisstadt']);

/** "Solingen, Klingenstadt" → "Stadt Solingen"; "Kiel, Landeshauptstadt" → "Landeshauptstadt Kiel". */
export function municipalityAuthorityName(g: Pick<RegisterGemeinde, 'name' | 'gemeindeTyp' | 'landCode'>): string {
  if (g.landCode === '11') return STATE_STYLE['11']!;
  const comma = g.name.indexOf(', ');
  const base = comma >= 0 ? g.name.slice(0, comma) : g.name;
  const suffix = comma >= 0 ? g.name.slice(comma + 2) : '';
  const firstSuffix = suffix.split(', ')[0] ?? '';
  const prefix = SUFFIX_PREFIX[suffix] ?? SUFFIX_PREFIX[firstSuffix];
  if (prefix) return `${prefix} ${base}`;
  if (g.gemeindeTyp === 'Markt') return `Markt ${base}`;
  if (CITY_TYPES.has(g.gemeindeTyp) || /stadt|^St$|^GKSt$/i.test(suffix)) return `Stadt ${base}`;
  return `Gemeinde ${base}`;
}

/** "Mettmann" (Kreis) → "Kreis Mettmann"; "Städteregion Aachen", "Rhein-Sieg-Kreis" stay as they are. */
export function kreisAuthorityName(kreis: { name: string; kreisTyp: string }): string {
  if (/kreis|region|verband/i.test(kreis.name)) return kreis.name;
  return `${kreis.kreisTyp} ${kreis.name}`;
}

/** Gemeindeverbände whose administration runs the municipal services of their members. */
const ADMINISTERING_VERBAND = new Set(['Amt', 'Verbandsgemeinde', 'Samtgemeinde']);

function verbandAuthorityName(g: RegisterGemeinde): string {
  if (g.verbandName.startsWith(`${g.verbandTyp} `)) return g.verbandName;
  return `${g.verbandTyp} ${g.verbandName.split(', ')[0]}`;
}

function stateAuthorityName(g: RegisterGemeinde): string {
  const rb = g.regierungsbezirkName.replace(/^Reg\.-Bez\. /, '');
  if (g.regierungsbezirkName.startsWith('Reg.-Bez. ')) {
    if (g.landCode === '05') return `Bezirksregierung ${rb}`;
    if (g.landCode === '06' || g.landCode === '08') return `Regierungspräsidium ${rb}`;
  }
  if (g.landCode === '09' && rb) return rb === 'Oberpfalz' ? 'Regierung der Oberpfalz' : `Regierung von ${rb}`;
  return STATE_STYLE[g.landCode] ?? `Land ${g.landName}`;
}

/** A responsible authority as the stand-in derives it; `areaArs` is the 12-digit ARS it serves. */
export interface Authority {
  name: string;
  shortName: string;
  level: 'bund' | 'land' | 'kreis' | 'verband' | 'gemeinde';
  areaArs: string;
  logoKey: string;
}

const place = (name: string) => name.split(', ')[0]!;

/** The one authority responsible for `leistung` in municipality `g`, or null (no typification). */
export function responsibleAuthority(data: LeikaData, leistung: Leistung, g: RegisterGemeinde): Authority | null {
  const level = executingLevel(leistung.leikaTyp);
  if (!level) return null;
  if (level === 'bund') {
    const name = FEDERAL_BY_THEMENFELD[leistung.themenfeld ?? ''] ?? DEFAULT_FEDERAL;
    return { name, shortName: name, level: 'bund', areaArs: '000000000000', logoKey: 'bund' };
  }
  if (level === 'land') {
    const area = stateAuthorityName(g);
    const office = leistung.themenfeld ? `Bereich ${leistung.themenfeld}` : 'Landesverwaltung';
    const areaArs = area.startsWith('Bezirksregierung') || area.startsWith('Regier')
      ? `${g.ars.slice(0, 3)}000000000`
      : `${g.landCode}0000000000`;
    return { name: `${area} – ${office}`, shortName: area, level: 'land', areaArs, logoKey: g.landAbbr.toLowerCase() };
  }
  const { office, kreis: atKreis } = OFFICE_BY_LEBENSLAGE[leistung.lebenslage ?? ''] ?? DEFAULT_OFFICE;
  const kreis = data.kreise.get(g.kreisKey);
  const kreisfrei = !kreis || kreis.kreisTyp === 'Kreisfreie Stadt' || kreis.kreisTyp === 'Stadtkreis';
  const gemeindefrei = g.gemeindeTyp.startsWith('gemeindefreies Gebiet');
  const logoKey = g.landAbbr.toLowerCase();
  if (kreis && !kreisfrei && (atKreis || gemeindefrei)) {
    return {
      name: `${kreisAuthorityName(kreis)} – ${office}`,
      shortName: `${office} ${place(kreis.name)}`,
      level: 'kreis',
      areaArs: `${g.kreisKey}0000000`,
      logoKey,
    };
  }
  if (ADMINISTERING_VERBAND.has(g.verbandTyp)) {
    return {
      name: `${verbandAuthorityName(g)} – ${office}`,
      shortName: `${office} ${place(g.verbandName)}`,
      level: 'verband',
      areaArs: `${g.verbandKey}000`,
      logoKey,
    };
  }
  return {
    name: `${municipalityAuthorityName(g)} – ${office}`,
    shortName: `${office} ${place(g.name)}`,
    level: 'gemeinde',
    areaArs: g.ars,
    logoKey,
  };
}

/** A UUID-shaped (version 5 layout) id derived from a key: same key, same id, every run. */
export function deterministicUuid(name: string): string {
  const h = createHash('sha1').update(`leika-stand-in:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The route object of the FIT-Connect route-result for one authority and service. */
export function toRoute(authority: Authority, leistung: Leistung) {
  const destinationId = deterministicUuid(`${authority.areaArs}:${authority.name}`);
  // JWS-shaped but not verifiable: alg "none", the third part is a plain SHA-256 of the first two.
  const header = b64({ typ: 'jwt', alg: 'none', kid: 'leika-stand-in' });
  const payload = b64({
    iss: 'leika-stand-in',
    submissionHost: 'submission.stand-in.invalid',
    destinationId,
    services: [
      {
        gebietIDs: [`urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:${authority.areaArs}`],
        leistungIDs: [`urn:de:fim:leika:leistung:${leistung.leikaSchluessel}`],
      },
    ],
  });
  const signature = createHash('sha256').update(`${header}.${payload}`).digest('base64url');
  return {
    destinationId,
    destinationSignature: `${header}.${payload}.${signature}`,
    destinationParameters: {
      submissionUrl: 'https://submission.stand-in.invalid/v1',
      status: 'active',
      submissionSchemas: [{ schemaUri: `urn:stand-in:leika:fachdaten:${leistung.leikaSchluessel}`, mimeType: 'application/json' }],
    },
    destinationName: authority.name,
    destinationShortName: authority.shortName,
    destinationLogo: `https://logos.stand-in.invalid/${authority.logoKey}.svg`,
    origin: 'leika-stand-in',
  };
}
