import { readCsv } from '../lib/data';

/** One Gemeinde as the register contract serves it (field names after GV-ISys). */
export interface Gemeinde {
  ags: string;
  ars: string;
  name: string;
  gemeindeTyp: string;
  landSchluessel: string;
  landKuerzel: string;
  regierungsbezirkSchluessel: string | null;
  kreisSchluessel: string;
  flaecheKm2: number;
  bevoelkerung: number;
  bevoelkerungMaennlich: number;
  bevoelkerungWeiblich: number;
  bevoelkerungProKm2: number;
  plz: string | null;
  breitengrad: number | null;
  laengengrad: number | null;
  verstaedterung: string | null;
  finanzamtNummer: string | null;
}

export interface Kreis {
  kreisSchluessel: string;
  ars: string;
  name: string;
  kreisTyp: string;
  sitz: string | null;
  landSchluessel: string;
  regierungsbezirkSchluessel: string | null;
  anzahlGemeinden: number;
  bevoelkerung: number;
  flaecheKm2: number;
}

export interface Land {
  landSchluessel: string;
  ars: string;
  name: string;
  kuerzel: string;
  sitz: string | null;
  bevoelkerung: number;
  anzahlGemeinden: number;
}

export interface Regierungsbezirk {
  regierungsbezirkSchluessel: string;
  name: string;
  landSchluessel: string;
}

const orNull = (value: string | undefined): string | null => (value ? value : null);
const numOrNull = (value: string | undefined): number | null => (value ? Number(value) : null);

export interface RegisterData {
  gemeinden: Gemeinde[];
  gemeindeByAgs: Map<string, Gemeinde>;
  kreise: Map<string, Kreis>;
  laender: Map<string, Land>;
  regierungsbezirke: Map<string, Regierungsbezirk>;
}

let loaded: RegisterData | null = null;

/** Loads the Destatis GV100AD (Gebietsstand 30.11.2021) files once per process. */
export function loadRegister(): RegisterData {
  if (loaded) return loaded;
  const gemeinden: Gemeinde[] = readCsv('municipalities/gemeinden_de_gv100ad_2021-11-30.csv').map((r) => ({
    ags: r.ags!,
    ars: r.ars!,
    name: r.name!,
    gemeindeTyp: r.gemeinde_typ!,
    landSchluessel: r.land_code!,
    landKuerzel: r.land_abbr!,
    regierungsbezirkSchluessel: orNull(r.regierungsbezirk_code),
    kreisSchluessel: r.kreis_key!,
    flaecheKm2: Number(r.area_km2),
    bevoelkerung: Number(r.population),
    bevoelkerungMaennlich: Number(r.population_male),
    bevoelkerungWeiblich: Number(r.population_female),
    bevoelkerungProKm2: Number(r.population_per_km2),
    plz: orNull(r.plz),
    breitengrad: numOrNull(r.lat),
    laengengrad: numOrNull(r.lon),
    verstaedterung: orNull(r.urbanization),
    finanzamtNummer: orNull(r.finanzamt_code),
  }));
  const kreise = new Map<string, Kreis>();
  for (const r of readCsv('municipalities/kreise_de_gv100ad_2021-11-30.csv')) {
    kreise.set(r.kreis_key!, {
      kreisSchluessel: r.kreis_key!,
      ars: r.ars!,
      name: r.name!,
      kreisTyp: r.kreis_typ!,
      sitz: orNull(r.sitz),
      landSchluessel: r.land_code!,
      regierungsbezirkSchluessel: orNull(r.regierungsbezirk_code),
      anzahlGemeinden: Number(r.gemeinden_count),
      bevoelkerung: Number(r.population),
      flaecheKm2: Number(r.area_km2),
    });
  }
  const laender = new Map<string, Land>();
  const regierungsbezirke = new Map<string, Regierungsbezirk>();
  for (const r of readCsv('municipalities/laender_regierungsbezirke_de_gv100ad_2021-11-30.csv')) {
    if (r.level === 'land') {
      laender.set(r.code!, {
        landSchluessel: r.code!,
        ars: r.ars!,
        name: r.name!,
        kuerzel: r.land_abbr!,
        sitz: orNull(r.sitz),
        bevoelkerung: Number(r.population),
        anzahlGemeinden: Number(r.gemeinden_count),
      });
    } else if (r.level === 'regierungsbezirk') {
      regierungsbezirke.set(r.code!, {
        regierungsbezirkSchluessel: r.code!,
        name: r.name!,
        landSchluessel: r.code!.slice(0, 2),
      });
    }
  }
  loaded = {
    gemeinden,
    gemeindeByAgs: new Map(gemeinden.map((g) => [g.ags, g])),
    kreise,
    laender,
    regierungsbezirke,
  };
  return loaded;
}
