import { readCsv } from '../lib/data';

/**
 * Data behind the leika stand-in, all read from stand-ins/data/ once per process:
 *
 * - the LeiKa service catalogue and OZG-Leistungen from the KDN "OZG-Datenbank NRW" (MIT),
 * - the Destatis GV100AD municipality register (dl-de/by-2-0),
 * - the ERiC tax-office list from digitalservicebund/erica (MIT).
 */

/** One LeiKa service as the catalogue contract serves it. */
export interface Leistung {
  leikaSchluessel: string;
  name: string;
  /** LeiKa Typisierung as in the catalogue, e.g. "2/3", "1", "4", "1, 2/3"; null when not typified. */
  leikaTyp: string | null;
  ozgId: string | null;
  ozgLeistung: string | null;
  /** Legal basis as free text with links to gesetze-im-internet.de in brackets. */
  rechtsgrundlage: string | null;
  gesetze: string | null;
  gesetzeKurz: string | null;
  lebenslage: string | null;
  themenfeld: string | null;
  sdgAnhang1: boolean;
  sdgAnhang2: boolean;
}

/** The register facts the routing rule needs (a subset of GV100AD Satzart 60). */
export interface RegisterGemeinde {
  ags: string;
  ars: string;
  name: string;
  gemeindeTyp: string;
  landCode: string;
  landAbbr: string;
  landName: string;
  regierungsbezirkCode: string;
  regierungsbezirkName: string;
  kreisKey: string;
  verbandKey: string;
  verbandName: string;
  verbandTyp: string;
  finanzamtCode: string | null;
}

export interface RegisterKreis {
  kreisKey: string;
  name: string;
  kreisTyp: string;
}

export interface Finanzamt {
  bufaNr: string;
  name: string;
  /** Two-letter state abbreviation, e.g. "NW". */
  land: string;
  landName: string;
}

export interface LeikaData {
  leistungen: Leistung[];
  leistungByKey: Map<string, Leistung>;
  gemeinden: RegisterGemeinde[];
  gemeindeByAgs: Map<string, RegisterGemeinde>;
  gemeindeByArs: Map<string, RegisterGemeinde>;
  kreise: Map<string, RegisterKreis>;
  finanzaemter: Map<string, Finanzamt>;
}

/**
 * Tax-office numbers of GV100AD 2021 that the ERiC list of 2022 knows under another number:
 *
 * - 2471 → 2460: Bremen-Stadt's office is now "Finanzamt Bremen" 2460 (documented in the data's
 *   SOURCES.md);
 * - 5318 → 5319: GV100AD gives Gelsenkirchen 5318; the ERiC list has no 5318 and exactly one
 *   Gelsenkirchen office, 5319 "Finanzamt Gelsenkirchen" (an inference from the two lists).
 *
 * Other codes missing from the ERiC list (mainly Schleswig-Holstein, Mecklenburg-Vorpommern and
 * Hamburg's 2202) are not guessed: those municipalities have no tax office in this stand-in.
 */
export const BUFA_RENUMBERED: Readonly<Record<string, string>> = { '2471': '2460', '5318': '5319' };

const LEIKA_KEY = /^\d{14}$/;
const orNull = (value: string | undefined): string | null => (value && value.trim() ? value.trim() : null);

let loaded: LeikaData | null = null;

export function loadLeikaData(): LeikaData {
  if (loaded) return loaded;

  const themenfeldByLebenslage = new Map(
    readCsv('leika/ozg_lebenslagen_themenfelder.csv').map((r) => [r.lebenslage!, r.themenfeld!]),
  );
  const ozgByRef = new Map(readCsv('leika/ozg_leistungen_ozg-datenbank-nrw.csv').map((r) => [r.id!, r]));

  const leistungen: Leistung[] = [];
  const leistungByKey = new Map<string, Leistung>();
  for (const r of readCsv('leika/leika_leistungen_ozg-datenbank-nrw.csv')) {
    const key = r.leika_key ?? '';
    if (!LEIKA_KEY.test(key) || leistungByKey.has(key)) continue;
    const ozg = r.ozg_leistung_ref ? ozgByRef.get(r.ozg_leistung_ref) : undefined;
    const lebenslage = orNull(ozg?.lebenslage);
    const leistung: Leistung = {
      leikaSchluessel: key,
      name: r.name!.trim(),
      leikaTyp: orNull(r.leika_typ),
      ozgId: orNull(r.ozg_id),
      ozgLeistung: orNull(r.ozg_leistung),
      rechtsgrundlage: orNull(r.rechtsgrundlage),
      gesetze: orNull(r.gesetze),
      gesetzeKurz: orNull(r.gesetze_kurz),
      lebenslage,
      themenfeld: orNull(ozg?.themenfeld) ?? (lebenslage ? themenfeldByLebenslage.get(lebenslage) ?? null : null),
      sdgAnhang1: r.sdg_anhang1 === '1',
      sdgAnhang2: r.sdg_anhang2 === '1',
    };
    leistungen.push(leistung);
    leistungByKey.set(key, leistung);
  }
  leistungen.sort((a, b) => a.leikaSchluessel.localeCompare(b.leikaSchluessel));

  const gemeinden: RegisterGemeinde[] = readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv').map((r) => ({
    ags: r.ags!,
    ars: r.ars!,
    name: r.name!,
    gemeindeTyp: r.gemeinde_typ!,
    landCode: r.land_code!,
    landAbbr: r.land_abbr!,
    landName: r.land_name!,
    regierungsbezirkCode: r.regierungsbezirk_code ?? '',
    regierungsbezirkName: r.regierungsbezirk_name ?? '',
    kreisKey: r.kreis_key!,
    verbandKey: r.verband_key!,
    verbandName: r.verband_name!,
    verbandTyp: r.verband_typ!,
    finanzamtCode: orNull(r.finanzamt_code),
  }));

  const kreise = new Map<string, RegisterKreis>();
  for (const r of readCsv('municipalities/kreise_de_gv100ad_2021-11-30.csv')) {
    kreise.set(r.kreis_key!, { kreisKey: r.kreis_key!, name: r.name!, kreisTyp: r.kreis_typ! });
  }

  const finanzaemter = new Map<string, Finanzamt>();
  for (const r of readCsv('zustaendigkeit/finanzaemter_bufa_erica.csv')) {
    finanzaemter.set(r.bufa_nr!, { bufaNr: r.bufa_nr!, name: r.name!, land: r.land_abbr!, landName: r.land_name! });
  }

  loaded = {
    leistungen,
    leistungByKey,
    gemeinden,
    gemeindeByAgs: new Map(gemeinden.map((g) => [g.ags, g])),
    gemeindeByArs: new Map(gemeinden.map((g) => [g.ars, g])),
    kreise,
    finanzaemter,
  };
  return loaded;
}

/** The responsible tax office of a municipality (GV100AD Finanzamtsbezirk joined with ERiC). */
export function finanzamtOf(data: LeikaData, gemeinde: RegisterGemeinde): Finanzamt | null {
  if (!gemeinde.finanzamtCode) return null;
  const bufaNr = BUFA_RENUMBERED[gemeinde.finanzamtCode] ?? gemeinde.finanzamtCode;
  return data.finanzaemter.get(bufaNr) ?? null;
}
